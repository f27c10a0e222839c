# shellcheck shell=bash
# Fetch Debian packages into a project folder with a private apt state: nothing on the machine is
# installed or upgraded, and no apt source is written outside that folder. Sourced by
# scripts/install-test-backends.sh and bench/install-peers.sh.
#
#   private_apt_init DEST [SUITE]   # the machine's Debian source, re-pointed at SUITE if given; runs update
#   private_apt_fetch DEST PKG...   # download and unpack into DEST (binaries land in DEST/usr/bin)
#   private_apt_done DEST           # drop the lists and caches, keep what was unpacked
# After private_apt_init, "${apt_opts[@]}" holds the options for apt-get / apt-cache calls of your own.

private_apt_init() {
  local dest=$1 suite=${2:-} source_file="" f
  if ! command -v apt-get >/dev/null || ! command -v dpkg >/dev/null; then
    echo "apt-get and dpkg are needed" >&2
    return 1
  fi
  local priv=$dest/apt
  mkdir -p "$priv/parts" "$priv/lists/partial" "$priv/cache/archives/partial"
  # An empty dpkg status of its own: with the machine's, `apt-get download` resolves a version
  # against what is installed there and fails once the machine has a newer build of a package
  # (nginx from a security update: "Can't find a source to download version …").
  : >"$priv/status"
  for f in /etc/apt/sources.list.d/debian.sources /etc/apt/sources.list.d/*.sources; do
    if [ -f "$f" ] && grep -qi '^URIs:.*debian' "$f"; then source_file=$f; break; fi
  done
  if [ -n "$source_file" ]; then
    # First deb822 stanza only (the main archive, not security).
    awk 'BEGIN{RS=""; ORS="\n\n"} NR==1{print; exit}' "$source_file" >"$priv/parts/debian.sources"
    if [ -n "$suite" ]; then sed -i -E "s/^Suites:.*/Suites: $suite/" "$priv/parts/debian.sources"; fi
  elif [ -f /etc/apt/sources.list ] && grep -qE '^deb .*debian' /etc/apt/sources.list; then
    grep -m1 -E '^deb .*debian' /etc/apt/sources.list |
      awk -v s="$suite" '{ if (s != "") $3 = s; print }' >"$priv/parts/debian.list"
  else
    echo "no Debian apt source found in /etc/apt to fetch from" >&2
    return 1
  fi
  apt_opts=(
    -o Dir::Etc::SourceList=/dev/null
    -o "Dir::Etc::SourceParts=$priv/parts"
    -o "Dir::State::Lists=$priv/lists"
    -o "Dir::Cache=$priv/cache"
    -o "Dir::State::status=$priv/status"
    -o APT::Sandbox::User=root
  )
  apt-get "${apt_opts[@]}" update -qq
}

private_apt_fetch() {
  local dest=$1 deb
  shift
  (cd "$dest/apt" && apt-get "${apt_opts[@]}" download "$@" >/dev/null) || return 1
  for deb in "$dest"/apt/*.deb; do dpkg -x "$deb" "$dest"; done
  rm -f "$dest"/apt/*.deb
}

private_apt_done() {
  rm -rf "$1/apt/lists" "$1/apt/cache"
}
