#!/usr/bin/env bash
# build.sh: set-up, build, test, demo and bundle for Omnivore on Debian/Ubuntu.
#
#   ./build.sh demo     install what is missing, build, convert the shipped MNIST and train
#                       Caffe's LeNet recipe (10,000 iterations), then report test accuracy
#   ./build.sh test     install what is missing, build, run the native (ctest) and managed
#                       (NUnit) tests
#   ./build.sh build    install what is missing and build (native library + managed code)
#   ./build.sh bench    build, then run the macro benchmark (`omnivore bench`): CaffeNet b64 and
#                       b256 and LeNet b64 training iterations in every convolution mode, images/s,
#                       GFLOP/s, % of the machine's sgemm peak, beside Caffe's recorded figures;
#                       extra arguments go to `omnivore bench` (e.g. --iterations 10)
#   ./build.sh bundle   dist/: a self-contained, trimmed `omnivore` plus the native library
#                       and the shared libraries it needs (OpenBLAS, libgomp, LMDB), for
#                       x86-64 Linux machines without .NET (e.g. a GPU node)
#   ./build.sh deps     only check and install the system packages
#
# Packages are installed with apt-get when running as root; otherwise the script names
# the missing packages and stops.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$ROOT"
CONFIG="${OMNIVORE_CONFIG:-Release}"
APT_PACKAGES=(cmake g++ make libopenblas-dev liblmdb-dev)
CLI_PROJECT=managed/Omnivore.Cli/Omnivore.Cli.csproj
TEST_PROJECT=tests/Omnivore.Tests/Omnivore.Tests.csproj
CLI_OUT="managed/Omnivore.Cli/bin/$CONFIG/net10.0"

say() { printf '== %s\n' "$*"; }
die() { printf 'build.sh: error: %s\n' "$*" >&2; exit 1; }

missing_packages() {
  local missing=()
  for p in "${APT_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  echo "${missing[@]:-}"
}

deps() {
  command -v dpkg-query >/dev/null || die "this script expects Debian or Ubuntu (dpkg); install ${APT_PACKAGES[*]} by hand"
  local missing
  missing="$(missing_packages)"
  if [ -n "$missing" ]; then
    if [ "$(id -u)" -eq 0 ]; then
      say "installing: $missing"
      export DEBIAN_FRONTEND=noninteractive
      apt-get update -qq || true
      # shellcheck disable=SC2086
      apt-get install -y -qq $missing >/dev/null || die "apt-get could not install: $missing"
    else
      die "missing system packages: $missing
  install them with:  sudo apt-get install -y $missing
  (or run this script as root, and it installs them)"
    fi
  fi
  if ! command -v dotnet >/dev/null; then
    die "the .NET 10 SDK (dotnet) is not installed.
  Install it from Microsoft's package feed, for example:
    https://learn.microsoft.com/dotnet/core/install/linux-debian
  or with the official script:  curl -sSL https://dot.net/v1/dotnet-install.sh | bash -s -- --channel 10.0"
  fi
  dotnet --list-sdks | grep -q '^10\.' || die "dotnet is installed but has no .NET 10 SDK (dotnet --list-sdks); install SDK 10.0"
}

native() {
  say "native library (cmake, $CONFIG)"
  cmake -S native -B build/native -DCMAKE_BUILD_TYPE="$CONFIG" >/dev/null
  cmake --build build/native -j"$(nproc)" >/dev/null
}

managed() {
  say "managed code (dotnet build -c $CONFIG)"
  dotnet build Omnivore.sln -c "$CONFIG" -nologo -v quiet -clp:ErrorsOnly
}

build() { deps; native; managed; }

run_tests() {
  build
  say "native tests (ctest)"
  ctest --test-dir build/native --output-on-failure
  say "managed tests (NUnit)"
  dotnet test "$TEST_PROJECT" -c "$CONFIG" --no-build -nologo -v quiet --logger "console;verbosity=normal"
}

