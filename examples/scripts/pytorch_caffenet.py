#!/usr/bin/env python3
# pytorch_caffenet.py: PyTorch trains the same network as
# examples/bench/caffenet_synthetic_b256.prototxt (CaffeNet on synthetic DummyData input), so
# gpu_check.sh can print PyTorch's training images/s beside Omnivore's from the same machine
# and run. Needs only torch (no torchvision). One line per configuration on stdout:
#
#   pytorch caffenet b256 cuda fp32: 1234.5 images/s (median of 5 x 10 iterations; ...)
#
# The network, layer by layer as in the prototxt: conv1 96 11x11 stride 4, ReLU, max pool
# 3/2, LRN; conv2 256 5x5 pad 2 group 2, ReLU, max pool 3/2, LRN; conv3 384 3x3 pad 1, ReLU;
# conv4 384 3x3 pad 1 group 2, ReLU; conv5 256 3x3 pad 1 group 2, ReLU, max pool 3/2;
# fc6 4096, ReLU, dropout 0.5; fc7 4096, ReLU, dropout 0.5; fc8 1000; softmax cross-entropy
# (mean over the batch, as SoftmaxWithLoss). 60,965,224 parameters, as Caffe's CaffeNet.
#  - LRN: Caffe's ACROSS_CHANNELS LRN computes x / (k + alpha/n * sum of x^2 over n channels
#    centred on c)^beta with k = 1; torch.nn.LocalResponseNorm(n, alpha, beta, k) divides
#    alpha by n too and pads the channel window by n/2 on both sides for n = 5, so
#    LocalResponseNorm(5, alpha=1e-4, beta=0.75, k=1) is the same function.
#  - Pooling uses ceil_mode=True (Caffe's rule); for these sizes (55->27, 27->13, 13->6) it
#    gives the same shapes as floor.
#  - Fillers as the prototxt (gaussian std 0.01, fc6/fc7 0.005, biases 0); the input is
#    256x3x227x227 N(0,1) kept on the device and refilled every iteration, as DummyData does
#    for a non-constant filler (--static-data fills it once); labels are the constant 3.
#  - SGD, momentum 0.9, weight decay 5e-4 on weights; biases at lr x 2 and no decay (the
#    prototxt's lr_mult/decay_mult). torch's SGD keeps v = mu v + g and steps lr v, Caffe
#    v = mu v + lr g: the same with a fixed learning rate.
#  - Timed: forward + backward + optimizer step (zero_grad included), i.e. Omnivore's
#    "fwd+bwd+update" figure; warm-up iterations first (cudnn.benchmark picks its algorithms
#    there), then chunks of iterations between torch.cuda.synchronize() calls; the line
#    gives the median chunk's images/s and every chunk.
#  - fp32: TF32 off for cuBLAS matmuls and cuDNN convolutions; tf32: on. PyTorch >= 2.9 has
#    a new per-backend API (torch.backends.cuda.matmul.fp32_precision,
#    torch.backends.cudnn.conv.fp32_precision = "ieee" | "tf32") and raises when the legacy
#    flags (torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32) are mixed
#    with it, so the new API is used where it exists and the legacy flags otherwise.
#
# Usage:
#   python3 examples/scripts/pytorch_caffenet.py [--device cuda] [--modes fp32,tf32]
#   python3 examples/scripts/pytorch_caffenet.py --device cpu --threads 16
# Exit codes: 0 measured; 2 bad arguments; 3 torch is not importable; 4 torch sees no CUDA
# device; 1 anything else (a traceback follows).
import argparse
import statistics
import sys
import time

EXIT_NO_TORCH = 3
EXIT_NO_CUDA = 4
CAFFENET_PARAMETERS = 60_965_224
PREFIX = "pytorch_caffenet"

# Defaults per device: (warm-up iterations, timed chunks, iterations per chunk). On the CPU
# an iteration of batch 256 takes about a second or more, hence few.
DEFAULTS = {"cuda": (5, 5, 10), "cpu": (1, 3, 1)}


