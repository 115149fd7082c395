"""Seconds per epoch of the engine (`orchestrator bench epoch --json`: training then validation, on random data whose two
never-augmented classes hold 70% of the images) against PyTorch's idiomatic fine-tuning loop on data of the same
shape: a torch Dataset that scales, resizes, augments the five minority classes (rotation, brightness, contrast) and
normalizes each image, a DataLoader (batch, shuffled), the backbone's frozen parameters with requires_grad=False
(the same tensors the engine freezes at that m, by name), BatchNorm in eval mode, cross entropy, Adam, and a
validation pass under torch.no_grad(). Both sides run the same number of epochs with the same thread count and report
the mean of the epochs after the first; both flush denormal floats to zero (random weights can produce them, and they
cost many times more on the CPU, by an amount that depends on the draw); measured interleaved (ours, then PyTorch) so that load falls on both.

Every measurement runs in a process of its own, PyTorch's twice: with glibc's malloc as it comes (what the idiomatic
loop gets) and with malloc told to keep freed memory (MALLOC_MMAP_THRESHOLD_ and MALLOC_TRIM_THRESHOLD_), which is
what the engine's own CPU allocator does; on a virtual machine the page faults of the first cost more than the
arithmetic, and the second isolates what the feature cache itself gains."""
import argparse, json, math, os, subprocess, sys, time

import torch
import torchvision.transforms.functional as TF
from torch import nn
from torch.utils.data import DataLoader, Dataset

sys.path.insert(0, __file__.rsplit("/", 1)[0])
from engine_vs_pytorch import CLASSES, SEVEN, head_of, torchvision_model, xception_model  # noqa: E402

MEAN, STD = [0.485, 0.456, 0.406], [0.229, 0.224, 0.225]
DEMO_SIZE = {"inception_v3": 80}


def label_of(i):
    r = i % 10
    return 0 if r < 4 else 1 if r < 7 else 2 + i % 5


class RandomImages(Dataset):
    def __init__(self, count, stored, size, offset, augment):
        g = torch.Generator().manual_seed(offset + 1)
        self.images = torch.randint(0, 256, (count, 1, stored, stored), dtype=torch.uint8, generator=g)
        self.labels = [label_of(offset + i) for i in range(count)]
        self.size, self.augment = size, augment
        self.mean, self.std = torch.tensor(MEAN).view(3, 1, 1), torch.tensor(STD).view(3, 1, 1)

    def __len__(self):
        return len(self.labels)

    def __getitem__(self, i):
        x = self.images[i].float().div(255)
        x = nn.functional.interpolate(x[None], size=(self.size, self.size), mode="bilinear", align_corners=False)[0]
        y = self.labels[i]
        if self.augment and y >= 2:
            x = TF.rotate(x, float(torch.empty(1).uniform_(-10, 10)))
            x = TF.adjust_contrast(TF.adjust_brightness(x, float(torch.empty(1).uniform_(0.9, 1.1))),
                                   float(torch.empty(1).uniform_(0.9, 1.1)))
        return (x.expand(3, -1, -1) - self.mean) / self.std, y


def pytorch_epochs(model, trainable, size, batch, train, val, epochs):
    head = head_of(model)
    names = set(trainable)
    for name, p in model.named_parameters():
        p.requires_grad_(name in names)
    for p in head.parameters():
        p.requires_grad_(True)
    optimizer = torch.optim.Adam([p for p in model.parameters() if p.requires_grad], lr=1e-3)
    train_loader = DataLoader(RandomImages(train, size, size, 0, True), batch_size=batch, shuffle=True)
    val_loader = DataLoader(RandomImages(val, size, size, train, False), batch_size=batch)
    times = []
    for _ in range(epochs):
        start = time.perf_counter()
        model.train()
        for m in model.modules():
            if isinstance(m, nn.BatchNorm2d):
                m.eval()
        for x, y in train_loader:
            loss = nn.functional.cross_entropy(model(x), y)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
        model.eval()
        with torch.no_grad():
            for x, y in val_loader:
                nn.functional.cross_entropy(model(x), y).item()
        times.append(time.perf_counter() - start)
    return sum(times[1:]) / (len(times) - 1)


