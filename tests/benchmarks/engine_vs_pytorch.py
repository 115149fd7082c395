"""Engine vs PyTorch throughput, per backbone, measured interleaved (ours, then PyTorch) so that load from other
processes affects both alike. PyTorch runs what a user would write: torchvision models with the head replaced by
global average pooling + Linear(D, 7) as our head, BatchNorm in eval mode during training (as the engine keeps it),
cross entropy, backward, Adam step, zero_grad(set_to_none=True); inference under torch.no_grad() in eval mode.
Both sides time `steps` batches after one untimed warm-up batch, with the same thread count; with --rounds R the
pair is measured R times in turn and each figure is the best of its R (load from other processes only slows)."""
import argparse, json, re, subprocess, sys, textwrap, time

import torch
import torchvision
from torch import nn

CLASSES = 7
SEVEN = ["xception", "densenet121", "efficientnet_v2_s", "inception_v3", "mobilenet_v2", "resnet50", "vgg16"]


def xception_model(reference_cs):
    # The legacy-xception reference of the parity tests, kept in one place (a C# raw string literal).
    source = open(reference_cs).read()
    python = textwrap.dedent(re.search(r'Python = """\n(.*?)\n\s*""";', source, re.S).group(1))
    scope = {"torch": torch}
    exec(python, scope)
    model = scope["model"]
    model.fc = nn.Linear(2048, CLASSES)
    model.forward = lambda x: model.fc(torch.flatten(nn.functional.adaptive_avg_pool2d(model.forward_features(x), 1), 1))
    return model


def torchvision_model(arch):
    if arch == "inception_v3":
        model = torchvision.models.inception_v3(weights=None, aux_logits=False, init_weights=False, transform_input=True)
        model.fc = nn.Linear(2048, CLASSES)
    elif arch == "resnet50":
        model = torchvision.models.resnet50(weights=None)
        model.fc = nn.Linear(2048, CLASSES)
    elif arch == "densenet121":
        model = torchvision.models.densenet121(weights=None)
        model.classifier = nn.Linear(1024, CLASSES)
    elif arch in ("mobilenet_v2", "efficientnet_v2_s"):
        model = getattr(torchvision.models, arch)(weights=None)
        model.classifier = nn.Linear(1280, CLASSES)
    elif arch == "vgg16":
        model = torchvision.models.vgg16(weights=None)
        model.avgpool = nn.AdaptiveAvgPool2d(1)
        model.classifier = nn.Linear(512, CLASSES)
    else:
        raise ValueError(arch)
    return model


def head_of(model):
    for name in ("fc", "classifier"):
        if isinstance(getattr(model, name, None), nn.Linear):
            return getattr(model, name)
    raise ValueError("no head")


def pytorch_rates(model, size, batch, steps):
    x = torch.randn(batch, 3, size, size)
    y = torch.arange(batch) % CLASSES

    def train_rate(params):
        optimizer = torch.optim.Adam(params, lr=1e-3)
        model.train()
        for m in model.modules():
            if isinstance(m, nn.BatchNorm2d):
                m.eval()

        def step():
            loss = nn.functional.cross_entropy(model(x), y)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            loss.item()

        step()  # warm-up
        start = time.perf_counter()
        for _ in range(steps):
            step()
        return batch * steps / (time.perf_counter() - start)

    train_all = train_rate(list(model.parameters()))
    head = head_of(model)
    for p in model.parameters():
        p.requires_grad_(False)
    for p in head.parameters():
        p.requires_grad_(True)
    train_head = train_rate(list(head.parameters()))

    model.eval()
    with torch.no_grad():
        model(x)
        start = time.perf_counter()
        for _ in range(steps):
            model(x).argmax(1)
        inference = batch * steps / (time.perf_counter() - start)
    return train_all, train_head, inference


def ours(cli, arch, size, batch, threads, steps):
    out = subprocess.run([cli, "bench", "engine", "--arch", arch, "--size", str(size), "--batch", str(batch),
                          "--threads", str(threads), "--steps", str(steps), "--warmup", "1", "--json"],
                         check=True, capture_output=True, text=True).stdout
    r = json.loads(out)
    return r["trainAllImagesPerSecond"], r["trainHeadImagesPerSecond"], r["inferenceImagesPerSecond"], r["peakRssMiB"]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cli", required=True)
    ap.add_argument("--xception-reference", required=True)
    ap.add_argument("--size", type=int, default=128)
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--steps", type=int, default=5)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--archs", default=",".join(SEVEN))
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(1)

    print(f"size {args.size}, batch {args.batch}, threads {args.threads}, {args.steps} timed steps after 1 warm-up, "
          f"best of {args.rounds} rounds; torch {torch.__version__}, torchvision {torchvision.__version__}; "
          f"load average {open('/proc/loadavg').read().split()[0]} at the start", flush=True)
    print("| backbone | train all: ours / PyTorch img/s (ratio) | train head: ours / PyTorch (ratio) "
          "| inference: ours / PyTorch (ratio) | our peak RSS MiB |")
    print("|---|---|---|---|---|", flush=True)
    for arch in args.archs.split(","):
        o, p = [0.0] * 4, [0.0] * 3
        for _ in range(args.rounds):
            o = [max(a, b) for a, b in zip(o, ours(args.cli, arch, args.size, args.batch, args.threads, args.steps))]
            model = xception_model(args.xception_reference) if arch == "xception" else torchvision_model(arch)
            p = [max(a, b) for a, b in zip(p, pytorch_rates(model, args.size, args.batch, args.steps))]
            del model
        cells = [f"{o[i]:.1f} / {p[i]:.1f} ({o[i] / p[i]:.2f})" for i in range(3)]
        print(f"| {arch} | " + " | ".join(cells) + f" | {o[3]:.0f} |", flush=True)
    print(f"load average {open('/proc/loadavg').read().split()[0]} at the end", flush=True)


if __name__ == "__main__":
    sys.exit(main())
