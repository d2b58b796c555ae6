#!/usr/bin/env python3
# ncu_summary.py: the GPU time of one training iteration by kernel, from Nsight Compute's
# `--print-summary per-kernel` output (gpu_check.sh's profile step). Prints each kernel's
# total time (invocations x mean duration), its share of the kernels' total, and cuBLAS's
# GEMM kernels (sm90_xmma_*, cutlass_*, ...) folded into one line. ncu runs the kernels one
# at a time, so the total is the iteration's kernel time without overlap.
# Usage: ncu_summary.py NCU_LOG [TOP]
import re
import sys


def kernels(lines):
    name = None
    count = 0
    for line in lines:
        m = re.match(r"^  (\S.*?) \(\d+, \d+, \d+\)x\(\d+, \d+, \d+\), .*Invocations (\d+)", line)
        if m:
            name, count = m.group(1), int(m.group(2))
            continue
        m = re.match(r"^\s+Duration\s+(\S+)\s+([\d.,]+)\s+([\d.,]+)\s+([\d.,]+)", line)
        if m and name is not None:
            scale = {"ns": 1e-3, "us": 1.0, "ms": 1e3, "s": 1e6}.get(m.group(1), 1.0)
            yield name, count, float(m.group(4).replace(",", "")) * scale
            name = None


def main():
    if len(sys.argv) < 2:
        sys.exit("usage: ncu_summary.py NCU_LOG [TOP]")
    top = int(sys.argv[2]) if len(sys.argv) > 2 else 15
    with open(sys.argv[1], errors="replace") as f:
        rows = list(kernels(f))
    if not rows:
        sys.exit(f"no per-kernel summary in {sys.argv[1]}")
    totals = {}
    for name, count, mean_us in rows:
        gemm = not name.startswith("omk_") and ("gemm" in name or "cutlass" in name or "xmma" in name)
        key = "GEMM (cuBLAS)" if gemm else name.split("(")[0].replace("void ", "")
        calls, us = totals.get(key, (0, 0.0))
        totals[key] = (calls + count, us + count * mean_us)
    whole = sum(us for _, us in totals.values())
    print(f"kernel time by kernel: {whole / 1000:.2f} ms in all")
    for key, (calls, us) in sorted(totals.items(), key=lambda kv: -kv[1][1])[:top]:
        print(f"  {us / 1000:7.2f} ms {100 * us / whole:5.1f}%  {calls:4d} calls  {key}")


if __name__ == "__main__":
    main()
