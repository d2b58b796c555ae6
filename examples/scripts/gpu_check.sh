#!/usr/bin/env bash
# gpu_check.sh: the one script to run on a GPU machine, from the repository root, with
# the bundle in dist/ (./build.sh bundle on a machine with .NET; the GPU machine needs no
# .NET). It writes everything under $OUT (default build/gpu_check) and prints a compact
# summary ($OUT/summary.txt). Steps in order of importance, each with a time limit, all
# within DEADLINE=400 s; a step that would not fit in what is left is skipped with a line
# (the limits add up to more than 400 s: they cap a step that hangs or runs long).
#
#  step            what                                                  limit  measured on an H200 node
#  1 device_query  the GPU, driver, NVRTC and cuBLAS found                  30    1
#  2 selftest      every layer forward/backward and every kernel on the    120    4-8 (NVRTC compiles
#                  GPU against the CPU (PASS/FAIL, max errors)                        the kernels: 3-6 s)
#  3 lenet_train   LeNet on MNIST, --gpu 0, 1000 iterations (b64), tests   100    3  (after convert_mnist:
#                  at 500 and 1000: loss < 0.3, accuracy >= 0.95                      limit 45, 1)
#  4 caffenet_*    omnivore time CaffeNet b256 (DummyData) on the GPU,   2x75  2x4  (set-up + 2 + 10 its)
#                  FP32, then TF32 (OMNIVORE_TF32=1)
#  5 pytorch_gpu   PyTorch trains the same CaffeNet b256 on the GPU, FP32   100   25  (import, cudnn autotune,
#                  and TF32 (examples/scripts/pytorch_caffenet.py); then                2 x (5 + 5x10 its))
#                  omnivore / PyTorch ratios side by side
#  6 scheduler     omnivore probe --compare on CaffeNet b256: CPU alone,    120   40  (set-up ~15, then
#                  GPU alone, CPU + GPU together (issue 6), $SCHED_DEVICES            3 reps x 4 x (1+3) its)
#  7 cpu_bench     omnivore bench on all cores: CaffeNet b256 and LeNet     120   52  (peak probe, conv plan
#                  b64, batched vs Caffe's strategy (issue 5)                         probe, ~1.5 s a CaffeNet it)
#  8 lenet_full    LeNet resumed from step 3's snapshot to Caffe's          100    7  (9000 its + 4 tests)
#                  10,000 iterations: test accuracy >= 0.99 (issue 5)
#  9 pytorch_cpu   PyTorch CaffeNet b256 on all CPU cores                    60   16  (1 + 3 its)
# 10 profile       Nsight Compute (ncu, where installed) on one TF32 CaffeNet  200 ~120  (every kernel
#                  b256 iteration: GPU time by kernel (ncu_summary.py)                replayed)
#    kernel_ab     only with KERNELS_B=DIR: CaffeNet b256 TF32 timed with the   120  ~40  (3 rounds x 2)
#                  kernel sources of dist/cuda (A) and of DIR (B), alternately,
#                  after step 4: images/s per round and B/A (a kernel change measured
#                  side by side in one run, no rebuild needed)
#                          in all: 118 s on 2026-11-28 (193 s before OPENBLAS_CORETYPE was set)
# The machine's start takes minutes of a session's 15 device minutes, so the whole run must
# stay near 400 s (DEADLINE=480 where there is time to spare). Steps 5-9 can be turned off:
# SKIP_PYTORCH=1, SKIP_SCHEDULER=1, SKIP_CPU_BENCH=1, SKIP_LENET_FULL=1, SKIP_PYTORCH_CPU=1, SKIP_PROFILE=1
# (noted as "off", not a failure). Exit status 0 only when every step ran and passed.
#
# Usage: [OUT=dir] [OMNIVORE=dist/omnivore] [PYTHON=python3] examples/scripts/gpu_check.sh
# Knobs: LENET_ITERS (1000), LENET_TEST_ITER (100), LENET_FULL_ITERS (10000), SKIP_CAFFENET=1,
# CAFFENET_NET (the net timed in step 4; default the first CaffeNet b256 DummyData net found),
# SCHED_SOLVER (examples/bench/caffenet_synthetic_solver.prototxt), SCHED_DEVICES
# (cpu:threads=<cores-2>,gpu:id=0: two cores left for the GPU replica's and the master's
# threads), SCHED_ITERS (3), SCHED_REPEAT (3), BENCH_NETS (caffenet_synthetic_b256.prototxt
# and bench/scheduler/lenet_dummy_b64.prototxt), BENCH_ITERS (2).
# A dry run on the CPU emulation of CUDA (what can be checked without a GPU):
#   OMNIVORE_CUDA_LIB=build/native/fake_cuda LENET_ITERS=20 LENET_TEST_ITER=2 LENET_FULL_ITERS=40 \
#   CAFFENET_NET=bench/scheduler/lenet_dummy_b64.prototxt SCHED_SOLVER=bench/scheduler/lenet_dummy_solver.prototxt \
#   SCHED_DEVICES=cpu:threads=1,gpu:id=0 SCHED_ITERS=2 SCHED_REPEAT=1 \
#   BENCH_NETS=$PWD/bench/scheduler/lenet_dummy_b64.prototxt SKIP_PYTORCH_CPU=1 examples/scripts/gpu_check.sh
# (SKIP_CAFFENET=1 instead of CAFFENET_NET skips step 4.) On the GPU machine the kernel
# sources are dist/cuda/*.cu: a kernel can be fixed there and the script run again, no
# rebuild needed. OMNIVORE_CUDA_PTX=1 makes NVRTC emit PTX instead of SASS.
set -uo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT" || exit 1
OUT="${OUT:-$ROOT/build/gpu_check}"
OMNIVORE="${OMNIVORE:-$ROOT/dist/omnivore}"
PYTHON="${PYTHON:-python3}"
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
left() { echo $((DEADLINE - ($(date +%s) - BEGIN))); }
need() { # need NAME SECONDS: true when about SECONDS of the deadline are left, else a skipped line
  [ "$(left)" -ge "$2" ] && return 0
  note "== $1 skipped: $(left) s of the script's $DEADLINE s left, it needs about $2 s"; return 1
}
off() { # off NAME VAR: true, with an "off" line, when the environment sets VAR=1
  [ "${!2:-0}" = 1 ] || return 1
  note "== $1 off ($2=1)"
}
have_torch() { # have_torch NAME: true when $PYTHON can find torch (without importing it), else a skipped line
  "$PYTHON" -c 'import importlib.util, sys; sys.exit(importlib.util.find_spec("torch") is None)' 2>/dev/null && return 0
  note "== $1 skipped: torch is not installed for $PYTHON ($(command -v "$PYTHON" || echo "no $PYTHON")), no PyTorch figures"
  return 1
}
ratio() { # ratio LABEL OURS THEIRS: "LABEL: omnivore A / pytorch B images/s = A/B"
  if [ -n "$2" ] && [ -n "$3" ]; then
    note "$(awk -v l="$1" -v a="$2" -v b="$3" 'BEGIN { printf "   %s: omnivore %.1f / pytorch %.1f images/s = %.3f", l, a, b, a / b }')"
  else
    note "   $1: n/a (omnivore '${2:-?}', pytorch '${3:-?}' images/s)"
  fi
}
pytorch_ips() { # pytorch_ips LOG DEVICE MODE: images/s from pytorch_caffenet.py's line
  [ -f "$1" ] && sed -nE "s/^pytorch caffenet b[0-9]+ $2 $3: ([0-9.]+) images\/s.*/\1/p" "$1" | tail -1
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
NET="${CAFFENET_NET:-}"
if [ -z "$NET" ]; then
  for n in shared/caffe/bench/caffenet_dummy_b256.prototxt ../shared/caffe/bench/caffenet_dummy_b256.prototxt \
           /work/shared/caffe/bench/caffenet_dummy_b256.prototxt examples/bench/caffenet_synthetic_b256.prototxt; do
    [ -f "$n" ] && { NET="$n"; break; }
  done
fi
for mode in $([ "${SKIP_CAFFENET:-0}" = 1 ] || echo fp32 tf32); do
  export OMNIVORE_TF32=0; [ "$mode" = tf32 ] && export OMNIVORE_TF32=1
  step "caffenet_$mode" 75 "$OMNIVORE" time --model "$NET" --gpu 0 --iterations 10 --warmup 2 --no-peak
  grep -E 'Average Forward-Backward|Average Forward pass|Average Backward pass|images/s|Total Time|median' "$OUT/caffenet_$mode.log" \
    | tail -4 | sed "s/^/   $mode: /" | tee -a "$SUMMARY"
done
export OMNIVORE_TF32=0   # the steps below use FP32 on the GPU

# 4b. Only with KERNELS_B=DIR: the same CaffeNet TF32 timing with dist/cuda's kernels (A) and
# DIR's (B, a folder of .cu files and common.cuh), alternating, 3 rounds.
if [ -n "${KERNELS_B:-}" ] && need kernel_ab 40; then
  : >"$OUT/kernel_ab.log"
  for round in 1 2 3; do
    for side in A B; do
      src=""; [ "$side" = B ] && src="$KERNELS_B"
      OMNIVORE_TF32=1 OMNIVORE_CUDA_SOURCES="$src" timeout 60 "$OMNIVORE" time --model "$NET" --gpu 0 --iterations 10 \
        --warmup 2 --no-peak >"$OUT/kernel_ab_$side$round.log" 2>&1
      ips=$(sed -nE 's/.* ([0-9.]+) images\/s \(batch [0-9]+\).*/\1/p' "$OUT/kernel_ab_$side$round.log" | tail -1)
      echo "$side $round ${ips:-?}" >>"$OUT/kernel_ab.log"
    done
  done
  note "$(awk '{ v[$1] = v[$1] " " $3; if ($3 != "?") { n[$1]++; x[$1, n[$1]] = $3 } }
    END { for (k in n) { for (i = 1; i <= n[k]; i++) for (j = i + 1; j <= n[k]; j++) if (x[k, j] < x[k, i]) { t = x[k, i]; x[k, i] = x[k, j]; x[k, j] = t }
                         m[k] = x[k, int((n[k] + 1) / 2)] }
          printf "   kernel_ab (TF32 images/s per round): A%s; B%s; median B/A = %s", v["A"], v["B"], (m["A"] > 0 && m["B"] > 0) ? sprintf("%.3f", m["B"] / m["A"]) : "n/a" }' "$OUT/kernel_ab.log")"
fi
ours_gpu_ips() { # omnivore's images/s from `time`'s "Iteration (...), median: ... N images/s (batch B)" line
  [ -f "$OUT/caffenet_$1.log" ] && sed -nE 's/.* ([0-9.]+) images\/s \(batch [0-9]+\).*/\1/p' "$OUT/caffenet_$1.log" | tail -1
}

# 5. PyTorch trains the same CaffeNet b256 on the GPU, right after ours: FP32 (TF32 off), TF32
if ! off pytorch_gpu SKIP_PYTORCH && have_torch pytorch_gpu && need pytorch_gpu 30; then
  step pytorch_gpu 100 "$PYTHON" examples/scripts/pytorch_caffenet.py --device cuda --gpu 0 --modes fp32,tf32
  grep -E '^pytorch|^Traceback|Error' "$OUT/pytorch_gpu.log" | head -8 | sed 's/^/   /' | tee -a "$SUMMARY"
  for mode in fp32 tf32; do
    ratio "CaffeNet b256 GPU $mode" "$(ours_gpu_ips "$mode")" "$(pytorch_ips "$OUT/pytorch_gpu.log" cuda "$mode")"
  done
  note "   (omnivore: \`time\`, fwd+bwd+update, median of 10 iterations, synchronised after every layer; pytorch: eager, cuDNN, fwd+bwd+SGD step, median of 5 chunks of 10)"
fi

# 6. The scheduler on CaffeNet b256: CPU alone, GPU alone, CPU + GPU together, in one run
SCHED_SOLVER="${SCHED_SOLVER:-examples/bench/caffenet_synthetic_solver.prototxt}"
cores=$(nproc)
SCHED_DEVICES="${SCHED_DEVICES:-cpu:threads=$((cores > 4 ? cores - 2 : cores)),gpu:id=0}"
if ! off scheduler SKIP_SCHEDULER && need scheduler 45; then
  step scheduler 120 "$OMNIVORE" probe --solver "$SCHED_SOLVER" --devices "$SCHED_DEVICES" --compare \
    --iterations "${SCHED_ITERS:-3}" --repeat "${SCHED_REPEAT:-3}"
  # all but the log's info lines (the report; warnings and errors stay), then the probe's timing line
  grep -vE '^I[0-9]{4} ' "$OUT/scheduler.log" | grep -vE '^\s*$' | head -24 | sed 's/^/   /' | tee -a "$SUMMARY"
  grep -E '^I[0-9]{4} .*Scheduler probe:' "$OUT/scheduler.log" | head -1 | sed -E 's/^I[0-9]+ [0-9:.]+ +[0-9]+ [^]]*\] /   /' | tee -a "$SUMMARY"
  # How each replica exchanges data with the master, and the fully connected layers' mode.
  grep -E '^I[0-9]{4} .*Scheduler: (.* exchanges parameters|fully connected)' "$OUT/scheduler.log" | head -4 \
    | sed -E 's/^I[0-9]+ [0-9:.]+ +[0-9]+ [^]]*\] /   /' | tee -a "$SUMMARY"
  gpu_alone=$(sed -nE 's/^  gpu[0-9]+ alone +([0-9.e+]+) .*/\1/p' "$OUT/scheduler.log" | head -1)
  together=$(sed -nE 's/^  together \(probe split\) +([0-9.e+]+) .*/\1/p' "$OUT/scheduler.log" | head -1)
  if [ -n "$gpu_alone" ] && [ -n "$together" ]; then
    note "$(awk -v t="$together" -v g="$gpu_alone" -v d="$SCHED_DEVICES" 'BEGIN { printf "   scheduler (%s): together %.1f / GPU alone %.1f images/s = %.3f", d, t, g, t / g }')"
  else
    note "   scheduler: no together / GPU-alone figures in $OUT/scheduler.log"
  fi
fi

# 7. The CPU engine on all cores: batched (and packed, on AVX-512 CPUs) vs Caffe's strategy,
# side by side in one run
BENCH_NETS="${BENCH_NETS:-caffenet_synthetic_b256.prototxt,$ROOT/bench/scheduler/lenet_dummy_b64.prototxt}"
BENCH_MODES=batched,caffe
if grep -qw avx512f /proc/cpuinfo && grep -qw avx512dq /proc/cpuinfo && grep -qw avx512bw /proc/cpuinfo \
  && grep -qw avx512vl /proc/cpuinfo; then
  BENCH_MODES=packed,batched,caffe
fi
if ! off cpu_bench SKIP_CPU_BENCH && need cpu_bench 60; then
  step cpu_bench 120 "$OMNIVORE" bench --nets examples/bench --only "$BENCH_NETS" --modes "$BENCH_MODES" \
    --iterations "${BENCH_ITERS:-2}" --warmup 1 --rounds 1 --min-seconds 2 --out "$OUT/bench"
  grep -E '^Machine:|^== |Omnivore (packed|batched|caffe) \(measured\) +fwd\+bwd\+upd|/ Caffe-strategy ratio' "$OUT/cpu_bench.log" \
    | sed 's/^/   /' | tee -a "$SUMMARY"
fi

# 8. LeNet on the GPU resumed from step 3's snapshot to Caffe's 10,000 iterations (>= 99%)
LENET_FULL_ITERS="${LENET_FULL_ITERS:-10000}"
state="$OUT/lenet_gpu_iter_${LENET_ITERS:-1000}.solverstate"
if ! off lenet_full SKIP_LENET_FULL && need lenet_full 40; then
  if [ ! -f "$state" ]; then
    note "== lenet_full skipped: no snapshot $state from step 3"
  else
    sed -E -e "s/^max_iter: .*/max_iter: $LENET_FULL_ITERS/" -e "s/^test_interval: .*/test_interval: $(( (LENET_FULL_ITERS + 3) / 4 ))/" \
      "$OUT/lenet_gpu_solver.prototxt" >"$OUT/lenet_gpu_full_solver.prototxt"
    step lenet_full 100 "$OMNIVORE" train --solver "$OUT/lenet_gpu_full_solver.prototxt" --snapshot "$state"
    grep -E 'Iteration [0-9]+, Testing|Test net output #0' "$OUT/lenet_full.log" \
      | sed -E 's/^[IWEF][0-9]+ [0-9:.]+ +[0-9]+ [^]]*\] /   /' | tail -8 | tee -a "$SUMMARY"
    it=$(grep -E 'Iteration [0-9]+, Testing' "$OUT/lenet_full.log" | tail -1 | sed -E 's/.*Iteration ([0-9]+), Testing.*/\1/')
    acc=$(grep -E 'Test net output #[0-9]+: accuracy = ' "$OUT/lenet_full.log" | tail -1 | sed -E 's/.*accuracy = ([0-9.eE+-]+).*/\1/')
    if [ "${it:-}" = "$LENET_FULL_ITERS" ] && [ -n "$acc" ] && awk -v a="$acc" 'BEGIN { exit !(a >= 0.99) }'; then
      note "   PASS lenet_full: test accuracy $acc at iteration $it (want >= 0.99; Caffe: 0.9912)"
    else
      note "   FAIL lenet_full: test accuracy '${acc:-?}' at iteration '${it:-?}' (want >= 0.99 at $LENET_FULL_ITERS)"
    fi
  fi
fi

# 9. PyTorch's CaffeNet b256 on all CPU cores (lowest priority), beside step 7's batched figure
if ! off pytorch_cpu SKIP_PYTORCH_CPU && have_torch pytorch_cpu && need pytorch_cpu 30; then
  step pytorch_cpu 60 "$PYTHON" examples/scripts/pytorch_caffenet.py --device cpu --threads "$cores"
  grep -E '^pytorch|^Traceback|Error' "$OUT/pytorch_cpu.log" | head -6 | sed 's/^/   /' | tee -a "$SUMMARY"
  ours=$([ -f "$OUT/bench.csv" ] && awk -F, '$1 == "CaffeNet b256" && $3 == "batched" { print $11 }' "$OUT/bench.csv" | tail -1)
  ratio "CaffeNet b256 CPU ($cores threads), omnivore batched" "$ours" "$(pytorch_ips "$OUT/pytorch_cpu.log" cpu fp32)"
fi

# 10. Where a TF32 CaffeNet iteration's GPU time goes, kernel by kernel (Nsight Compute)
NCU="${NCU:-$(command -v ncu || ls /usr/local/cuda/bin/ncu 2>/dev/null | head -1)}"
if ! off profile SKIP_PROFILE; then
  if [ -z "$NCU" ]; then
    note "== profile not run: no ncu (Nsight Compute) on the PATH or in /usr/local/cuda/bin"
  elif need profile 60; then
    # SpeedOfLight: time and memory/compute throughput; WarpStateStats: why warps stall
    # (what a kernel at a few % of both, like MAX pooling backward, waits on)
    OMNIVORE_TF32=1 step profile 200 "$NCU" --clock-control none --section SpeedOfLight --section WarpStateStats --launch-count 400 \
      --print-summary per-kernel "$OMNIVORE" time --model "$NET" --gpu 0 --iterations 1 --warmup 0 --no-peak
    "$PYTHON" "$ROOT/examples/scripts/ncu_summary.py" "$OUT/profile.log" 14 2>&1 | sed 's/^/   /' | tee -a "$SUMMARY"
  fi
fi

note "gpu_check done in $(( $(date +%s) - BEGIN )) s; logs in $OUT"
grep -q '^   FAIL\|^== .* rc=[1-9]\|^== .* skipped' "$SUMMARY" && exit 1 || exit 0