demo() {
  build
  local omnivore="$CLI_OUT/omnivore"
  if [ ! -d examples/mnist/mnist_train_lmdb ] || [ ! -d examples/mnist/mnist_test_lmdb ]; then
    say "converting the shipped MNIST to LMDB"
    rm -rf examples/mnist/mnist_train_lmdb examples/mnist/mnist_test_lmdb
    "$omnivore" convert mnist --data examples/mnist/data --out examples/mnist
  fi
  say "training LeNet on MNIST (examples/mnist/lenet_solver.prototxt, 10,000 iterations)"
  local log=build/demo-lenet.log start end
  mkdir -p build
  start=$(date +%s)
  "$omnivore" train --solver examples/mnist/lenet_solver.prototxt 2>&1 | tee "$log"
  end=$(date +%s)
  local acc
  acc=$(grep -E 'Test net output #[0-9]+: accuracy = ' "$log" | tail -1 | sed -E 's/.*accuracy = ([0-9.eE+-]+).*/\1/')
  [ -n "$acc" ] || die "no test accuracy in $log"
  say "LeNet on MNIST: final test accuracy $acc after 10,000 iterations, $((end - start)) s wall on $(nproc) cores"
  say "weights: examples/mnist/lenet_iter_10000.caffemodel   log: $log"
  awk -v a="$acc" 'BEGIN { exit !(a >= 0.99) }' || die "accuracy $acc is below the expected 0.99"
}

bench() {
  build
  local omnivore="$ROOT/$CLI_OUT/omnivore"
  say "machine peak (omnivore probe; cached in ~/.cache/omnivore)"
  "$omnivore" probe
  say "macro benchmark (omnivore bench $*)"
  "$omnivore" bench "$@"
}

# Shared libraries the native library and LMDB binding need, copied into dist/ so the
# bundle runs where they are not installed (libomnivore_native carries RPATH $ORIGIN).
# OpenBLAS itself is linked in statically (see OMNIVORE_STATIC_OPENBLAS).
BUNDLED_LIBS=(libgomp.so.1 liblmdb.so.0)

bundle() {
  build
  say "self-contained trimmed publish (linux-x64) into dist/"
  rm -rf dist
  dotnet publish "$CLI_PROJECT" -c Release -r linux-x64 --self-contained true -p:PublishTrimmed=true -p:OmnivoreBundle=true \
    -o dist -nologo -v quiet -clp:ErrorsOnly
  say "native library with OpenBLAS linked in (build/native-bundle)"
  cmake -S native -B build/native-bundle -DCMAKE_BUILD_TYPE=Release -DOMNIVORE_STATIC_OPENBLAS=ON -DBUILD_TESTING=OFF >/dev/null
  cmake --build build/native-bundle -j"$(nproc)" >/dev/null
  cp build/native-bundle/libomnivore_native.so dist/
  # (awk reads all of ldconfig's output, without `exit`: an early exit can kill ldconfig
  # with SIGPIPE, which pipefail turns into a failed bundle)
  local deps
  deps="$(ldd build/native-bundle/libomnivore_native.so; ldd "$(ldconfig -p | awk '/liblmdb.so.0 / && !f {print $NF; f = 1}')")"
  for lib in "${BUNDLED_LIBS[@]}"; do
    local path
    path="$(awk -v l="$lib" '$1 == l && $3 ~ /^\// {print $3; exit}' <<<"$deps")"
    [ -n "$path" ] || path="$(ldconfig -p | awk -v l="$lib" '$1 == l && !f {print $NF; f = 1}')"
    [ -n "$path" ] || die "cannot find $lib to bundle"
    cp -L "$path" "dist/$lib"
  done
  if [ -d native/cuda ] && ls native/cuda/*.cu >/dev/null 2>&1; then mkdir -p dist/cuda && cp native/cuda/*.cu dist/cuda/; fi
  # debugger and alternative-GC pieces of the runtime that a training run never loads
  rm -f dist/*.pdb dist/*.dbg dist/libmscordaccore.so dist/libmscordbi.so dist/createdump \
        dist/libcoreclrtraceptprovider.so dist/libclrgc.so dist/libclrgcexp.so
  say "bundle: $(du -sh dist | cut -f1) in dist/ (run dist/omnivore)"
}

case "${1:-build}" in
  deps) deps ;;
  build) build ;;
  test) run_tests ;;
  demo) demo ;;
  bench) shift; bench "$@" ;;
  bundle) bundle ;;
  -h|--help|help) sed -n '2,18p' "$0" ;;
  *) die "unknown command '$1' (use: demo, test, build, bench, bundle, deps)" ;;
esac
