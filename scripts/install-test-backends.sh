#!/usr/bin/env bash
# Fetch the real backends the tests start (no Docker here):
#   - VictoriaMetrics, vmagent, vmauth  (Debian trixie package `victoria-metrics`)
#   - docker-compose v2                 (Debian trixie package `docker-compose`, only to run `docker-compose config`)
#   - promtool                          (Debian trixie package `promtool`, a static binary: checks and
#                                        unit-tests the alerting rules in stack/alerts)
#   - kubectl                           (Debian trixie package `kubectl`; `kubernetes-client` is only a
#                                        transitional package depending on it: a client-side dry run of
#                                        the manifests in deploy/kubernetes, no cluster needed)
# into a project-local, git-ignored folder, using a private apt state so that nothing on the
# machine is installed or upgraded. Idempotent: quick when everything is already there.
#
#   bash scripts/install-test-backends.sh          # install if missing
#   OTELPOC_BACKENDS_DIR=/some/dir bash ...         # install elsewhere
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
dest=${OTELPOC_BACKENDS_DIR:-$root/.cache/test-backends}
bin=$dest/usr/bin
packages=(victoria-metrics docker-compose promtool kubectl)
wanted=("$bin/victoria-metrics" "$bin/vmagent" "$bin/vmauth" "$bin/docker-compose" "$bin/promtool" "$bin/kubectl")
# The binaries each package brings: only the packages with a binary missing are fetched, so adding a
# package to the list later fetches that one alone and leaves the binaries already there untouched.
declare -A provides=(
  [victoria-metrics]="victoria-metrics vmagent vmauth"
  [docker-compose]="docker-compose"
  [promtool]="promtool"
  [kubectl]="kubectl"
)

# Outside CI a machine that cannot fetch them still runs the unit tests: the backend suites then skip
# loudly. In CI (CI=true) that is a failure, so a green CI always means the end-to-end tests ran.
give_up() {
  echo "test backends: $*" >&2
  if [ -n "${CI:-}" ]; then exit 1; fi
  echo "test backends: the suites that need them will be SKIPPED (or set OTELPOC_VICTORIA_METRICS_BIN to a folder with victoria-metrics, vmagent, vmauth; OTELPOC_DOCKER_COMPOSE_BIN, OTELPOC_PROMTOOL_BIN, OTELPOC_KUBECTL_BIN to the binaries)" >&2
  exit 0
}

have_all() {
  for f in "${wanted[@]}"; do [ -x "$f" ] || return 1; done
}

if have_all; then
  echo "test backends: already installed in ${dest#"$root"/}"
  exit 0
fi

# A binary given by its variable is the user's choice: that package is not fetched.
declare -A given=(
  [victoria-metrics]=${OTELPOC_VICTORIA_METRICS_BIN:-}
  [docker-compose]=${OTELPOC_DOCKER_COMPOSE_BIN:-}
  [promtool]=${OTELPOC_PROMTOOL_BIN:-}
  [kubectl]=${OTELPOC_KUBECTL_BIN:-}
)
missing=()
for pkg in "${packages[@]}"; do
  if [ -n "${given[$pkg]}" ]; then
    echo "test backends: $pkg: using ${given[$pkg]}"
    continue
  fi
  for b in ${provides[$pkg]}; do
    if [ ! -x "$bin/$b" ]; then missing+=("$pkg"); break; fi
  done
done
if [ ${#missing[@]} -eq 0 ]; then exit 0; fi

# shellcheck source=lib/private-apt.sh
. "$root/scripts/lib/private-apt.sh"
echo "test backends: fetching ${missing[*]} (Debian trixie) into ${dest#"$root"/} ..."
private_apt_init "$dest" trixie || give_up "could not read Debian trixie's package lists"
# pkg/trixie: trixie's version even when the machine has the package installed from another source
# (apt would otherwise pick the installed version as the candidate and find no source to download it).
private_apt_fetch "$dest" "${missing[@]/%//trixie}" || give_up "apt-get download ${missing[*]} failed"
private_apt_done "$dest"

for pkg in "${missing[@]}"; do
  for b in ${provides[$pkg]}; do
    [ -x "$bin/$b" ] || give_up "install incomplete; $pkg did not bring $bin/$b"
  done
done
if [ -x "$bin/promtool" ]; then "$bin/promtool" --version 2>/dev/null | head -1 || true; fi
if [ -x "$bin/kubectl" ]; then "$bin/kubectl" version --client 2>/dev/null | head -1 || true; fi
echo "test backends: installed in ${dest#"$root"/}"