def ours(cli, arch, size, batch, threads, train, val, unfrozen, epochs, cache):
    args = [cli, "bench", "epoch", "--arch", arch, "--size", str(size), "--batch", str(batch), "--threads", str(threads),
            "--train", str(train), "--val", str(val), "--unfrozen", str(unfrozen), "--epochs", str(epochs), "--json"]
    if not cache:
        args.append("--no-feature-cache")
    return json.loads(subprocess.run(args, check=True, capture_output=True, text=True).stdout)


KEEPING_MALLOC = {"MALLOC_MMAP_THRESHOLD_": str(1 << 30), "MALLOC_TRIM_THRESHOLD_": str(1 << 30)}


def peer(args, arch, size, trainable, keeping):
    """PyTorch's seconds per epoch, measured in a fresh process (no heap state carried over from another backbone)."""
    env = dict(os.environ, **KEEPING_MALLOC) if keeping else {k: v for k, v in os.environ.items() if k not in KEEPING_MALLOC}
    child = [sys.executable, __file__, "--cli", args.cli, "--xception-reference", args.xception_reference, "--batch",
             str(args.batch), "--threads", str(args.threads), "--train", str(args.train), "--val", str(args.val),
             "--epochs", str(args.epochs), "--peer", arch, "--peer-size", str(size)]
    out = subprocess.run(child, check=True, capture_output=True, text=True, env=env, input="\n".join(trainable))
    return float(out.stdout.strip().splitlines()[-1])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cli", required=True)
    ap.add_argument("--xception-reference", required=True)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--train", type=int, default=560)
    ap.add_argument("--val", type=int, default=70)
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--archs", default=",".join(["lightweight-cnn"] + SEVEN))
    ap.add_argument("--peer", help=argparse.SUPPRESS)  # child: PyTorch's epochs for this backbone, trainable names on stdin
    ap.add_argument("--peer-size", type=int, help=argparse.SUPPRESS)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(1)
    # As `bench epoch` does: random weights can drive activations into denormals, which cost many times more.
    torch.set_flush_denormal(True)
    if args.peer:
        model = xception_model(args.xception_reference) if args.peer == "xception" else torchvision_model(args.peer)
        trainable = [line for line in sys.stdin.read().splitlines() if line]
        print(pytorch_epochs(model, trainable, args.peer_size, args.batch, args.train, args.val, args.epochs))
        return 0
    print(f"batch {args.batch}, threads {args.threads}, {args.train} training + {args.val} validation images, "
          f"{args.epochs} epochs (mean of the epochs after the first); torch {torch.__version__}; "
          f"load average {open('/proc/loadavg').read().split()[0]} at the start", flush=True)
    print("| backbone | size | m of L | ours, cache on (s) | ours, cache off (s) | PyTorch (s) | PyTorch, keeping malloc (s) "
          "| cache on / PyTorch | cache off / PyTorch | cache on / PyTorch keeping | cache off / PyTorch keeping "
          "| hits / misses per epoch |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|", flush=True)
    for arch in args.archs.split(","):
        size = DEMO_SIZE.get(arch, 64)
        for unfrozen in ("0", "half", "all"):
            on = ours(args.cli, arch, size, args.batch, args.threads, args.train, args.val, unfrozen, args.epochs, True)
            # With every group trainable nothing is frozen and nothing cached: one run stands for both.
            off = on if unfrozen == "all" else ours(args.cli, arch, size, args.batch, args.threads, args.train, args.val,
                                                    unfrozen, args.epochs, False)
            if arch == "lightweight-cnn":
                pt = kept = math.nan
            else:
                trainable = on["trainableBackboneTensors"]
                pt = peer(args, arch, size, trainable, keeping=False)
                kept = peer(args, arch, size, trainable, keeping=True)
            secs = lambda x: "-" if math.isnan(x) else f"{x:.2f}"
            ratio = lambda x, y: "-" if math.isnan(y) else f"{x / y:.2f}"
            a, b = on["laterEpochSeconds"], off["laterEpochSeconds"]
            print(f"| {arch} | {size} | {on['unfrozen']} | {a:.2f} | {b:.2f} | {secs(pt)} | {secs(kept)} | {ratio(a, pt)} "
                  f"| {ratio(b, pt)} | {ratio(a, kept)} | {ratio(b, kept)} | {on['lastEpochHits']} / {on['lastEpochMisses']} |",
                  flush=True)
    print(f"load average {open('/proc/loadavg').read().split()[0]} at the end", flush=True)


if __name__ == "__main__":
    sys.exit(main())
