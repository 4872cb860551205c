#!/usr/bin/env python3
"""sft_oracle.py DIR: PyTorch as the oracle for SFT's masked loss. Builds the GPT of
DIR/model.safetensors in PyTorch (tests/train/pytorch_oracle.py's model), runs the packed batch
of rendered conversations in DIR/lmforge.safetensors (document masking: segments, positions)
and checks lmforge's logits, masked loss and every gradient (relative error < 1e-4); that the
loss mask is exactly the assistant turns' tokens and their <|end|>, rebuilt here from the marker
ids (DIR/markers.json) without lmforge's code; and that positions outside the assistant turns
carry no gradient (d loss / d logits is exactly 0 there). Exits 77 (skip) when torch is
missing, 1 on any mismatch."""
import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "train"))
from pytorch_oracle import Gpt, masked_loss, read_safetensors, rel  # noqa: E402 (exits 77 w/o torch)
import torch  # noqa: E402


def expected_mask(inputs, targets, segments, markers):
    """1 where the target is an assistant content token or the <|end|> closing an assistant turn."""
    sysm, user, asst, end = (markers[k] for k in ("<|system|>", "<|user|>", "<|assistant|>", "<|end|>"))
    B, T = inputs.shape
    out = torch.zeros(B, T)
    for b in range(B):
        role = None
        for t in range(T):
            if t == 0 or segments[b, t] != segments[b, t - 1]:
                role = None
            x = int(inputs[b, t])
            if x in (sysm, user, asst):
                role = x
            elif x == end:
                role = None
            y = int(targets[b, t])
            if y in (sysm, user, asst):
                continue
            if role == asst:
                out[b, t] = 1.0
    return out


def main():
    d = sys.argv[1]
    cfg = json.load(open(d + "/config.json"))
    markers = json.load(open(d + "/markers.json"))
    weights = read_safetensors(d + "/model.safetensors")
    ours = read_safetensors(d + "/lmforge.safetensors")
    model = Gpt(cfg, weights)
    idx, tgt, mask = ours["inputs"].long(), ours["targets"].long(), ours["mask"]
    seg, pos = ours["segments"].long(), ours["positions"].long()
    failures = []

    def check(name, ok, detail):
        if not ok:
            failures.append(name)
        print(f"{'ok  ' if ok else 'FAIL'} {name:45s} {detail}")

    def close(name, a, b, tol=1e-4):
        e = rel(a, b)
        check(name, e < tol, f"rel err {e:.2e} (tol {tol:.0e})")

    want = expected_mask(idx, tgt, seg, markers)
    check("mask = assistant tokens + their <|end|>", torch.equal(want, mask),
          f"{int(mask.sum())} of {mask.numel()} positions counted")
    logits = model(idx, seg, pos)
    logits.retain_grad()
    close("logits", ours["logits"], logits.detach())
    loss = masked_loss(logits, tgt, mask)
    close("masked loss", ours["loss"], loss.detach().reshape(1))
    loss.backward()
    for k in weights:
        close("grad " + k, ours["grad." + k], model.w(k).grad)
    g = logits.grad.abs().sum(-1)
    outside = g[mask == 0]
    check("no gradient outside assistant turns", bool((outside == 0).all()),
          f"max |dL/dlogits| outside {outside.max().item():.1e}, inside {g[mask == 1].min().item():.1e}")
    if failures:
        print(f"FAILED: {len(failures)} mismatches: {failures}")
        sys.exit(1)
    print("all checks passed")


if __name__ == "__main__":
    main()
