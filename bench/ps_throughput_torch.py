#!/usr/bin/env python3
"""PyTorch side of bench/ps-throughput.mjs: a BAPPS 2AFC evaluation loop with AlexNet-LPIPS (lin).

Reads a BAPPS-layout folder (<root>/2afc/val/<subset>/{ref,p0,p1,judge}), decodes the PNGs with PIL,
runs torchvision's AlexNet trunk on ref, p0 and p1 of each batch in one forward pass, computes the
LPIPS v0.1 distance (channel-normalised taps, squared differences weighted by the lin weights, spatial
mean, summed over the five taps) and the 2AFC score. The same weights files Percept uses are read
from safetensors by a small reader below (no safetensors package needed).

Prints one JSON line per repeat: {"variant", "triplets", "seconds", "cpuSeconds", "tripletsPerSecond", "score"}.
Only the loop is timed (model loading is not), the same as on the Percept side.

  /usr/bin/python3 bench/ps_throughput_torch.py --root DIR --weights W.safetensors --lin L.safetensors \
      [--threads 2] [--batch 50] [--repeats 1] [--loader-workers 0]
"""
import argparse
import json
import os
import struct
import sys
import time

import numpy as np
import torch
import torchvision
from PIL import Image
from torchvision.transforms.functional import pil_to_tensor

# LPIPS v0.1's ScalingLayer constants, applied to inputs mapped to [-1, 1] (SPEC.md §7.1).
SHIFT = torch.tensor([-0.030, -0.088, -0.188]).view(1, 3, 1, 1)
SCALE = torch.tensor([0.458, 0.448, 0.450]).view(1, 3, 1, 1)
# torchvision AlexNet `features` indices after which LPIPS taps relu1..relu5 (SPEC.md §7.2).
ALEX_TAPS = (1, 4, 7, 9, 11)
EPS = 1e-10


def read_safetensors(path):
    """Returns {name: float32 tensor} from a safetensors file (F32 tensors only)."""
    with open(path, "rb") as f:
        blob = f.read()
    (header_len,) = struct.unpack("<Q", blob[:8])
    header = json.loads(blob[8 : 8 + header_len])
    body = memoryview(blob)[8 + header_len :]
    out = {}
    for name, meta in header.items():
        if name == "__metadata__":
            continue
        if meta["dtype"] != "F32":
            raise ValueError(f"{path}: {name} is {meta['dtype']}, expected F32")
        start, end = meta["data_offsets"]
        arr = np.frombuffer(body[start:end], dtype="<f4").reshape(meta["shape"])
        out[name] = torch.from_numpy(arr.copy())
    return out


class AlexLpips(torch.nn.Module):
    def __init__(self, trunk_weights, lin_weights):
        super().__init__()
        features = torchvision.models.alexnet().features
        state = {k[len("features.") :]: v for k, v in trunk_weights.items() if k.startswith("features.")}
        features.load_state_dict(state, strict=True)
        self.features = features.eval()
        self.lin = [lin_weights[f"lin{k}.model.1.weight"].view(1, -1, 1, 1) for k in range(len(ALEX_TAPS))]

    @torch.inference_mode()
    def forward(self, ref, p0, p1):
        """ref, p0, p1: [N,3,H,W] in [0,1]. Returns (d0, d1), each [N]."""
        n = ref.shape[0]
        x = torch.cat([ref, p0, p1]) * 2 - 1
        x = (x - SHIFT) / SCALE
        d0 = torch.zeros(n)
        d1 = torch.zeros(n)
        tap = 0
        for i, layer in enumerate(self.features):
            x = layer(x)
            if i == ALEX_TAPS[tap]:
                f = x / (x.pow(2).sum(dim=1, keepdim=True).sqrt() + EPS)
                fr, f0, f1 = f[:n], f[n : 2 * n], f[2 * n :]
                w = self.lin[tap]
                d0 += ((fr - f0).pow(2) * w).sum(dim=1).mean(dim=(1, 2))
                d1 += ((fr - f1).pow(2) * w).sum(dim=1).mean(dim=(1, 2))
                tap += 1
                if tap == len(ALEX_TAPS):
                    break
        return d0, d1


def list_dir(path):
    return sorted(os.path.join(path, f) for f in os.listdir(path))


def index_root(root, subsets):
    """[(ref, p0, p1, judge)] over the subsets, paired by sorted file name as the BAPPS loader does."""
    items = []
    for s in subsets:
        base = os.path.join(root, "2afc", "val", s)
        cols = [list_dir(os.path.join(base, d)) for d in ("ref", "p0", "p1", "judge")]
        if len({len(c) for c in cols}) != 1:
            raise ValueError(f"{base}: ref/p0/p1/judge counts differ")
        items.extend(zip(*cols))
    return items


