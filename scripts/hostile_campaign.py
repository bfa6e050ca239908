#!/usr/bin/env python3
"""A hostile user's campaign against the four programs (issue #14): many distinct bad flag
values and special files, then thousands of mutated input files (configurations, traces,
frequency CSVs, tokenizers, checkpoints). Every run happens in a fresh directory holding an
existing output file; a run is a finding when it

  - dies from a signal or a sanitizer report, or exits with a code other than 0, 1, 2 (crash);
  - is still running after the time limit (hang);
  - runs out of memory under the address-space limit, or reports bad_alloc (exhaustion);
  - changes, truncates or removes the existing output, or leaves a temporary file (lost output);
  - exits 0 with "inf" or "nan" in a number it prints (nonsense accepted).

    scripts/hostile_campaign.py BUILD_DIR [--out DIR] [--mutations N] [--seed S] [--jobs J]

writes DIR/findings.json and prints a summary; exit 1 when there is a finding. Not part of the
test suite (it takes tens of minutes); docs/errors.md reports its last result.
"""
import argparse
import concurrent.futures
import json
import os
import random
import re
import resource
import shutil
import stat
import struct
import subprocess
import sys
import tempfile

TIME_LIMIT_S = 60
ADDRESS_SPACE_LIMIT = 8 << 30  # a run may use at most 8 GiB of address space
SENTINEL = b"previous,contents\n1,2\n"

NUMBERS = ["0", "-1", "1", "2", "255", "256", "257", "65536", "4294967296", "18446744073709551615",
           "18446744073709551616", "99999999999999999999999", "1e3", "0x10", "abc", "", " 5", "5 ",
           "nan", "inf", "-0", "+3", "1.5", "2305843009213693952"]
LISTS = ["0", "1,,2", ",", "1,x", "-1", "1,1", "300", "1e2", "", "1;2", "18446744073709551616"]
NAMES = ["", "nope", "LLAMA2-70B", "llama2-70b ", "../../etc/passwd", "Hermes\n", "\x01"]
REALS = ["0", "-1", "1.5", "2", "1e308", "-1e308", "nan", "inf", "abc", "", "0.5"]

# Short runs for flags that accept the value: the base arguments keep accepted runs quick.
SIM_BASE = ["--compare", "none", "--input-len", "8", "--output-len", "8", "--profile-tokens", "8"]
PROGRAMS = {
    "hermes-sim": {
        "base": SIM_BASE,
        "numbers": ["--batch", "--dimms", "--input-len", "--output-len", "--multipliers", "--seed",
                    "--model-seed", "--profile-tokens", "--jobs"],
        "names": ["--model", "--system", "--gpu", "--compare"],
        "files": ["--config", "--trace"],
    },
    "hermes-sim sweep": {
        "base": ["--input-len", "8", "--output-len", "8", "--profile-tokens", "8", "--models", "OPT-13B",
                 "--systems", "Hermes"],
        "lists": ["--batches", "--dimms", "--multipliers", "--input-lens", "--output-lens"],
        "names": ["--models", "--systems", "--gpus", "--pcie", "--dimm-links"],
        "numbers": ["--input-len", "--output-len", "--seed", "--model-seed", "--profile-tokens", "--jobs"],
        "files": ["--config", "--grid"],
        "outputs": ["--out", "--json", "--json-lines"],
    },
    "hermes-sim reproduce": {
        # An accepted reproduce runs for minutes: only values that must be refused.
        "base": ["--no-plots"],
        "fixed": [["--batches", v] for v in ["0", "1,,2", ",", "1,x", "-1", "300", "", "18446744073709551616"]] +
                 [["--jobs", v] for v in ["0", "-1", "257", "abc", "", "18446744073709551616"]] +
                 [["--out", "keep.csv"], ["--out", "/dev/full"], ["--out", ""], ["--data", "missing"],
                  ["--data", "fifo"]],
    },
    "hermes-generate": {
        "base": ["--steps", "4"],
        "numbers": ["--steps", "--seed", "--profile-steps"],
        "reals": ["--temperature", "--top-p"],
        "names": ["--placement"],
        "files": ["--checkpoint", "--tokenizer"],
    },
    "hermes-trace": {
        "base": ["--steps", "4", "--calibration-steps", "2", "--targets", "80", "--attention-targets", "0",
                 "--out-dir", "o"],
        "numbers": ["--steps", "--calibration-steps", "--synthetic-tokens"],
        "lists": ["--targets", "--attention-targets"],
        "files": ["--checkpoint", "--tokenizer", "--prompts"],
    },
    "hermes-profile": {
        "base": ["--synthesize", "--model", "stories260k", "--tokens", "4", "--out", "x.trace"],
        "numbers": ["--tokens", "--seed", "--layers", "--attention", "--ffn"],
        "names": ["--model"],
        "files": [],
    },
}
SPECIAL_FILES = ["missing", "adir", "fifo", "/dev/zero", "/dev/null", "empty", "loop", "garbage"]


