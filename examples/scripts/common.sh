# common.sh: shared by the demonstration scripts here: finds the `omnivore` program
# ($OMNIVORE, else dist/omnivore, else the Release build) and writes a tiny DummyData net
# and solver into a work folder. Sourced, not run.
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
find_omnivore() {
  for candidate in "${OMNIVORE:-}" "$ROOT/dist/omnivore" "$ROOT/managed/Omnivore.Cli/bin/Release/net10.0/omnivore"; do
    if [ -n "$candidate" ] && [ -x "$candidate" ]; then echo "$candidate"; return 0; fi
  done
  echo "omnivore is not built: run ./build.sh build (or set OMNIVORE=/path/to/omnivore)" >&2
  return 1
}

# write_net DIR BATCH WIDTH: a DummyData -> InnerProduct -> InnerProduct -> SoftmaxWithLoss net
write_net() {
  cat >"$1/net.prototxt" <<NET
name: "demo"
layer { name: "data" type: "DummyData" top: "data" top: "label"
        dummy_data_param { shape { dim: $2 dim: $3 } shape { dim: $2 }
                           data_filler { type: "gaussian" } data_filler { type: "constant" value: 1 } } }
layer { name: "ip1" type: "InnerProduct" bottom: "data" top: "ip1" inner_product_param { num_output: $3 weight_filler { type: "xavier" } } }
layer { name: "ip2" type: "InnerProduct" bottom: "ip1" top: "ip2" inner_product_param { num_output: 10 weight_filler { type: "xavier" } } }
layer { name: "loss" type: "SoftmaxWithLoss" bottom: "ip2" bottom: "label" top: "loss" }
NET
}

# write_solver DIR MAX_ITER SNAPSHOT: SGD with momentum, display every iteration
write_solver() {
  cat >"$1/solver.prototxt" <<SOLVER
net: "$1/net.prototxt"
base_lr: 0.001 momentum: 0.9 lr_policy: "fixed"
max_iter: $2 display: 1 snapshot: $3 snapshot_prefix: "$1/run"
random_seed: 1 solver_mode: CPU
SOLVER
}

newest_state() { ls "$1"/run_iter_*.solverstate 2>/dev/null | sed 's/.*_iter_\([0-9]*\)\.solverstate/\1 &/' | sort -n | tail -1 | cut -d' ' -f2; }
