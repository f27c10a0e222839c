#!/usr/bin/env bash
# Fetch the benchmark peers into a git-ignored folder (.cache/bench-peers), with a private apt state
# so nothing on the machine is installed or upgraded (the approach of scripts/install-test-backends.sh):
#   - nginx (static target), wrk, hey   from the machine's own Debian suite
#   - libluajit (wrk's dependency), extracted next to it and found through LD_LIBRARY_PATH
# k6 is not packaged in Debian (bookworm/trixie), so it is not fetched.
# Idempotent: quick when everything is already there.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
dest=${OTELPOC_BENCH_PEERS_DIR:-$root/.cache/bench-peers}
wanted=("$dest/usr/sbin/nginx" "$dest/usr/bin/wrk" "$dest/usr/bin/hey")
have_all() { for f in "${wanted[@]}"; do [ -x "$f" ] || return 1; done; }
if have_all; then
  echo "bench peers: already installed in ${dest#"$root"/}"
  exit 0
fi

source_file=""
for f in /etc/apt/sources.list.d/debian.sources /etc/apt/sources.list.d/*.sources; do
  if [ -f "$f" ] && grep -qi '^URIs:.*debian' "$f"; then source_file=$f; break; fi
done
[ -n "$source_file" ] || { echo "bench peers: no Debian deb822 source found" >&2; exit 1; }
priv=$dest/apt
mkdir -p "$priv/parts" "$priv/lists/partial" "$priv/cache/archives/partial"
# First stanza (the main archive), keeping the machine's own suite.
awk 'BEGIN{RS=""; ORS="\n\n"} NR==1{print; exit}' "$source_file" >"$priv/parts/debian.sources"
apt_opts=(
  -o Dir::Etc::SourceList=/dev/null
  -o "Dir::Etc::SourceParts=$priv/parts"
  -o "Dir::State::Lists=$priv/lists"
  -o "Dir::Cache=$priv/cache"
  -o APT::Sandbox::User=root
)
apt-get "${apt_opts[@]}" update -qq
packages=(nginx nginx-common wrk hey)
# wrk links against LuaJIT, which the base image lacks.
packages+=($(apt-cache "${apt_opts[@]}" depends wrk 2>/dev/null | awk '/Depends: libluajit/{print $2}' | head -1))
echo "bench peers: fetching ${packages[*]} into ${dest#"$root"/} ..."
(cd "$priv" && apt-get "${apt_opts[@]}" download "${packages[@]}" >/dev/null)
for deb in "$priv"/*.deb; do dpkg -x "$deb" "$dest"; done
rm -f "$priv"/*.deb
rm -rf "$priv/lists" "$priv/cache"
have_all || { echo "bench peers: install incomplete; expected ${wanted[*]}" >&2; exit 1; }
echo "bench peers: installed in ${dest#"$root"/}"
