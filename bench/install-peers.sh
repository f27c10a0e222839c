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

# shellcheck source=../scripts/lib/private-apt.sh
. "$root/scripts/lib/private-apt.sh"
private_apt_init "$dest" # the machine's own suite
packages=(nginx nginx-common wrk hey)
# wrk links against LuaJIT, which the base image lacks.
packages+=($(apt-cache "${apt_opts[@]}" depends wrk 2>/dev/null | awk '/Depends: libluajit/{print $2}' | head -1))
echo "bench peers: fetching ${packages[*]} into ${dest#"$root"/} ..."
private_apt_fetch "$dest" "${packages[@]}"
private_apt_done "$dest"
have_all || { echo "bench peers: install incomplete; expected ${wanted[*]}" >&2; exit 1; }
echo "bench peers: installed in ${dest#"$root"/}"
