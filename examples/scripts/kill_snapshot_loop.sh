#!/usr/bin/env bash
# kill_snapshot_loop.sh: snapshots survive kill -9. Trains a small net that snapshots
# every iteration, kills it with SIGKILL at a random moment, resumes from the newest
# .solverstate with --snapshot, and repeats; then checks that every snapshot left loads
# (`omnivore test --weights`; a sample of 30 when there are many) and that the newest
# states resume, that no half-written file is visible, and prints a summary.
#   examples/scripts/kill_snapshot_loop.sh [ROUNDS=8]
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
OMNIVORE="$(find_omnivore)" || exit 1
ROUNDS="${1:-8}"
WORK="$(mktemp -d /tmp/omnivore-kill-XXXXXX)"
trap 'rm -rf "$WORK"' EXIT
write_net "$WORK" 16 256
write_solver "$WORK" 100000000 1

resumed=0; kills=0
for round in $(seq 1 "$ROUNDS"); do
  args=(train --solver "$WORK/solver.prototxt" --threads 1 --no-probe)
  state="$(newest_state "$WORK")"
  if [ -n "$state" ]; then args+=(--snapshot "$state"); fi
  "$OMNIVORE" "${args[@]}" >"$WORK/round$round.log" 2>&1 &
  pid=$!
  # Wait until this run has started training, then kill it 0.1-1.0 s later.
  for _ in $(seq 1 300); do grep -q "Solving" "$WORK/round$round.log" 2>/dev/null && break; sleep 0.05; done
  sleep "0.$(( RANDOM % 9 + 1 ))"
  kill -9 "$pid" 2>/dev/null && kills=$((kills + 1))
  wait "$pid" 2>/dev/null
  if [ -n "$state" ]; then
    if grep -q "Restoring previous solver status from $state" "$WORK/round$round.log"; then resumed=$((resumed + 1))
    else echo "round $round: did not resume from $state"; tail -3 "$WORK/round$round.log"; fi
  fi
  newest="$(newest_state "$WORK")"
  printf 'round %2d: killed (SIGKILL) at newest snapshot %s, temporaries now %s\n' "$round" \
    "$(basename "${newest:-none}")" "$(ls -A "$WORK" | grep -c '\.tmp$')"
done

# The snapshots present must load: every one when there are few, else 30 spread evenly
# (each check starts the program once).
models=("$WORK"/run_iter_*.caffemodel); states=("$WORK"/run_iter_*.solverstate)
bad=0; loaded=0
step=$(( (${#models[@]} + 29) / 30 ))
for i in "${!models[@]}"; do
  [ $(( i % step )) -eq 0 ] || [ "$i" -eq $(( ${#models[@]} - 1 )) ] || continue
  m="${models[$i]}"
  "$OMNIVORE" test --model "$WORK/net.prototxt" --weights "$m" --iterations 1 --threads 1 >/dev/null 2>&1 \
    && loaded=$((loaded + 1)) || { echo "does not load: $m"; bad=$((bad + 1)); }
done
# Every .solverstate: resume from it for one iteration (only the last few, to stay quick).
checked=0
for s in $(ls "$WORK"/run_iter_*.solverstate | sed 's/.*_iter_\([0-9]*\)\.solverstate/\1 &/' | sort -n | tail -5 | cut -d' ' -f2); do
  it="$(basename "$s" | sed 's/run_iter_\([0-9]*\).*/\1/')"
  mkdir -p "$WORK/check" && write_solver "$WORK/check" $((it + 1)) 0
  sed -i "s|net: \"$WORK/check/net.prototxt\"|net: \"$WORK/net.prototxt\"|" "$WORK/check/solver.prototxt"
  "$OMNIVORE" train --solver "$WORK/check/solver.prototxt" --snapshot "$s" --threads 1 --no-probe >/dev/null 2>&1 \
    || { echo "does not resume: $s"; bad=$((bad + 1)); }
  checked=$((checked + 1))
done
temporaries="$(ls -A "$WORK" | grep -c '\.tmp$')"
echo "summary: $kills kills, $resumed resumes from the newest snapshot, ${#models[@]} .caffemodel and ${#states[@]} .solverstate files" \
     "(iterations up to $(basename "$(newest_state "$WORK")" .solverstate | sed 's/run_iter_//')), $loaded models checked and loaded, the last $checked states resumed," \
     "$bad failures, $temporaries leftover temporary file(s) (hidden, ignored, removed by the next run)"
[ "$bad" -eq 0 ]
