#!/usr/bin/python3
"""Trains the embedded text-conditioned demo: a small PixArt-alpha-style DiT and its own text encoder.

Runs with Debian's python3-torch on the CPU (or on a GPU when one is at hand) and writes:
  text_dit_fmnist.onnx        x [B,1,28,28], t int64 [B], text [B,L,E] float32, text_mask [B,L] float32 -> out (epsilon)
  text_encoder_fmnist.onnx    ids int64 [B,L] -> text [B,L,E], text_mask [B,L]
  text_dit_fmnist.training.json   the recipe and the measured loss

The DiT follows PixArt-alpha's published block (diffusers BasicTransformerBlock with ada_norm_single): one
global timestep MLP whose output (6 vectors) is added to a per-block scale_shift_table; gated self-attention,
then an ungated cross-attention to the projected text tokens (query not normalised), then a gated MLP. The final
layer uses a 2-vector scale_shift_table plus the timestep embedding. Only the shape of the model is PixArt's: it
is small (patch 4 -> 49 tokens) so that it trains on two CPU cores in under two hours.

Captions are true of their images: the class name plus attributes produced by transforming the image
("small": shrunk to 16x16 and centred; "upside down": flipped vertically; "inverted": negated). An empty caption
(only the BOS token) is the null condition for classifier-free guidance; it replaces 10 % of captions.

Usage: train_text_dit.py --minutes 90 --work DIR --out onnx-models/   (resumes from DIR/checkpoint.pt)
"""
import argparse
import gzip
import json
import math
import os
import struct
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

CLASSES = ["t-shirt", "trouser", "pullover", "dress", "coat", "sandal", "shirt", "sneaker", "bag", "ankle boot"]
ATTRIBUTES = [("small", 0.3), ("upside down", 0.3), ("inverted", 0.25)]
PAD, BOS, UNK = 0, 1, 2
MAX_TOKENS = 12
SMALL_SIZE = 16


def vocabulary():
    words = ["<pad>", "<bos>", "<unk>", "a"]
    for phrase in CLASSES + [a for a, _ in ATTRIBUTES]:
        for w in phrase.split():
            if w not in words:
                words.append(w)
    return words


VOCAB = vocabulary()


def tokenize(caption):
    """Lower-case words of letters, digits and hyphens; BOS first; padded to MAX_TOKENS (the Java tokenizer matches)."""
    import re
    ids = [BOS] + [VOCAB.index(w) if w in VOCAB else UNK for w in re.findall(r"[a-z0-9-]+", caption.lower())]
    ids = ids[:MAX_TOKENS]
    return ids + [PAD] * (MAX_TOKENS - len(ids))


def caption(label, small, flipped, inverted):
    text = "a " + ("small " if small else "") + CLASSES[label]
    if flipped:
        text += ", upside down"
    if inverted:
        text += ", inverted"
    return text


def transform(x, small, flipped, inverted):
    """x: [N,1,28,28] in [-1,1]; the attributes as boolean tensors [N]."""
    x = x.clone()
    if small.any():
        shrunk = F.interpolate(x[small], size=(SMALL_SIZE, SMALL_SIZE), mode="bilinear", align_corners=False,
                               antialias=True)
        canvas = torch.full_like(x[small], -1.0)
        o = (28 - SMALL_SIZE) // 2
        canvas[:, :, o:o + SMALL_SIZE, o:o + SMALL_SIZE] = shrunk
        x[small] = canvas
    x[flipped] = x[flipped].flip(-2)
    x[inverted] = -x[inverted]
    return x


def load_idx(path):
    with gzip.open(path) if path.endswith(".gz") else open(path, "rb") as f:
        data = f.read()
    magic, = struct.unpack(">I", data[:4])
    dims = magic & 0xFF
    shape = struct.unpack(">" + "I" * dims, data[4:4 + 4 * dims])
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * dims).reshape(shape)


def find_fmnist(split):
    root = "/usr/share/datasets/fashion-mnist"
    for name in os.listdir(root):
        if name.startswith(split) and "images" in name:
            images = os.path.join(root, name)
        if name.startswith(split) and "labels" in name:
            labels = os.path.join(root, name)
    x = torch.tensor(load_idx(images).astype(np.float32) / 127.5 - 1.0).unsqueeze(1)
    return x, torch.tensor(load_idx(labels).astype(np.int64))


# ---------------------------------------------------------------- the model

