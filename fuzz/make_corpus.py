#!/usr/bin/env python3
"""Writes the fuzzers' seed corpora, fuzz/corpus/<reader>/: small valid files (each < 64 KB)
from the project's own data (data/stories260K/tok512.bin, the stories260K header) and tiny
synthetic ones in each reader's format. Deterministic; rerun after a format change:

    python3 fuzz/make_corpus.py
"""
import json
import os
import random
import struct

root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
out = os.path.join(root, "fuzz", "corpus")
data = os.path.join(root, "data", "stories260K")
rng = random.Random(14)


def write(reader, name, content):
    d = os.path.join(out, reader)
    os.makedirs(d, exist_ok=True)
    if isinstance(content, str):
        content = content.encode()
    assert len(content) < 64 * 1024, (reader, name, len(content))
    with open(os.path.join(d, name), "wb") as f:
        f.write(content)


# --- tokenizer: u32 vocabulary size, then a llama2.c tokenizer file -------------------------
def vocabulary(extra, max_len=6):
    b = struct.pack("<i", max_len)
    pieces = [("<unk>", 0.0), ("\n<s>\n", 0.0), ("\n</s>\n", 0.0)]
    pieces += [("<0x%02X>" % i, 0.0) for i in range(256)]
    pieces += extra
    for s, score in pieces:
        raw = s.encode()
        b += struct.pack("<fi", score, len(raw)) + raw
    return len(pieces), b


with open(os.path.join(data, "tok512.bin"), "rb") as f:
    tok512 = f.read()
write("tokenizer", "tok512", struct.pack("<I", 512) + tok512)
n, b = vocabulary([(" ", -1.0), ("a", -2.0), ("b", -3.0), (" a", -0.5), ("ab", -0.25), ("\u00e9", -4.0)])
write("tokenizer", "small", struct.pack("<I", n) + b)
n, b = vocabulary([("a", 0.0)], max_len=6)
write("tokenizer", "no_space", struct.pack("<I", n) + b)
write("tokenizer", "one_token", struct.pack("<I", 1) + struct.pack("<ifi", 4, 0.0, 1) + b"x")

# --- checkpoint: tiny synthetic llama2.c models, and the stories260K header ------------------
def checkpoint(dim, hidden, layers, heads, kv_heads, vocab, seq_len):
    head = dim // heads
    kv_dim = dim * kv_heads // heads
    v = abs(vocab)
    floats = (v * dim + layers * dim + 2 * layers * dim * dim + 2 * layers * kv_dim * dim +
              layers * dim + 3 * layers * hidden * dim + dim + 2 * seq_len * (head // 2))
    if vocab < 0:
        floats += v * dim
    b = struct.pack("<7i", dim, hidden, layers, heads, kv_heads, vocab, seq_len)
    return b + struct.pack("<%df" % floats, *[rng.uniform(-1, 1) for _ in range(floats)])


write("checkpoint", "tiny_shared", checkpoint(4, 8, 1, 2, 2, 5, 3))
write("checkpoint", "tiny_separate", checkpoint(4, 4, 2, 2, 1, -3, 2))
write("checkpoint", "tiny_gqa", checkpoint(8, 6, 1, 4, 2, 4, 2))
with open(os.path.join(data, "stories260K.bin"), "rb") as f:
    write("checkpoint", "stories260K_header", f.read(28))

# --- trace: the format of docs/trace-format.md -----------------------------------------------
def fnv1a64(b):
    h = 0xcbf29ce484222325
    for c in b:
        h = ((h ^ c) * 0x100000001b3) & 0xFFFFFFFFFFFFFFFF
    return h


def trace(layers, attention, ffn, tokens):
    b = b"HRMSTRCE" + struct.pack("<IIQQQQ", 1, 48, layers, attention, ffn, tokens)
    for _ in range(tokens * layers):
        for n in (attention, ffn):
            for w in range((n + 63) // 64):
                used = min(64, n - 64 * w)
                b += struct.pack("<Q", rng.getrandbits(used))
    return b + struct.pack("<Q", fnv1a64(b))


write("trace", "l1_a3_f70_t2", trace(1, 3, 70, 2))
write("trace", "l2_a64_f64_t3", trace(2, 64, 64, 3))
write("trace", "l3_a5_f9_t9", trace(3, 5, 9, 9))
write("trace", "l1_a1_f1_t0", trace(1, 1, 1, 0))

# --- frequency_csv ---------------------------------------------------------------------------
def profile(layers, attention, ffn, newline="\n"):
    rows = ["layer,kind,neuron,frequency"]
    for l in range(layers):
        for kind, n in (("attention", attention), ("ffn", ffn)):
            for i in range(n):
                rows.append("%d,%s,%d,%r" % (l, kind, i, rng.choice([0.0, 1.0, 0.5, rng.random()])))
    return newline.join(rows) + newline


write("frequency_csv", "l2_a3_f4", profile(2, 3, 4))
write("frequency_csv", "l1_a2_f2_crlf", profile(1, 2, 2, "\r\n"))
lines = profile(2, 2, 3).splitlines()
write("frequency_csv", "l2_a2_f3_shuffled", "\n".join(lines[:1] + rng.sample(lines[1:], len(lines) - 1)) + "\n")

# --- config_json: configurations as hermes-sim --config reads them ---------------------------
write("config_json", "presets.json", json.dumps({
    "system": "Hermes",
    "hardware": {"gpu": "RTX4090", "gpus": 1, "dimms": 8, "pcie": "PCIe4-x16", "host": "i9-13900K"},
    "workload": {"model": "LLaMA2-70B", "batch": 1, "input_len": 128, "output_len": 128, "seed": 1}}, indent=2))
write("config_json", "objects.json", json.dumps({
    "hardware": {"gpu": {"preset": "RTX4090", "memory_capacity_B": 24e9},
                 "dimm": {"gemv": {"multipliers": 8}, "dram": {"organization": {"channels": 2}}},
                 "gpu_reserved_B": 1.5e9},
    "workload": {"model": {"preset": "OPT-13B", "layers": 4, "max_context": 0, "ffn_type": "relu"},
                 "activations": {"ffn": {"sparsity": 0.9}, "hot_fraction": 0.2, "drift_period": 64},
                 "profile_tokens": 16, "trace": ""}}, indent=1))
write("config_json", "empty.json", "{}")
write("config_json", "system.json", '{"system": "DejaVu", "workload": {"batch": 4}}')
