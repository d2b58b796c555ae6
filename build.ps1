# build.ps1: the same steps as build.sh, for PowerShell 7 (Linux; Windows needs the
# native library built with a compiler and OpenBLAS of your own).
#
#   ./build.ps1 demo     install what is missing, build, convert MNIST, train LeNet, report accuracy
#   ./build.ps1 test     install what is missing, build, run ctest and the NUnit tests
#   ./build.ps1 build    install what is missing and build
#   ./build.ps1 bench    build, measure the machine peak, run the macro benchmark (omnivore bench)
#   ./build.ps1 bundle   dist/: self-contained trimmed publish, the native library and the shared libraries it needs
#   ./build.ps1 deps     only check and install the system packages
param([string]$Command = 'build', [Parameter(ValueFromRemainingArguments)][string[]]$BenchArgs = @())

$ErrorActionPreference = 'Stop'
Set-Location $PSScriptRoot
$Config = if ($env:OMNIVORE_CONFIG) { $env:OMNIVORE_CONFIG } else { 'Release' }
$AptPackages = @('cmake', 'g++', 'make', 'libopenblas-dev', 'liblmdb-dev')
$CliProject = 'managed/Omnivore.Cli/Omnivore.Cli.csproj'
$TestProject = 'tests/Omnivore.Tests/Omnivore.Tests.csproj'
$CliOut = "managed/Omnivore.Cli/bin/$Config/net10.0"

function Say([string]$Text) { Write-Host "== $Text" }
function Fail([string]$Text) { Write-Host "build.ps1: error: $Text" -ForegroundColor Red; exit 1 }
function Invoke-Checked([string]$Exe, [string[]]$Arguments) {
    & $Exe @Arguments
    if ($LASTEXITCODE -ne 0) { Fail "$Exe $($Arguments -join ' ') failed (exit $LASTEXITCODE)" }
}

function Install-Deps {
    if ($IsLinux) {
        if (-not (Get-Command dpkg-query -ErrorAction SilentlyContinue)) {
            Fail "this script expects Debian or Ubuntu (dpkg); install $($AptPackages -join ' ') by hand"
        }
        $missing = @($AptPackages | Where-Object {
            (& dpkg-query -W -f='${Status}' $_ 2>$null) -notmatch 'install ok installed' })
        if ($missing.Count -gt 0) {
            if ((& id -u) -eq '0') {
                Say "installing: $($missing -join ' ')"
                $env:DEBIAN_FRONTEND = 'noninteractive'
                & apt-get update -qq
                Invoke-Checked apt-get (@('install', '-y', '-qq') + $missing)
            } else {
                Fail "missing system packages: $($missing -join ' ')`n  install them with:  sudo apt-get install -y $($missing -join ' ')"
            }
        }
    }
    if (-not (Get-Command dotnet -ErrorAction SilentlyContinue)) {
        Fail "the .NET 10 SDK (dotnet) is not installed; see https://learn.microsoft.com/dotnet/core/install/"
    }
    if (-not ((& dotnet --list-sdks) -match '^10\.')) { Fail 'dotnet has no .NET 10 SDK; install SDK 10.0' }
}

function Build-Native {
    Say "native library (cmake, $Config)"
    Invoke-Checked cmake @('-S', 'native', '-B', 'build/native', "-DCMAKE_BUILD_TYPE=$Config")
    Invoke-Checked cmake @('--build', 'build/native', "-j$([Environment]::ProcessorCount)")
}

function Build-Managed {
    Say "managed code (dotnet build -c $Config)"
    Invoke-Checked dotnet @('build', 'Omnivore.sln', '-c', $Config, '-nologo', '-v', 'quiet', '-clp:ErrorsOnly')
}

function Build-All { Install-Deps; Build-Native; Build-Managed }

function Invoke-Tests {
    Build-All
    Say 'native tests (ctest)'
    Invoke-Checked ctest @('--test-dir', 'build/native', '--output-on-failure')
    Say 'managed tests (NUnit)'
    Invoke-Checked dotnet @('test', $TestProject, '-c', $Config, '--no-build', '-nologo', '-v', 'quiet',
        '--logger', 'console;verbosity=normal')
}