def limit_resources():
    resource.setrlimit(resource.RLIMIT_AS, (ADDRESS_SPACE_LIMIT, ADDRESS_SPACE_LIMIT))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def make_dir(root, files):
    d = tempfile.mkdtemp(dir=root)
    with open(os.path.join(d, "keep.csv"), "wb") as f:
        f.write(SENTINEL)
    os.mkdir(os.path.join(d, "adir"))
    os.mkfifo(os.path.join(d, "fifo"))
    open(os.path.join(d, "empty"), "wb").close()
    os.symlink("loop", os.path.join(d, "loop"))
    with open(os.path.join(d, "garbage"), "wb") as f:
        f.write(b"not any kind of file this program reads\n" * 3)
    for name, data in files.items():
        with open(os.path.join(d, name), "wb") as f:
            f.write(data)
    return d


def listing(d):
    out = {}
    for base, dirs, names in os.walk(d):
        for n in names + dirs:
            p = os.path.join(base, n)
            out[os.path.relpath(p, d)] = os.lstat(p).st_mode
    return out


def run_one(build, case, root):
    """case: (program, args, files) -> None or a finding dict."""
    program, args, files = case
    d = make_dir(root, files)
    before = listing(d)
    exe = program.split()
    cmd = [os.path.join(build, "examples", exe[0])] + exe[1:] + args
    try:
        p = subprocess.run(cmd, cwd=d, stdin=subprocess.DEVNULL, capture_output=True, timeout=TIME_LIMIT_S,
                           preexec_fn=limit_resources)
        code, text = p.returncode, (p.stdout + p.stderr).decode("utf-8", "replace")
    except subprocess.TimeoutExpired as e:
        code, text = "timeout", ((e.stdout or b"") + (e.stderr or b"")).decode("utf-8", "replace")
    kind = None
    if code == "timeout":
        kind = "hang"
    elif code < 0 or code not in (0, 1, 2) or "Sanitizer" in text or "runtime error:" in text:
        kind = "crash"
    elif "bad_alloc" in text or "out of memory" in text.lower():
        kind = "exhaustion"
    else:
        # A rejected or failed run must leave the existing output as it was (a successful run
        # may replace it: some runs name keep.csv as their output).
        with open(os.path.join(d, "keep.csv"), "rb") as f:
            if code != 0 and f.read() != SENTINEL:
                kind = "lost output"
        # Outputs named /dev/null or /dev/full are written in place, never replaced by a file.
        for dev in ("/dev/null", "/dev/full"):
            if not stat.S_ISCHR(os.stat(dev).st_mode):
                kind = "lost output"
        after = listing(d)
        if any(".tmp" in k or k.startswith(".") for k in after if k not in before):
            kind = "lost output"  # a temporary file left behind
        if code == 0 and kind is None and re.search(r"(?<![a-z])(inf|nan)(?![a-z])", text.lower()):
            kind = "nonsense accepted"
    shutil.rmtree(d, ignore_errors=True)
    if kind is None:
        return None, code
    return {"kind": kind, "program": program, "args": args, "files": files, "exit": code,
            "output": text[-600:]}, code


