#!/usr/bin/env bash
# sigint_effects.sh: what Ctrl-C (SIGINT) does to `omnivore train` with each
# --sigint_effect (as Caffe's): "stop" finishes the iteration, snapshots and exits 0;
# "snapshot" snapshots after the iteration and trains on; "none" ignores it. Then a second
# Ctrl-C while stopping ends the process at once. Prints what happened for each case.
#   examples/scripts/sigint_effects.sh
set -uo pipefail
# Job control on: without it bash starts background commands with SIGINT ignored (as any
# non-interactive shell does), and a program cannot catch a signal it inherits ignored.
set -m
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
OMNIVORE="$(find_omnivore)" || exit 1
WORK="$(mktemp -d /tmp/omnivore-sigint-XXXXXX)"
trap 'rm -rf "$WORK"' EXIT
# Iterations of ~0.1-1 s on one thread, so a signal lands in the middle of one.
write_net "$WORK" 128 2048
write_solver "$WORK" 100000000 0

start() { # start EFFECT LOG: train in the background with --sigint_effect EFFECT, wait until it iterates
  rm -f "$WORK"/run_iter_*
  "$OMNIVORE" train --solver "$WORK/solver.prototxt" --threads 1 --no-probe \
    --sigint_effect "$1" --sighup_effect stop >"$2" 2>&1 &
  pid=$!
  for _ in $(seq 1 600); do grep -q "Iteration 2 " "$2" 2>/dev/null && break; sleep 0.05; done
}
elapsed() { awk -v a="$(date +%s.%N)" -v b="$t0" 'BEGIN { print a - b }'; }
running() { kill -0 "$pid" 2>/dev/null; }
snapshots() { ls "$WORK"/run_iter_*.caffemodel 2>/dev/null | wc -l; }
finish() { # ends a run that is still going with SIGHUP (--sighup_effect stop); sets code
  kill -HUP "$pid" 2>/dev/null; wait "$pid"; code=$?
}

for effect in stop snapshot none; do
  log="$WORK/$effect.log"
  start "$effect" "$log"
  t0=$(date +%s.%N)
  kill -INT "$pid"
  for _ in $(seq 1 40); do running || break; [ "$effect" != stop ] && [ "$(snapshots)" -gt 0 ] && break; sleep 0.05; done
  sleep 0.5
  if running; then state="still training"; else wait "$pid"; state="exited with code $?"; fi
  printf '%-22s after Ctrl-C: %s after %.1f s, %s snapshot(s) written; log: %s\n' "--sigint_effect $effect" "$state" \
    "$(elapsed)" "$(snapshots)" "$(grep -o 'SIGINT received:[^(]*' "$log" | head -1)"
  if running; then
    finish
    echo "          then SIGHUP (--sighup_effect stop) ended it: exit code $code, $(snapshots) snapshot(s) now"
  fi
done

# A second Ctrl-C while the first is waiting for the iteration to end: exit at once.
write_net "$WORK" 512 4096   # slower iterations (seconds), so the first stop is still pending
log="$WORK/twice.log"
start stop "$log"
t0=$(date +%s.%N)
kill -INT "$pid"; sleep 0.2; kill -INT "$pid"
wait "$pid"; code=$?
printf 'Ctrl-C twice, 0.2 s apart: exited with code %s after %.1f s (128+2 = killed by SIGINT: at once, no snapshot of that iteration), %s snapshot(s) written\n' \
  "$code" "$(elapsed)" "$(snapshots)"
