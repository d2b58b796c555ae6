#!/usr/bin/env bash
# gpu_check.sh: the one script to run on a GPU machine, from the repository root, with
# the bundle in dist/ (./build.sh bundle on a machine with .NET; the GPU machine needs no
# .NET). It writes everything under $OUT (default build/gpu_check) and prints a compact
# summary; it is meant to finish in 2-4 minutes on an H200 (limits per step below, and
# DEADLINE=400 s for the whole script).
#
#   1. omnivore device_query                      the GPU, driver, NVRTC and cuBLAS found
#   2. omnivore selftest gpu                      every layer forward/backward and every
#                                                 kernel on the GPU against the CPU (PASS/FAIL,
#                                                 max errors); first run compiles the kernels
#   3. omnivore train LeNet on MNIST, --gpu 0     1000 iterations (b64), test at 500 and 1000:
#                                                 loss must fall below 0.3, accuracy reach 0.95
#   4. omnivore time CaffeNet b256 (DummyData)    on the GPU, FP32 and then TF32 (OMNIVORE_TF32=1);
#                                                 the CPU's figures are in shared/caffe/bench/RECORDED.md
#
# Usage: [OUT=dir] [OMNIVORE=dist/omnivore] examples/scripts/gpu_check.sh
# Knobs for a dry run on the CPU emulation of CUDA (OMNIVORE_CUDA_LIB=build/native/fake_cuda):
# LENET_ITERS (1000), LENET_TEST_ITER (100), SKIP_CAFFENET=1. On the GPU machine the kernel
# sources are dist/cuda/*.cu: a kernel can be fixed there and the script run again, no
# rebuild needed. OMNIVORE_CUDA_PTX=1 makes NVRTC emit PTX instead of SASS.
set -uo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
OUT="${OUT:-$ROOT/build/gpu_check}"
OMNIVORE="${OMNIVORE:-$ROOT/dist/omnivore}"
mkdir -p "$OUT"
export XDG_CACHE_HOME="${XDG_CACHE_HOME:-$OUT/cache}"   # kernel image and plan caches
SUMMARY="$OUT/summary.txt"
: >"$SUMMARY"
note() { printf '%s\n' "$*" | tee -a "$SUMMARY"; }
BEGIN=$(date +%s)
DEADLINE="${DEADLINE:-400}"   # seconds for the whole script; each step gets at most what is left
step() { # step NAME SECONDS command...: runs with a time limit, log in $OUT/NAME.log
  local name="$1" limit="$2"; shift 2
  local start end rc left
  left=$((DEADLINE - ($(date +%s) - BEGIN)))
  if [ "$left" -lt 15 ]; then note "== $name skipped: the script's $DEADLINE s are spent"; return 124; fi
  [ "$limit" -gt "$left" ] && limit=$left
  start=$(date +%s.%N)
  timeout --kill-after=10 "$limit" "$@" >"$OUT/$name.log" 2>&1
  rc=$?
  end=$(date +%s.%N)
  note "$(printf '== %-14s rc=%-3s %6.1f s' "$name" "$rc" "$(awk -v a="$start" -v b="$end" 'BEGIN { print b - a }')")"
  return $rc
}

[ -x "$OMNIVORE" ] || { note "FAIL: $OMNIVORE is missing (build the bundle: ./build.sh bundle, carry dist/)"; exit 1; }
note "gpu_check: $(date -u +%FT%TZ) on $(hostname), $(nproc) cores; nvidia-smi: $(nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>/dev/null | head -1)"

# 1. what the program sees
step device_query 30 "$OMNIVORE" device_query
sed 's/^/   /' "$OUT/device_query.log" | tee -a "$SUMMARY"

# 2. GPU against CPU, every check
step selftest 120 "$OMNIVORE" selftest gpu
grep -E '^(kernels:|selftest gpu:)' "$OUT/selftest.log" | sed 's/^/   /' | tee -a "$SUMMARY"
grep -E '^(FAIL|SKIP)' "$OUT/selftest.log" | head -40 | sed 's/^/   /' | tee -a "$SUMMARY"
grep -E '^PASS' "$OUT/selftest.log" >"$OUT/selftest_pass.txt"

# 3. LeNet on MNIST on the GPU
if [ ! -d examples/mnist/mnist_train_lmdb ] || [ ! -d examples/mnist/mnist_test_lmdb ]; then
  step convert_mnist 45 "$OMNIVORE" convert mnist --data examples/mnist/data --out examples/mnist
fi
cat >"$OUT/lenet_gpu_solver.prototxt" <<SOLVER
net: "examples/mnist/lenet_train_test.prototxt"
test_iter: ${LENET_TEST_ITER:-100}
test_interval: 500
base_lr: 0.01
momentum: 0.9
weight_decay: 0.0005
lr_policy: "inv"
gamma: 0.0001
power: 0.75
display: 100
max_iter: ${LENET_ITERS:-1000}
snapshot_prefix: "$OUT/lenet_gpu"
random_seed: 1
solver_mode: GPU
SOLVER
step lenet_train 100 "$OMNIVORE" train --solver "$OUT/lenet_gpu_solver.prototxt"
grep -E 'Using |GPU kernels|Iteration [0-9]+, loss = |Test net output' "$OUT/lenet_train.log" \
  | sed -E 's/^[IWEF][0-9]+ [0-9:.]+ +[0-9]+ [^]]*\] /   /' | awk 'NR <= 2 || /Iteration (100|500|1000),/ || /Test net output/' \
  | tail -9 | tee -a "$SUMMARY"
loss=$(grep -E 'Iteration [0-9]+.*, loss = ' "$OUT/lenet_train.log" | tail -1 | sed -E 's/.*loss = ([0-9.eE+-]+).*/\1/')
acc=$(grep -E 'Test net output #[0-9]+: accuracy = ' "$OUT/lenet_train.log" | tail -1 | sed -E 's/.*accuracy = ([0-9.eE+-]+).*/\1/')
if [ -n "$loss" ] && [ -n "$acc" ] && awk -v l="$loss" -v a="$acc" 'BEGIN { exit !(l < 0.3 && a >= 0.95) }'; then
  note "   PASS lenet: last training loss $loss, test accuracy $acc"
else
  note "   FAIL lenet: last training loss '${loss:-?}', test accuracy '${acc:-?}' (want < 0.3 and >= 0.95)"
fi

# 4. CaffeNet b256 timing on the GPU, FP32 then TF32
NET=""
for n in shared/caffe/bench/caffenet_dummy_b256.prototxt ../shared/caffe/bench/caffenet_dummy_b256.prototxt \
         /work/shared/caffe/bench/caffenet_dummy_b256.prototxt examples/bench/caffenet_synthetic_b256.prototxt; do
  [ -f "$n" ] && { NET="$n"; break; }
done
for mode in $([ "${SKIP_CAFFENET:-0}" = 1 ] || echo fp32 tf32); do
  export OMNIVORE_TF32=0; [ "$mode" = tf32 ] && export OMNIVORE_TF32=1
  step "caffenet_$mode" 75 "$OMNIVORE" time --model "$NET" --gpu 0 --iterations 10 --warmup 2 --no-probe
  grep -E 'Average Forward-Backward|Average Forward pass|Average Backward pass|images/s|Total Time|median' "$OUT/caffenet_$mode.log" \
    | tail -4 | sed "s/^/   $mode: /" | tee -a "$SUMMARY"
done

note "gpu_check done; logs in $OUT"
grep -q '^   FAIL\|^== .* rc=[1-9]\|^== .* skipped' "$SUMMARY" && exit 1 || exit 0