def flag_cases():
    cases = []
    for program, spec in PROGRAMS.items():
        base = spec.get("base", [])
        def with_base(flag, value):
            args = list(base)
            if flag in args:
                i = args.index(flag)
                del args[i:i + 2]
            return args + [flag, value]
        for flag in spec.get("numbers", []):
            cases += [(program, with_base(flag, v), {}) for v in NUMBERS]
        for flag in spec.get("lists", []):
            cases += [(program, with_base(flag, v), {}) for v in LISTS]
        for flag in spec.get("names", []):
            cases += [(program, with_base(flag, v), {}) for v in NAMES]
        for flag in spec.get("reals", []):
            cases += [(program, with_base(flag, v), {}) for v in REALS]
        for flag in spec.get("files", []):
            cases += [(program, with_base(flag, v), {}) for v in SPECIAL_FILES]
        for flag in spec.get("outputs", []):
            cases += [(program, with_base(flag, v), {}) for v in ["adir", "missing-dir/x", "/dev/full", ""]]
        cases += [(program, base + args, {}) for args in spec.get("fixed", [])]
        cases.append((program, base + ["--no-such-flag"], {}))
        cases.append((program, base + ["stray"], {}))
    return cases


def mutate(data, rng):
    data = bytearray(data)
    op = rng.randrange(6)
    if op == 0 and data:  # flip bits
        for _ in range(rng.randint(1, 8)):
            data[rng.randrange(len(data))] ^= 1 << rng.randrange(8)
    elif op == 1 and data:  # truncate
        del data[rng.randrange(len(data)):]
    elif op == 2 and data:  # extreme bytes
        for _ in range(rng.randint(1, 4)):
            i = rng.randrange(len(data))
            data[i:i + 4] = bytes([rng.choice([0x00, 0xff, 0x7f, 0x80])]) * 4
    elif op == 3 and data:  # duplicate a chunk
        i = rng.randrange(len(data))
        data[i:i] = data[i:i + rng.randint(1, 64)] * rng.randint(1, 50)
    elif op == 4:  # insert random bytes
        i = rng.randrange(len(data) + 1)
        data[i:i] = bytes(rng.randrange(256) for _ in range(rng.randint(1, 16)))
    elif data:  # an extreme 32- or 64-bit integer at a random aligned offset
        width = rng.choice([4, 8])
        i = rng.randrange(0, max(1, len(data) - width)) // width * width
        v = rng.choice([0, 1, 2**31 - 1, 2**31, 2**32 - 1, 2**63, 2**64 - 1])
        data[i:i + width] = (v % (2 ** (8 * width))).to_bytes(width, "little")
    return bytes(data)


def mutate_json(text, rng):
    numbers = list(re.finditer(rb"-?\d+(\.\d+)?([eE][-+]?\d+)?", text))
    op = rng.randrange(4)
    if op == 0 and numbers:
        m = rng.choice(numbers)
        v = rng.choice([b"0", b"-1", b"1e308", b"18446744073709551616", b"4294967296", b"2305843009213693952",
                        b"0.0000001", b"\"x\"", b"null", b"[]", b"{}", b"true"])
        return text[:m.start()] + v + text[m.end():]
    if op == 1:
        depth = rng.choice([100, 1000, 100000])
        return b"{\"workload\": " + b"[" * depth + b"]" * depth + b"}"
    if op == 2:
        lines = text.split(b"\n")
        del lines[rng.randrange(len(lines))]
        return b"\n".join(lines)
    return mutate(text, rng)