function Invoke-Demo {
    Build-All
    $omnivore = Join-Path $CliOut 'omnivore'
    if (-not (Test-Path examples/mnist/mnist_train_lmdb) -or -not (Test-Path examples/mnist/mnist_test_lmdb)) {
        Say 'converting the shipped MNIST to LMDB'
        Remove-Item -Recurse -Force -ErrorAction SilentlyContinue examples/mnist/mnist_train_lmdb, examples/mnist/mnist_test_lmdb
        Invoke-Checked $omnivore @('convert', 'mnist', '--data', 'examples/mnist/data', '--out', 'examples/mnist')
    }
    Say 'training LeNet on MNIST (examples/mnist/lenet_solver.prototxt, 10,000 iterations)'
    New-Item -ItemType Directory -Force build | Out-Null
    $log = 'build/demo-lenet.log'
    $watch = [Diagnostics.Stopwatch]::StartNew()
    & $omnivore train --solver examples/mnist/lenet_solver.prototxt 2>&1 | Tee-Object -FilePath $log
    if ($LASTEXITCODE -ne 0) { Fail "training failed (exit $LASTEXITCODE)" }
    $seconds = [int]$watch.Elapsed.TotalSeconds
    $line = Select-String -Path $log -Pattern 'Test net output #\d+: accuracy = ([0-9.eE+-]+)' | Select-Object -Last 1
    if (-not $line) { Fail "no test accuracy in $log" }
    $acc = [double]::Parse($line.Matches[0].Groups[1].Value, [Globalization.CultureInfo]::InvariantCulture)
    Say "LeNet on MNIST: final test accuracy $acc after 10,000 iterations, $seconds s wall on $([Environment]::ProcessorCount) cores"
    if ($acc -lt 0.99) { Fail "accuracy $acc is below the expected 0.99" }
}

function Invoke-Bench {
    Build-All
    $omnivore = Join-Path $CliOut 'omnivore'
    Say 'machine peak (omnivore probe; cached in ~/.cache/omnivore)'
    Invoke-Checked $omnivore @('probe')
    Say 'macro benchmark (omnivore bench)'
    Invoke-Checked $omnivore (@('bench') + $BenchArgs)
}

function Invoke-Bundle {
    Build-All
    Say 'self-contained trimmed publish (linux-x64) into dist/'
    Remove-Item -Recurse -Force -ErrorAction SilentlyContinue dist
    Invoke-Checked dotnet @('publish', $CliProject, '-c', 'Release', '-r', 'linux-x64', '--self-contained', 'true',
        '-p:PublishTrimmed=true', '-p:OmnivoreBundle=true', '-o', 'dist', '-nologo', '-v', 'quiet', '-clp:ErrorsOnly')
    Copy-Item build/native/libomnivore_native.so dist/
    # The shared libraries the native library and LMDB need (libomnivore_native has RPATH $ORIGIN).
    $deps = (& ldd build/native/libomnivore_native.so) + (& ldconfig -p)
    foreach ($lib in @('libopenblas.so.0', 'libgfortran.so.5', 'libquadmath.so.0', 'libgomp.so.1', 'liblmdb.so.0')) {
        $line = $deps | Where-Object { $_ -match "^\s*$([regex]::Escape($lib))\s.*=>\s*(/\S+)" } | Select-Object -First 1
        if (-not $line) { Fail "cannot find $lib to bundle" }
        $null = $line -match '=>\s*(/\S+)'
        Copy-Item -Path (Resolve-Path $Matches[1]) -Destination "dist/$lib"
    }
    if (Test-Path native/cuda/*.cu) { New-Item -ItemType Directory -Force dist/cuda | Out-Null; Copy-Item native/cuda/*.cu dist/cuda/ }
    Remove-Item -ErrorAction SilentlyContinue dist/*.pdb, dist/*.dbg
    Say 'bundle ready in dist/ (run dist/omnivore)'
}

switch ($Command) {
    'deps' { Install-Deps }
    'build' { Build-All }
    'test' { Invoke-Tests }
    'demo' { Invoke-Demo }
    'bench' { Invoke-Bench }
    'bundle' { Invoke-Bundle }
    default { Fail "unknown command '$Command' (use: demo, test, build, bench, bundle, deps)" }
}