def load_image(path):
    with Image.open(path) as im:
        return pil_to_tensor(im.convert("RGB")).float().div_(255)


def load_judge(path):
    return float(np.load(path).reshape(-1)[0])


class Triplets(torch.utils.data.Dataset):
    def __init__(self, items):
        self.items = items

    def __len__(self):
        return len(self.items)

    def __getitem__(self, i):
        r, a, b, j = self.items[i]
        return load_image(r), load_image(a), load_image(b), torch.tensor(load_judge(j))


def batches_inline(items, batch):
    """Decodes each batch in the loop itself (no prefetch)."""
    ds = Triplets(items)
    for s in range(0, len(items), batch):
        rows = [ds[i] for i in range(s, min(s + batch, len(items)))]
        yield tuple(torch.stack(col) for col in zip(*rows))


def run(model, items, batch, loader_workers):
    if loader_workers > 0:
        loader = torch.utils.data.DataLoader(Triplets(items), batch_size=batch, shuffle=False, num_workers=loader_workers)
    else:
        loader = batches_inline(items, batch)
    total = 0.0
    n = 0
    t0 = time.perf_counter()
    # CPU time of this process, all threads (a DataLoader's worker processes are not included).
    c0 = time.process_time()
    for ref, p0, p1, judge in loader:
        d0, d1 = model(ref, p0, p1)
        # 2AFC credit: the fraction of raters agreeing with the distance's choice, 0.5 on ties.
        s = (d0 < d1).float() * (1 - judge) + (d1 < d0).float() * judge + (d0 == d1).float() * 0.5
        total += float(s.sum())
        n += ref.shape[0]
    seconds = time.perf_counter() - t0
    return n, seconds, time.process_time() - c0, 100 * total / n


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--root", required=True)
    ap.add_argument("--subsets", default=None, help="comma-separated; default: every folder under 2afc/val")
    ap.add_argument("--weights", required=True)
    ap.add_argument("--lin", required=True)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--batch", type=int, default=50)
    ap.add_argument("--repeats", type=int, default=1)
    ap.add_argument("--loader-workers", type=int, default=0)
    ap.add_argument("--warmup", action="store_true", help="one untimed pass first")
    ap.add_argument("--breakdown", action="store_true", help="time decoding alone, the forward pass alone, then forward + LPIPS")
    a = ap.parse_args()

    torch.set_num_threads(a.threads)
    subsets = a.subsets.split(",") if a.subsets else sorted(os.listdir(os.path.join(a.root, "2afc", "val")))
    items = index_root(a.root, subsets)
    model = AlexLpips(read_safetensors(a.weights), read_safetensors(a.lin))
    variant = f"DataLoader, {a.loader_workers} worker process(es)" if a.loader_workers else "decode inline"
    info = {"torch": torch.__version__, "torchvision": torchvision.__version__, "pillow": Image.__version__,
            "threads": torch.get_num_threads(), "variant": variant}
    print(json.dumps({"info": info}), flush=True)
    if a.breakdown:
        t0 = time.perf_counter()
        inputs = [torch.cat([r, p0, p1]) for r, p0, p1, _ in batches_inline(items, a.batch)]
        decode = time.perf_counter() - t0
        with torch.inference_mode():
            model.features(inputs[0])  # warm-up
            t0 = time.perf_counter()
            for x in inputs:
                y = (x * 2 - 1 - SHIFT) / SCALE
                for layer in model.features[: ALEX_TAPS[-1] + 1]:
                    y = layer(y)
            forward = time.perf_counter() - t0
            # The loop's own model call: forward pass and LPIPS of (ref, p0) and (ref, p1).
            t0 = time.perf_counter()
            for x in inputs:
                n = x.shape[0] // 3
                model(x[:n], x[n : 2 * n], x[2 * n :])
            forward_lpips = time.perf_counter() - t0
        print(json.dumps({"images": sum(x.shape[0] for x in inputs), "decode": decode, "forward": forward, "forwardLpips": forward_lpips}))
        return 0
    if a.warmup:
        run(model, items[: a.batch], a.batch, 0)
    for _ in range(a.repeats):
        n, seconds, cpu, score = run(model, items, a.batch, a.loader_workers)
        print(json.dumps({"variant": variant, "triplets": n, "seconds": seconds, "cpuSeconds": cpu, "tripletsPerSecond": n / seconds, "score": score}), flush=True)


if __name__ == "__main__":
    sys.exit(main())
