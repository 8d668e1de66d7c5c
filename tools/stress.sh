#!/usr/bin/env bash
# The suite RUNS times in a row (default 5) beside a CPU hog: one busy loop per core for the whole time, so
# every wait in the tests meets a slow machine. Any further arguments go to pytest (default: the whole
# suite). Logs: build/stress/run-N.log and build/stress/summary; exits 1 if any run failed.
#
#   tools/stress.sh                      # five runs of the whole suite
#   tools/stress.sh 20 tests/tray        # twenty runs of the tray tests
#
# As root, with unshare(1), the runs live in namespaces of their own: their own PIDs (no other run's
# Wow.exe blocks their merges), their own network with loopback only (no port or X-socket clashes) and their
# own /tmp (a fresh folder bind-mounted there: X lock files). Set CI's variables to run as CI does:
#   TSMSYNCD_REQUIRE_FIXTURES=1 TSMSYNCD_CI=1 TSMSYNCD_PYINSTALLER_TESTS=1 tools/stress.sh
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-5}
[ $# -gt 0 ] && shift
case $runs in '' | *[!0-9]*) echo "usage: tools/stress.sh [RUNS] [pytest arguments]" >&2; exit 2 ;; esac
out=$PWD/build/stress

if [ -z "${TSMSYNCD_STRESS_INSIDE:-}" ] && [ "$(id -u)" = 0 ] && command -v unshare >/dev/null \
        && command -v ip >/dev/null; then
    rm -rf "$out" && mkdir -p "$out/tmp" && chmod 1777 "$out/tmp"
    export TSMSYNCD_STRESS_INSIDE=1 STRESS_TMP=$out/tmp
    exec unshare --pid --fork --mount-proc --net --mount bash -c \
        'ip link set lo up && mount --bind "$STRESS_TMP" /tmp && exec "$0" "$@"' "$0" "$runs" "$@"
fi

[ -x .venv/bin/python ] || make -s .venv/.installed  # as `make test` builds it
[ -n "${TSMSYNCD_STRESS_INSIDE:-}" ] || { rm -rf "$out" && mkdir -p "$out"; }
hogs=()
trap 'kill "${hogs[@]}" 2>/dev/null || true' EXIT
for _ in $(seq "$(nproc)"); do .venv/bin/python -c "while True: pass" & hogs+=($!); done
echo "$(git log -1 --format=%h 2>/dev/null || echo '?'): $runs runs beside ${#hogs[@]} busy loops" \
    "(isolated: ${TSMSYNCD_STRESS_INSIDE:-no}), started $(date -u +%FT%TZ)" | tee "$out/summary"
failed=0
for i in $(seq "$runs"); do
    start=$(date +%s)
    code=0
    .venv/bin/python -m pytest -q -p no:cacheprovider "$@" > "$out/run-$i.log" 2>&1 || code=$?
    [ "$code" = 0 ] || failed=1
    echo "run $i: exit $code in $(( $(date +%s) - start )) s: $(tail -1 "$out/run-$i.log")" | tee -a "$out/summary"
done
exit $failed