def parse_args(argv):
    p = argparse.ArgumentParser(
        prog="pytorch_caffenet.py",
        description="PyTorch training images/s of CaffeNet (examples/bench/caffenet_synthetic_b256.prototxt)")
    p.add_argument("--device", choices=["cuda", "cpu"], default="cuda", help="where to train (default cuda)")
    p.add_argument("--gpu", type=int, default=0, help="CUDA device index (default 0)")
    p.add_argument("--modes", default=None,
                   help="comma-separated fp32,tf32 (default: both on cuda, fp32 on cpu; tf32 is cuda-only)")
    p.add_argument("--batch", type=int, default=256, help="images per iteration (default 256)")
    p.add_argument("--warmup", type=int, default=None, help="untimed iterations per mode (cuda 5, cpu 1)")
    p.add_argument("--chunks", type=int, default=None, help="timed chunks per mode; the median is reported (cuda 5, cpu 3)")
    p.add_argument("--iterations", type=int, default=None, help="iterations per timed chunk (cuda 10, cpu 1)")
    p.add_argument("--threads", type=int, default=None, help="torch CPU threads (torch.set_num_threads)")
    p.add_argument("--static-data", action="store_true", help="fill the input once instead of every iteration")
    p.add_argument("--seed", type=int, default=1, help="torch.manual_seed (default 1)")
    a = p.parse_args(argv)
    warmup, chunks, iterations = DEFAULTS[a.device]
    a.warmup = warmup if a.warmup is None else a.warmup
    a.chunks = chunks if a.chunks is None else a.chunks
    a.iterations = iterations if a.iterations is None else a.iterations
    a.modes = [m.strip() for m in (a.modes or ("fp32,tf32" if a.device == "cuda" else "fp32")).split(",") if m.strip()]
    for m in a.modes:
        if m not in ("fp32", "tf32"):
            p.error(f"--modes: unknown mode '{m}' (known: fp32, tf32)")
        if m == "tf32" and a.device != "cuda":
            p.error("--modes: tf32 needs --device cuda")
    if not a.modes:
        p.error("--modes names no mode")
    if a.batch < 1 or a.chunks < 1 or a.iterations < 1 or a.warmup < 0:
        p.error("--batch, --chunks and --iterations must be >= 1 and --warmup >= 0")
    if a.threads is not None and a.threads < 1:
        p.error("--threads must be >= 1")
    if a.gpu < 0:
        p.error("--gpu must be >= 0")
    return a


def caffenet(nn):
    """CaffeNet as in the prototxt, one nn.Sequential (layer order and parameters as Caffe's)."""
    def conv(cin, cout, k, stride=1, pad=0, groups=1, std=0.01):
        c = nn.Conv2d(cin, cout, k, stride=stride, padding=pad, groups=groups)
        nn.init.normal_(c.weight, 0.0, std)
        nn.init.zeros_(c.bias)
        return c

    def fc(cin, cout, std):
        f = nn.Linear(cin, cout)
        nn.init.normal_(f.weight, 0.0, std)
        nn.init.zeros_(f.bias)
        return f

    def pool():
        return nn.MaxPool2d(3, stride=2, ceil_mode=True)

    def lrn():
        return nn.LocalResponseNorm(5, alpha=1e-4, beta=0.75, k=1.0)

    return nn.Sequential(
        conv(3, 96, 11, stride=4), nn.ReLU(inplace=True), pool(), lrn(),                 # conv1 relu1 pool1 norm1
        conv(96, 256, 5, pad=2, groups=2), nn.ReLU(inplace=True), pool(), lrn(),         # conv2 relu2 pool2 norm2
        conv(256, 384, 3, pad=1), nn.ReLU(inplace=True),                                 # conv3 relu3
        conv(384, 384, 3, pad=1, groups=2), nn.ReLU(inplace=True),                       # conv4 relu4
        conv(384, 256, 3, pad=1, groups=2), nn.ReLU(inplace=True), pool(),               # conv5 relu5 pool5
        nn.Flatten(),
        fc(256 * 6 * 6, 4096, 0.005), nn.ReLU(inplace=True), nn.Dropout(0.5),           # fc6 relu6 drop6
        fc(4096, 4096, 0.005), nn.ReLU(inplace=True), nn.Dropout(0.5),                  # fc7 relu7 drop7
        fc(4096, 1000, 0.01))                                                            # fc8


def set_tf32(torch, on):
    """TF32 for cuBLAS matmuls and cuDNN convolutions on or off; returns how it was set."""
    b = torch.backends
    if hasattr(b.cuda.matmul, "fp32_precision") and hasattr(b.cudnn, "conv"):
        mode = "tf32" if on else "ieee"
        b.cuda.matmul.fp32_precision = mode
        # cuDNN as a whole, then its conv and rnn settings, so none is left disagreeing
        # (PyTorch reports a disagreement between them as a mix of the two APIs).
        for target in (b.cudnn, b.cudnn.conv, getattr(b.cudnn, "rnn", None)):
            if target is not None and hasattr(target, "fp32_precision"):
                target.fp32_precision = mode
        return f"cuda.matmul.fp32_precision={b.cuda.matmul.fp32_precision} cudnn.conv.fp32_precision={b.cudnn.conv.fp32_precision}"
    b.cuda.matmul.allow_tf32 = on
    b.cudnn.allow_tf32 = on
    return f"cuda.matmul.allow_tf32={b.cuda.matmul.allow_tf32} cudnn.allow_tf32={b.cudnn.allow_tf32}"


