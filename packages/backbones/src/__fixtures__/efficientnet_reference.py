"""Writes the EfficientNet reference fixtures next to this file, from torchvision itself.

Run with the Debian PyTorch (torch 1.13, torchvision 0.14); the product and its tests never need Python:

    /usr/bin/python3 packages/backbones/src/__fixtures__/efficientnet_reference.py

Two files:

efficientnet-torchvision.json
    For efficientnet_b0 .. b7 as torchvision builds them (1000 classes): the number of state-dict tensors
    and of scalar parameters, a sha256 over the sorted "name shape" lines of the state dict, batch-norm
    eps/momentum, classifier dropout, stochastic-depth rate of the last block, and the output shape of
    every features[i] for a 1x3x64x64 input. No weights: the test compares the IR's parameter list with it.

efficientnet-reference.safetensors
    A reduced EfficientNet (torchvision's B0 table at width_mult=0.1, depth_mult=0.5, 10 classes: every
    kind of block, with and without expansion and residual, ~59k parameters) with seeded random
    weights, batch-norm statistics and biases (so eval-mode batch norm and every bias matter), stored as
    F16 (the network runs with exactly those values), a 2x3x48x48 input whose values are multiples of
    1/256 (exact in F16; 48 is odd after three halvings, so padding arithmetic is exercised), and the
    eval-mode outputs of features[2], [3], [5], [7] and the logits in F32.
"""
import hashlib
import json
import os
import struct

import numpy as np
import torch
import torchvision
from torchvision.models import efficientnet as tv

HERE = os.path.dirname(os.path.abspath(__file__))


def state_dict_digest(sd):
    lines = sorted(f"{k} {'x'.join(str(d) for d in v.shape)}" for k, v in sd.items())
    return hashlib.sha256("\n".join(lines).encode()).hexdigest()


def feature_shapes(model, size):
    shapes = []
    x = torch.zeros(1, 3, size, size)
    with torch.no_grad():
        for f in model.features:
            x = f(x)
            shapes.append(list(x.shape))
    return shapes


def variants():
    out = {}
    for i in range(8):
        name = f"efficientnet_b{i}"
        model = getattr(tv, name)(weights=None).eval()
        sd = model.state_dict()
        bn = next(m for m in model.modules() if isinstance(m, torch.nn.BatchNorm2d))
        last_block = model.features[-2][-1]
        out[name] = {
            "tensors": len(sd),
            "params": int(sum(v.numel() for v in sd.values() if v.dtype.is_floating_point)),
            "digest": state_dict_digest(sd),
            "bnEps": bn.eps,
            "bnMomentum": bn.momentum,
            "dropout": model.classifier[0].p,
            "lastStochasticDepth": last_block.stochastic_depth.p,
            "blocks": [len(stage) for stage in model.features[1:-1]],
            "featureShapes64": feature_shapes(model, 64),
        }
    return out


def write_safetensors(path, tensors, metadata):
    header = {"__metadata__": metadata}
    blobs = []
    offset = 0
    for name, (dtype, arr) in tensors.items():
        data = arr.tobytes()
        header[name] = {"dtype": dtype, "shape": list(arr.shape), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    head = json.dumps(header, separators=(",", ":")).encode()
    head += b" " * ((8 - len(head) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(head)))
        f.write(head)
        for b in blobs:
            f.write(b)


def reference():
    torch.manual_seed(0)
    width, depth, classes = 0.1, 0.5, 10
    setting, last_channel = tv._efficientnet_conf("efficientnet_b0", width_mult=width, depth_mult=depth)
    model = tv.EfficientNet(setting, 0.2, num_classes=classes, last_channel=last_channel).eval()
    g = torch.Generator().manual_seed(1)
    with torch.no_grad():
        for name, t in model.state_dict().items():
            if not t.dtype.is_floating_point:
                continue
            if name.endswith("running_var") or (name.endswith(".weight") and t.dim() == 1):
                t.copy_(0.5 + torch.rand(t.shape, generator=g))
            elif name.endswith("running_mean") or name.endswith(".bias"):
                t.copy_(0.1 * torch.randn(t.shape, generator=g))
            t.copy_(t.half().float())
        x = torch.floor(torch.rand(2, 3, 48, 48, generator=g) * 256) / 256
        taps = {}
        h = x
        for i, f in enumerate(model.features):
            h = f(h)
            if i in (2, 3, 5, 7):
                taps[i] = h.clone()
        logits = model(x)
    tensors = {}
    for name, t in model.state_dict().items():
        if t.dtype.is_floating_point:
            tensors[name] = ("F16", t.half().numpy())
        else:
            tensors[name] = ("I64", t.numpy().astype(np.int64))
    tensors["input"] = ("F16", x.half().numpy())
    for i, t in taps.items():
        tensors[f"expected.features.{i}"] = ("F32", t.numpy().astype(np.float32))
    tensors["expected.logits"] = ("F32", logits.numpy().astype(np.float32))
    metadata = {
        "architecture": f"torchvision EfficientNet(efficientnet_b0 table, width_mult={width}, depth_mult={depth}, dropout=0.2, num_classes={classes})",
        "generator": "packages/backbones/src/__fixtures__/efficientnet_reference.py",
        "torch": torch.__version__,
        "torchvision": torchvision.__version__,
    }
    write_safetensors(os.path.join(HERE, "efficientnet-reference.safetensors"), tensors, metadata)
    return {k: list(v.shape) for k, v in taps.items()}


if __name__ == "__main__":
    data = {"torchvision": torchvision.__version__, "variants": variants()}
    lines = [f' "{k}": {json.dumps(v)}' for k, v in data["variants"].items()]
    with open(os.path.join(HERE, "efficientnet-torchvision.json"), "w") as f:
        f.write(f'{{"torchvision": {json.dumps(data["torchvision"])}, "variants": {{\n' + ",\n".join(lines) + "\n}}\n")
    print(reference())
