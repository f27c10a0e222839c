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
# shellcheck source=lib/private-apt.sh
. "$root/scripts/lib/private-apt.sh"
echo "test backends: fetching ${packages[*]} (Debian trixie) into ${dest#"$root"/} ..."
private_apt_init "$dest" trixie || give_up "could not read Debian trixie's package lists"
private_apt_fetch "$dest" "${packages[@]}" || give_up "apt-get download ${packages[*]} failed"
private_apt_done "$dest"

have_all || give_up "install incomplete; expected ${wanted[*]}"
"$bin/victoria-metrics" -version 2>/dev/null | head -1 || true
echo "test backends: installed in ${dest#"$root"/}"