def main(argv):
    a = parse_args(argv)
    try:
        import torch
        import torch.nn as nn
    except Exception as e:  # ImportError, or a broken install failing while it loads
        print(f"{PREFIX}: unavailable: torch is not importable for {sys.executable}: {e}", flush=True)
        return EXIT_NO_TORCH
    if a.device == "cuda" and not torch.cuda.is_available():
        print(f"{PREFIX}: unavailable: torch {torch.__version__} (CUDA build {torch.version.cuda}) sees no CUDA device "
              "(torch.cuda.is_available() is False)", flush=True)
        return EXIT_NO_CUDA
    if a.device == "cuda" and a.gpu >= torch.cuda.device_count():
        print(f"{PREFIX}: unavailable: no CUDA device {a.gpu} (torch sees {torch.cuda.device_count()})", flush=True)
        return EXIT_NO_CUDA
    if a.threads is not None:
        torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)

    if a.device == "cuda":
        dev = torch.device(f"cuda:{a.gpu}")
        torch.cuda.set_device(dev)
        torch.backends.cudnn.benchmark = True

        def sync():
            torch.cuda.synchronize(dev)

        cap = torch.cuda.get_device_capability(dev)
        where = (f"{torch.cuda.get_device_name(dev)} (compute capability {cap[0]}.{cap[1]}), CUDA {torch.version.cuda}, "
                 f"cuDNN {torch.backends.cudnn.version()}, cudnn.benchmark on")
    else:
        dev = torch.device("cpu")

        def sync():
            pass

        where = f"CPU, {torch.get_num_threads()} threads, oneDNN {'on' if torch.backends.mkldnn.is_available() else 'off'}"

    model = caffenet(nn).to(dev)
    model.train()
    params = sum(int(p.numel()) for p in model.parameters())
    loss_fn = nn.CrossEntropyLoss()
    weights = [p for p in model.parameters() if p.dim() > 1]
    biases = [p for p in model.parameters() if p.dim() <= 1]
    opt = torch.optim.SGD([{"params": weights, "lr": 0.01, "weight_decay": 5e-4},
                           {"params": biases, "lr": 0.02, "weight_decay": 0.0}], lr=0.01, momentum=0.9)
    x = torch.empty(a.batch, 3, 227, 227, device=dev).normal_(0.0, 1.0)
    y = torch.full((a.batch,), 3, dtype=torch.long, device=dev)

    def step():
        if not a.static_data:
            x.normal_(0.0, 1.0)
        loss = loss_fn(model(x), y)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        return loss

    print(f"{PREFIX}: torch {torch.__version__} on {where}; CaffeNet {params} parameters "
          f"(Caffe's: {CAFFENET_PARAMETERS}{'' if params == CAFFENET_PARAMETERS else ', DIFFERENT'}); batch {a.batch}; "
          f"input {'filled once' if a.static_data else 'refilled N(0,1) every iteration'}; "
          f"{a.warmup} warm-up + {a.chunks} x {a.iterations} timed iterations per mode", flush=True)
    for mode in a.modes:
        how = set_tf32(torch, mode == "tf32") if a.device == "cuda" else "no TF32 on the CPU"
        t0 = time.perf_counter()
        for i in range(a.warmup):
            loss = step()
            if i == 0:
                sync()
                print(f"{PREFIX}: {mode}: first iteration {time.perf_counter() - t0:.2f} s, loss {float(loss.item()):.4f} "
                      "(ln 1000 = 6.9078 expected at the start)", flush=True)
        sync()
        rates = []
        for _ in range(a.chunks):
            sync()
            start = time.perf_counter()
            for _ in range(a.iterations):
                loss = step()
            sync()
            rates.append(a.batch * a.iterations / max(time.perf_counter() - start, 1e-9))
        median = statistics.median(rates)
        print(f"pytorch caffenet b{a.batch} {a.device} {mode}: {median:.1f} images/s "
              f"(median of {a.chunks} x {a.iterations} iterations; chunks {' '.join(f'{r:.1f}' for r in rates)}; "
              f"{1000 * a.batch / median:.1f} ms/iteration; loss {float(loss.item()):.4f}; {how})", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
