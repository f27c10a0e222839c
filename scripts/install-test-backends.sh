#!/usr/bin/env bash
# Fetch the real backends the tests start (no Docker here):
#   - VictoriaMetrics, vmagent, vmauth  (Debian trixie package `victoria-metrics`)
#   - docker-compose v2                 (Debian trixie package `docker-compose`, only to run `docker-compose config`)
# into a project-local, git-ignored folder, using a private apt state so that nothing on the
# machine is installed or upgraded. Idempotent: quick when everything is already there.
#
#   bash scripts/install-test-backends.sh          # install if missing
#   OTELPOC_BACKENDS_DIR=/some/dir bash ...         # install elsewhere
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
dest=${OTELPOC_BACKENDS_DIR:-$root/.cache/test-backends}
bin=$dest/usr/bin
packages=(victoria-metrics docker-compose)
wanted=("$bin/victoria-metrics" "$bin/vmagent" "$bin/vmauth" "$bin/docker-compose")

# Outside CI a machine that cannot fetch them still runs the unit tests: the backend suites then skip
# loudly. In CI (CI=true) that is a failure, so a green CI always means the end-to-end tests ran.
give_up() {
  echo "test backends: $*" >&2
  if [ -n "${CI:-}" ]; then exit 1; fi
  echo "test backends: the end-to-end suites will be SKIPPED (set OTELPOC_VICTORIA_METRICS_BIN to a folder with victoria-metrics, vmagent, vmauth)" >&2
  exit 0
}

have_all() {
  for f in "${wanted[@]}"; do [ -x "$f" ] || return 1; done
}

if have_all; then
  echo "test backends: already installed in ${dest#"$root"/}"
  exit 0
fi

if [ -n "${OTELPOC_VICTORIA_METRICS_BIN:-}" ]; then
  echo "test backends: using OTELPOC_VICTORIA_METRICS_BIN=$OTELPOC_VICTORIA_METRICS_BIN"
  exit 0
fi
if ! command -v apt-get >/dev/null || ! command -v dpkg >/dev/null; then
  give_up "apt-get and dpkg are needed to fetch Debian's victoria-metrics and docker-compose packages"
fi

# The machine's own Debian source, re-pointed at trixie (Debian stable), in a private apt state.
source_file=""
for f in /etc/apt/sources.list.d/debian.sources /etc/apt/sources.list.d/*.sources; do
  if [ -f "$f" ] && grep -qi '^URIs:.*debian' "$f"; then source_file=$f; break; fi
done
priv=$dest/apt
mkdir -p "$priv/parts" "$priv/lists/partial" "$priv/cache/archives/partial"
if [ -n "$source_file" ]; then
  # First deb822 stanza only (the main archive, not security), with Suites: trixie.
  awk 'BEGIN{RS=""; ORS="\n\n"} NR==1{print; exit}' "$source_file" |
    sed -E 's/^Suites:.*/Suites: trixie/' >"$priv/parts/debian.sources"
elif [ -f /etc/apt/sources.list ] && grep -qE '^deb .*debian' /etc/apt/sources.list; then
  grep -m1 -E '^deb .*debian' /etc/apt/sources.list |
    awk '{ $3 = "trixie"; print }' >"$priv/parts/debian.list"
else
  give_up "no Debian apt source found in /etc/apt to fetch from"
fi

apt_opts=(
  -o Dir::Etc::SourceList=/dev/null
  -o "Dir::Etc::SourceParts=$priv/parts"
  -o "Dir::State::Lists=$priv/lists"
  -o "Dir::Cache=$priv/cache"
  -o APT::Sandbox::User=root
)
echo "test backends: fetching ${packages[*]} (Debian trixie) into ${dest#"$root"/} ..."
apt-get "${apt_opts[@]}" update -qq || give_up "apt-get update (Debian trixie lists) failed"
(cd "$priv" && apt-get "${apt_opts[@]}" download "${packages[@]}" >/dev/null) || give_up "apt-get download ${packages[*]} failed"
for deb in "$priv"/*.deb; do dpkg -x "$deb" "$dest"; done
rm -f "$priv"/*.deb
rm -rf "$priv/lists" "$priv/cache"

have_all || give_up "install incomplete; expected ${wanted[*]}"
"$bin/victoria-metrics" -version 2>/dev/null | head -1 || true
echo "test backends: installed in ${dest#"$root"/}"