def file_cases(build, data_dir, work, n, rng):
    ex = os.path.join(build, "examples")
    config = subprocess.run([os.path.join(ex, "hermes-sim"), "--print-config"], capture_output=True,
                            check=True).stdout
    trace = os.path.join(work, "seed.trace")
    subprocess.run([os.path.join(ex, "hermes-profile"), "--synthesize", "--model", "stories260k", "--tokens",
                    "40", "--out", trace], check=True, capture_output=True)
    csv = os.path.join(work, "seed.csv")
    subprocess.run([os.path.join(ex, "hermes-profile"), "--from-trace", trace, "--model", "stories260k",
                    "--out", csv], check=True, capture_output=True)
    seeds = {
        "config": config,
        "trace": open(trace, "rb").read(),
        "csv": open(csv, "rb").read(),
        "tokenizer": open(os.path.join(data_dir, "stories260K", "tok512.bin"), "rb").read(),
        "checkpoint": open(os.path.join(data_dir, "stories260K", "stories260K.bin"), "rb").read(),
    }
    kinds = list(seeds)
    cases = []
    for i in range(n):
        kind = kinds[i % len(kinds)]
        blob = mutate_json(seeds[kind], rng) if kind == "config" else mutate(seeds[kind], rng)
        if kind == "config":
            cases.append(("hermes-sim", ["--config", "in.json"] + SIM_BASE, {"in.json": blob}))
        elif kind == "trace":
            if i % 2:
                cases.append(("hermes-sim", ["--trace", "in.trace", "--model", "stories260K", "--compare", "none",
                                             "--profile-tokens", "8", "--input-len", "8", "--output-len", "8"],
                              {"in.trace": blob}))
            else:
                cases.append(("hermes-profile", ["--from-trace", "in.trace", "--out", "keep.csv"], {"in.trace": blob}))
        elif kind == "csv":
            cases.append(("hermes-profile", ["--from-csv", "in.csv", "--out", "keep.csv"], {"in.csv": blob}))
        elif kind == "tokenizer":
            cases.append(("hermes-generate", ["--tokenizer", "in.bin", "--steps", "4", "--prompt", "Tom had"],
                          {"in.bin": blob}))
        else:
            cases.append(("hermes-generate", ["--checkpoint", "in.bin", "--steps", "4"], {"in.bin": blob}))
    return cases


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("build")
    ap.add_argument("--out", default="hostile-campaign")
    ap.add_argument("--mutations", type=int, default=8100)
    ap.add_argument("--seed", type=int, default=2)
    ap.add_argument("--sample", type=int, default=0, help="run only this many flag cases, drawn at random")
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--data", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "data"))
    a = ap.parse_args()
    a.build = os.path.abspath(a.build)
    a.data = os.path.abspath(a.data)
    rng = random.Random(a.seed)
    os.makedirs(a.out, exist_ok=True)
    work = tempfile.mkdtemp(prefix="hermes-hostile-")
    try:
        cases = flag_cases()
        if a.sample:
            cases = rng.sample(cases, min(a.sample, len(cases)))
        n_flags = len(cases)
        cases += file_cases(a.build, a.data, work, a.mutations, rng)
        findings, codes = [], {}
        with concurrent.futures.ThreadPoolExecutor(a.jobs) as pool:
            futures = [pool.submit(run_one, a.build, c, work) for c in cases]
            for i, f in enumerate(concurrent.futures.as_completed(futures)):
                finding, code = f.result()
                codes[str(code)] = codes.get(str(code), 0) + 1
                if finding:
                    findings.append(finding)
                if sys.stderr.isatty():
                    print(f"\r{i + 1}/{len(cases)} runs, {len(findings)} findings", end="", file=sys.stderr)
        summary = {"flag_cases": n_flags, "mutated_files": len(cases) - n_flags, "exit_codes": codes,
                   "findings_by_kind": {}, "findings": findings}
        for i, f in enumerate(findings):
            summary["findings_by_kind"][f["kind"]] = summary["findings_by_kind"].get(f["kind"], 0) + 1
            # The input files of each finding, to reproduce it: DIR/finding-<i>/<name>.
            if f["files"]:
                d = os.path.join(a.out, f"finding-{i}")
                os.makedirs(d, exist_ok=True)
                for name, data in f["files"].items():
                    with open(os.path.join(d, name), "wb") as out:
                        out.write(data)
            f["files"] = sorted(f["files"])
        with open(os.path.join(a.out, "findings.json"), "w") as f:
            json.dump(summary, f, indent=1)
        print(f"\n{n_flags} bad flag values and special files, {len(cases) - n_flags} mutated files; "
              f"exit codes {codes}; findings {summary['findings_by_kind'] or 'none'}")
        return 1 if findings else 0
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