def timestep_frequencies(t, dim=256):
    half = dim // 2
    freqs = torch.exp(-math.log(10000.0) * torch.arange(half, dtype=torch.float32) / half)
    args = t.float()[:, None] * freqs[None]
    return torch.cat([torch.cos(args), torch.sin(args)], dim=-1)


def sincos_positions(dim, grid):
    pos = np.arange(grid, dtype=np.float64)
    gy, gx = np.meshgrid(pos, pos, indexing="ij")

    def axis(d, p):
        omega = 1.0 / 10000 ** (np.arange(d // 2, dtype=np.float64) / (d / 2.0))
        o = np.outer(p.reshape(-1), omega)
        return np.concatenate([np.sin(o), np.cos(o)], axis=1)

    return torch.tensor(np.concatenate([axis(dim // 2, gx), axis(dim // 2, gy)], axis=1), dtype=torch.float32)


class MultiHeadAttention(nn.Module):
    """Self-attention when context is None, else cross-attention with an additive key bias from the mask."""

    def __init__(self, dim, heads, context_dim=None):
        super().__init__()
        self.heads = heads
        self.to_q = nn.Linear(dim, dim)
        self.to_k = nn.Linear(context_dim or dim, dim)
        self.to_v = nn.Linear(context_dim or dim, dim)
        self.to_out = nn.Linear(dim, dim)

    def forward(self, x, context=None, key_bias=None):
        B, N, C = x.shape
        context = x if context is None else context
        M = context.shape[1]
        h = self.heads
        q = self.to_q(x).reshape(B, N, h, C // h).transpose(1, 2)
        k = self.to_k(context).reshape(B, M, h, C // h).transpose(1, 2)
        v = self.to_v(context).reshape(B, M, h, C // h).transpose(1, 2)
        scores = (q @ k.transpose(-2, -1)) * (C // h) ** -0.5
        if key_bias is not None:
            scores = scores + key_bias
        out = (scores.softmax(dim=-1) @ v).transpose(1, 2).reshape(B, N, C)
        return self.to_out(out)


class FeedForward(nn.Module):
    def __init__(self, dim, ratio=4):
        super().__init__()
        self.fc1 = nn.Linear(dim, dim * ratio)
        self.fc2 = nn.Linear(dim * ratio, dim)

    def forward(self, x):
        return self.fc2(F.gelu(self.fc1(x), approximate="tanh"))


class PixArtBlock(nn.Module):
    def __init__(self, dim, heads):
        super().__init__()
        self.norm1 = nn.LayerNorm(dim, elementwise_affine=False, eps=1e-6)
        self.attn1 = MultiHeadAttention(dim, heads)
        self.attn2 = MultiHeadAttention(dim, heads)
        self.norm2 = nn.LayerNorm(dim, elementwise_affine=False, eps=1e-6)
        self.ff = FeedForward(dim)
        self.scale_shift_table = nn.Parameter(torch.randn(6, dim) / dim ** 0.5)

    def forward(self, x, t6, text, key_bias):
        shift_msa, scale_msa, gate_msa, shift_mlp, scale_mlp, gate_mlp = \
            (self.scale_shift_table[None] + t6.reshape(t6.shape[0], 6, -1)).chunk(6, dim=1)
        x = x + gate_msa * self.attn1(self.norm1(x) * (1 + scale_msa) + shift_msa)
        x = x + self.attn2(x, text, key_bias)
        x = x + gate_mlp * self.ff(self.norm2(x) * (1 + scale_mlp) + shift_mlp)
        return x


class TextDiT(nn.Module):
    def __init__(self, dim, depth, heads, text_dim, patch=4, size=28, channels=1):
        super().__init__()
        self.patch, self.size, self.channels = patch, size, channels
        self.x_embedder = nn.Conv2d(channels, dim, patch, stride=patch)
        self.register_buffer("pos_embed", sincos_positions(dim, size // patch)[None], persistent=False)
        self.t_embedder = nn.Sequential(nn.Linear(256, dim), nn.SiLU(), nn.Linear(dim, dim))
        self.t_block = nn.Sequential(nn.SiLU(), nn.Linear(dim, 6 * dim))
        self.y_embedder = nn.Sequential(nn.Linear(text_dim, dim), nn.GELU(approximate="tanh"), nn.Linear(dim, dim))
        self.blocks = nn.ModuleList(PixArtBlock(dim, heads) for _ in range(depth))
        self.norm_out = nn.LayerNorm(dim, elementwise_affine=False, eps=1e-6)
        self.final_scale_shift_table = nn.Parameter(torch.randn(2, dim) / dim ** 0.5)
        self.proj_out = nn.Linear(dim, patch * patch * channels)
        for block in self.blocks:  # PixArt zero-initialises the cross-attention output
            nn.init.zeros_(block.attn2.to_out.weight)
            nn.init.zeros_(block.attn2.to_out.bias)
        nn.init.zeros_(self.proj_out.weight)
        nn.init.zeros_(self.proj_out.bias)

    def forward(self, x, t, text, text_mask):
        B = x.shape[0]
        h = self.x_embedder(x).flatten(2).transpose(1, 2) + self.pos_embed
        t_emb = self.t_embedder(timestep_frequencies(t))
        t6 = self.t_block(t_emb)
        y = self.y_embedder(text)
        key_bias = ((1.0 - text_mask) * -10000.0)[:, None, None, :]
        for block in self.blocks:
            h = block(h, t6, y, key_bias)
        shift, scale = (self.final_scale_shift_table[None] + t_emb[:, None]).chunk(2, dim=1)
        h = self.proj_out(self.norm_out(h) * (1 + scale) + shift)
        g, p = self.size // self.patch, self.patch
        h = h.reshape(B, g, g, p, p, self.channels).permute(0, 5, 1, 3, 2, 4)
        return h.reshape(B, self.channels, self.size, self.size)


class TextEncoder(nn.Module):
    """Token ids -> contextual token embeddings and the mask of real tokens (PAD = 0)."""

    def __init__(self, vocab, dim, layers, heads):
        super().__init__()
        self.embed = nn.Embedding(vocab, dim)
        self.pos = nn.Parameter(torch.randn(MAX_TOKENS, dim) * 0.02)
        layer = nn.TransformerEncoderLayer(dim, heads, dim * 4, dropout=0.0, activation="gelu", batch_first=True,
                                           norm_first=True)
        self.encoder = nn.TransformerEncoder(layer, layers, enable_nested_tensor=False)
        self.norm = nn.LayerNorm(dim)

    def forward(self, ids):
        mask = (ids != PAD).float()
        h = self.embed(ids) + self.pos[None]
        bias = ((1.0 - mask) * -10000.0)[:, None, :].expand(-1, ids.shape[1], -1)
        bias = bias.repeat_interleave(self.encoder.layers[0].self_attn.num_heads, dim=0)
        h = self.encoder(h, mask=bias)
        return self.norm(h), mask


class ExportableTextEncoder(nn.Module):
    """The trained TextEncoder's computation, written so that it exports with a dynamic batch: torch's
    TransformerEncoder needs its additive mask as [B*heads, L, L], which the exporter freezes at the traced
    batch; here the mask bias is [B, 1, 1, L] and broadcasts. Same weights, same function (checked at export)."""

    def __init__(self, encoder):
        super().__init__()
        self.inner = encoder

    def forward(self, ids):
        e = self.inner
        mask = (ids != PAD).float()
        h = e.embed(ids) + e.pos[None]
        bias = ((1.0 - mask) * -10000.0)[:, None, None, :]
        B, L, E = h.shape
        for layer in e.encoder.layers:
            attn = layer.self_attn
            heads = attn.num_heads
            q, k, v = F.linear(layer.norm1(h), attn.in_proj_weight, attn.in_proj_bias).chunk(3, dim=-1)
            q, k, v = (z.reshape(B, L, heads, E // heads).transpose(1, 2) for z in (q, k, v))
            scores = (q @ k.transpose(-2, -1)) * (E // heads) ** -0.5 + bias
            a = (scores.softmax(dim=-1) @ v).transpose(1, 2).reshape(B, L, E)
            h = h + attn.out_proj(a)
            h = h + layer.linear2(F.gelu(layer.linear1(layer.norm2(h))))
        return e.norm(h), mask


class TextToImage(nn.Module):
    def __init__(self, args):
        super().__init__()
        self.encoder = TextEncoder(len(VOCAB), args.text_dim, 2, 4)
        self.dit = TextDiT(args.dim, args.depth, args.heads, args.text_dim)

    def forward(self, x, t, ids):
        text, mask = self.encoder(ids)
        return self.dit(x, t, text, mask)


# ---------------------------------------------------------------- training

def random_batch(x_all, y_all, n, generator):
    i = torch.randint(0, x_all.shape[0], (n,), generator=generator)
    labels = y_all[i]
    small, flipped, inverted = (torch.rand(n, generator=generator) < p for _, p in ATTRIBUTES)
    images = transform(x_all[i], small, flipped, inverted)
    ids = torch.tensor([tokenize(caption(int(labels[k]), small[k], flipped[k], inverted[k])) for k in range(n)])
    dropped = torch.rand(n, generator=generator) < 0.1
    ids[dropped] = torch.tensor(tokenize(""))
    return images, ids


def linear_alphas_cumprod():
    return torch.tensor(np.cumprod(1 - np.linspace(1e-4, 0.02, 1000, dtype=np.float64)), dtype=torch.float32)


def train(args):
    torch.set_num_threads(args.threads)
    os.makedirs(args.work, exist_ok=True)
    checkpoint = os.path.join(args.work, "checkpoint.pt")
    x_all, y_all = find_fmnist("train")
    model = TextToImage(args)
    ema = TextToImage(args)
    ema.load_state_dict(model.state_dict())
    opt = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=0.0)
    state = {"iteration": 0, "seconds": 0.0, "loss": None, "log": []}
    if os.path.exists(checkpoint):
        saved = torch.load(checkpoint, map_location="cpu")
        model.load_state_dict(saved["model"])
        ema.load_state_dict(saved["ema"])
        opt.load_state_dict(saved["opt"])
        state = saved["state"]
        print(f"resumed at iteration {state['iteration']} ({state['seconds']:.0f} s trained)", flush=True)
    params = sum(p.numel() for p in model.dit.parameters())
    print(f"DiT {params / 1e6:.2f} M parameters, text encoder "
          f"{sum(p.numel() for p in model.encoder.parameters()) / 1e6:.2f} M", flush=True)
    alphas = linear_alphas_cumprod()
    generator = torch.Generator().manual_seed(1234 + state["iteration"])
    budget = args.minutes * 60.0
    start, last_save = time.time(), time.time()
    seconds_before = state["seconds"]
    while state["seconds"] < budget:
        images, ids = random_batch(x_all, y_all, args.batch, generator)
        t = torch.randint(0, 1000, (args.batch,), generator=generator)
        noise = torch.randn(images.shape, generator=generator)
        a = alphas[t].view(-1, 1, 1, 1)
        noisy = a.sqrt() * images + (1 - a).sqrt() * noise
        for g in opt.param_groups:
            g["lr"] = args.lr * min(1.0, (state["iteration"] + 1) / 200)
        loss = F.mse_loss(model(noisy, t, ids), noise)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        it = state["iteration"]
        decay = min(args.ema, (1 + it) / (10 + it))
        with torch.no_grad():
            for pe, pm in zip(ema.parameters(), model.parameters()):
                pe.mul_(decay).add_(pm.detach(), alpha=1 - decay)
        state["loss"] = loss.item() if state["loss"] is None else 0.98 * state["loss"] + 0.02 * loss.item()
        state["iteration"] = it + 1
        state["seconds"] = seconds_before + time.time() - start
        if state["iteration"] % 50 == 0 or state["iteration"] == 5:
            rate = state["seconds"] / state["iteration"]
            eta = (budget - state["seconds"]) / 60
            line = f"it {state['iteration']} loss {state['loss']:.4f} {rate:.2f} s/it, {eta:.0f} min left"
            state["log"].append(line)
            print(line, flush=True)
        if time.time() - last_save > 300 or state["seconds"] >= budget:
            save_atomically({"model": model.state_dict(), "ema": ema.state_dict(), "opt": opt.state_dict(),
                             "state": state}, checkpoint)
            last_save = time.time()
    return ema, state, params


def save_atomically(obj, path):
    tmp = path + ".tmp"
    torch.save(obj, tmp)
    os.replace(tmp, path)


def export(ema, state, params, args):
    ema.eval()
    os.makedirs(args.out, exist_ok=True)
    batch = 2
    ids = torch.tensor([tokenize("a small sneaker, upside down"), tokenize("")])
    with torch.no_grad():
        text, mask = ema.encoder(ids)
        args_dit = (torch.randn(batch, 1, 28, 28), torch.tensor([999, 10]), text, mask)
        dit_path = os.path.join(args.out, "text_dit_fmnist.onnx")
        torch.onnx.export(ema.dit, args_dit, dit_path + ".tmp", input_names=["x", "t", "text", "text_mask"],
                          output_names=["out"], opset_version=16, do_constant_folding=True,
                          dynamic_axes={n: {0: "B"} for n in ["x", "t", "text", "text_mask", "out"]})
        os.replace(dit_path + ".tmp", dit_path)
        enc_path = os.path.join(args.out, "text_encoder_fmnist.onnx")
        exportable = ExportableTextEncoder(ema.encoder).eval()
        reference, exported = ema.encoder(ids)[0], exportable(ids)[0]
        assert torch.allclose(reference[ids != PAD], exported[ids != PAD], atol=1e-5), "exportable encoder differs"
        torch.onnx.export(exportable, (ids,), enc_path + ".tmp", input_names=["ids"],
                          output_names=["text", "text_mask"], opset_version=16, do_constant_folding=True,
                          dynamic_axes={"ids": {0: "B"}, "text": {0: "B"}, "text_mask": {0: "B"}})
        os.replace(enc_path + ".tmp", enc_path)
    recipe = {"torch": torch.__version__, "dim": args.dim, "depth": args.depth, "heads": args.heads,
              "text_dim": args.text_dim, "patch": 4, "batch": args.batch, "lr": args.lr, "ema": args.ema,
              "iterations": state["iteration"], "seconds": round(state["seconds"]), "threads": args.threads,
              "final_loss": state["loss"], "dit_parameters": params, "vocabulary": VOCAB,
              "max_tokens": MAX_TOKENS, "classes": CLASSES, "attributes": [a for a, _ in ATTRIBUTES],
              "attribute_probabilities": [p for _, p in ATTRIBUTES], "caption_dropout": 0.1, "log": state["log"]}
    path = os.path.join(args.out, "text_dit_fmnist.training.json")
    with open(path + ".tmp", "w") as f:
        json.dump(recipe, f, indent=1)
    os.replace(path + ".tmp", path)
    write_card(recipe, os.path.join(args.out, "text_dit_fmnist.card.json"))
    print(f"exported {dit_path} and {enc_path}", flush=True)


def write_card(recipe, path):
    """The l2c model card (onnx-models/README.md, version 2): what the graphs cannot tell."""
    card = {
        "format": "l2c-model-card", "version": 2,
        "name": "text_dit_fmnist", "family": "pixart",
        "description": ("PixArt-alpha-style DiT (adaLN-single: a global timestep MLP plus a per-block scale_shift_table; "
                        "gated self-attention, ungated cross-attention to the text tokens, gated MLP), patch 4 -> 49 tokens, "
                        "hidden %d, depth %d, %d heads, %.2f M parameters; text-conditioned Fashion-MNIST with captions true "
                        "of their images (class, small, upside down, inverted). Trained %d iterations at batch %d on the CPU "
                        "(onnx-models/training/train_text_dit.py).")
                       % (recipe["dim"], recipe["depth"], recipe["heads"], recipe["dit_parameters"] / 1e6,
                          recipe["iterations"], recipe["batch"]),
        "inputs": {"sample": "x", "timestep": "t"},
        "output": "out", "timestep_type": "int64", "prediction": "epsilon", "learned_sigma": False,
        "noise_schedule": {"type": "linear", "steps": 1000, "beta_start": 0.0001, "beta_end": 0.02},
        "conditioning": {
            "kind": "text",
            "text": {"input": "text", "tokens": MAX_TOKENS, "width": recipe["text_dim"]},
            "mask": {"input": "text_mask"},
            "null_condition": "empty_prompt",
            "text_encoder": {"model": "text_encoder_fmnist.onnx", "input": "ids", "text_output": "text",
                             "mask_output": "text_mask",
                             "tokenizer": {"kind": "words", "vocabulary": VOCAB, "pad": PAD, "bos": BOS, "unknown": UNK}},
            # bench and learn condition on these: one plain prompt per class, so FD compares with the test set
            "prompts": ["a " + c for c in CLASSES],
        },
        "image": {"channels": 1, "height": 28, "width": 28, "range": [-1.0, 1.0]},
        "clip_x0": True, "default_sampler": "ddim", "default_cfg": 3.0,
    }
    with open(path + ".tmp", "w") as f:
        json.dump(card, f, indent=2)
    os.replace(path + ".tmp", path)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--minutes", type=float, default=90)
    p.add_argument("--work", default="target/text-dit-training")
    p.add_argument("--out", default="onnx-models")
    p.add_argument("--dim", type=int, default=96)
    p.add_argument("--depth", type=int, default=8)
    p.add_argument("--heads", type=int, default=4)
    p.add_argument("--text-dim", type=int, default=64)
    p.add_argument("--batch", type=int, default=128)
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--ema", type=float, default=0.999)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--export-only", action="store_true")
    args = p.parse_args()
    torch.manual_seed(0)
    if args.export_only:
        args.minutes = 0
    ema, state, params = train(args)
    export(ema, state, params, args)


if __name__ == "__main__":
    main()
