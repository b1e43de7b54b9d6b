#!/usr/bin/env python3
"""chainplan's own grammar fuzzer for the edge contract (issue 25).

It generates argument lists for every subcommand of the `chainplan` binary, valid-looking and
hostile (numbers around every integer limit, NaN and infinities, empty and huge tokens,
unicode and control characters, deep nesting, conflicting flags, special files as targets,
unreadable and garbage inputs, mutated profile files, narrow `ulimit -v` and thread counts,
`ulimit -u` (RLIMIT_NPROC, run as nobody: the kernel does not apply it to root, and the cases
are skipped when the fuzzer is not root), the program syntax of issue 22 in one marked
section), runs each, and classifies the run against the README's contract:

- exit status 0 or 2, nothing else (no signal, abort, panic status, 1, 130);
- with 2: exactly one line on standard error, starting `error: `;
- with 0: no `error:` line, and every stderr line a `warning:`/`note:`/`saved ` line;
- never a panic message or backtrace;
- no run of more than 40 characters of any input token (argument or file content) echoed on
  standard error;
- done within the time limit (else: a hang, and the process group is killed). The limit is
  --timeout seconds times the load average per CPU when above 1, plus twice the measuring
  time a `calibrate` case asks for (--seconds-per-shape times its shapes; the generator keeps
  that under CALIBRATE_MAX_SECONDS). A case that runs past it runs again with ten times the
  limit, and only a second timeout is a hang: a real hang is endless, a loaded machine slow;
- special targets (links to /dev/null and /dev/full, a FIFO) still what they were; a regular
  target either as it was or a whole new document, never torn.

With --python PY it also runs Python calls against the `chainplan` module (scripts/fuzz/
pycases.py, in a worker process of that interpreter) and classifies them: only the documented
exception types, messages of bounded length echoing no more than 40 characters of an input,
no crash of the interpreter. `multi_dot` is numpy's drop-in, so its contract is numpy's
behaviour: where it raises a type outside the documented ones, numpy's multi_dot runs on the
same input, and the same type (with a bounded message) is no violation.

It uses the standard library only. `make fuzz` runs a fixed-seed budget (CI); `make
fuzz-long` a random-seed campaign. Each violation is printed with a command line that
reproduces it; the exit status is 1 when any was found.
"""

import argparse
import concurrent.futures
import json
import math
import os
import random
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time

CUT = 40
# A cut excerpt shows CUT characters of the input; the message's own characters around it (a
# space, a quote) may happen to continue the input, so only a window of SPAN is an echo.
SPAN = CUT + 3
HERE = os.path.dirname(os.path.abspath(__file__))

# --------------------------------------------------------------------------------------------
# Hostile tokens

INT_EDGES = [
    "0", "1", "-1", "2", "127", "128", "255", "256", "32767", "32768", "65535", "65536",
    "2147483647", "2147483648", "-2147483648", "4294967295", "4294967296",
    "9223372036854775807", "9223372036854775808", "-9223372036854775808",
    "18446744073709551615", "18446744073709551616",
    "340282366920938463463374607431768211455", "340282366920938463463374607431768211456",
    "1" + "0" * 60, "00000000000000000000000000000000000000000000000007", "+5", "0x10", "1e3",
    "1_000", "١٢", "5 ", " 5", "5,", ",5", "3,,4",
]
FLOAT_EDGES = [
    "nan", "NaN", "-nan", "inf", "-inf", "infinity", "1e308", "1e309", "-1e309", "4.9e-324",
    "0.0", "-0.0", "1.0000000000000002", "0.5", "1", "1.2", "100", "-3", "1e-300", ".", "e",
]
WEIRD = [
    "", " ", "-", "--", "\t", "\n", "\x00x"[1:], "\x1b[31mred", "é", "日本語", "\u202e", "\ufeff1",
    "a\u0301", "\U0001f600", "\\", "'", '"', "%s%n", "$(id)", "*", "?", "=", ",", ":", "x" * 41,
]
PROPERTIES = ["general", "symmetric", "spd", "lower", "upper", "diagonal", "orthogonal",
              "fullrank", "nonsingular", "bogus"]


def huge(rng):
    n = rng.choice([41, 100, 300, 1000, 5000, 100_000])
    c = rng.choice(["x", "9", "é", "\x1b", "a b ", "/", "日"])
    return (c * n)[:n] if len(c) == 1 else (c * (n // len(c) + 1))[:n]


def token(rng):
    """Any hostile token."""
    r = rng.random()
    if r < 0.35:
        return rng.choice(INT_EDGES)
    if r < 0.5:
        return rng.choice(FLOAT_EDGES)
    if r < 0.8:
        return rng.choice(WEIRD)
    return huge(rng)


# The share of hostile tokens in the case being generated: half the cases are plausible
# throughout (to reach the work behind the parsers), half hostile.
HOSTILITY = [0.15]


def dim(rng, small=False):
    """A dimension: usually plausible, sometimes hostile."""
    if rng.random() >= HOSTILITY[0]:
        return str(rng.randint(1, 40 if small else 3000))
    return token(rng)


def number(rng, lo, hi):
    return str(rng.randint(lo, hi)) if rng.random() >= 2 * HOSTILITY[0] else token(rng)


# --------------------------------------------------------------------------------------------
# The work directory: fixtures every case may name

def make_fixtures(root, binary):
    """Creates the files cases name (relative to `root`), returns the profile text."""
    os.makedirs(os.path.join(root, "subdir"), exist_ok=True)
    with open(os.path.join(root, "chain.txt"), "w") as f:
        f.write("# a chain\n30 35 15 5 10 20 25\n")
    with open(os.path.join(root, "ops.txt"), "w") as f:
        f.write("X=50x20:fullrank\ny=50\nM=50x50:spd\n")
    with open(os.path.join(root, "garbage.bin"), "wb") as f:
        f.write(bytes(range(256)) * 4)
    with open(os.path.join(root, "latin1.txt"), "wb") as f:
        f.write(b"3 4 \xe9 5\n")
    with open(os.path.join(root, "unreadable.txt"), "w") as f:
        f.write("3 4 5\n")
    os.chmod(os.path.join(root, "unreadable.txt"), 0)
    with open(os.path.join(root, "longline.txt"), "w") as f:
        f.write("7" * 200_000 + "\n")
    with open(os.path.join(root, "empty.txt"), "w"):
        pass
    # A real profile to mutate; made quickly.
    prof = os.path.join(root, "profile.json")
    subprocess.run(
        [binary, "calibrate", "--max-dim", "4", "--rounds", "1", "--seconds-per-shape", "0",
         "--validation", "0", "--profile", prof],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=120, check=False,
        env=base_env(),
    )
    try:
        with open(prof) as f:
            return f.read()
    except OSError:
        return '{"format": 1}'


# The user and group that RLIMIT_NPROC cases run as (the limit does not bind root).
try:
    import pwd

    NOBODY = pwd.getpwnam("nobody")[2:4]
except (ImportError, KeyError):
    NOBODY = (65534, 65534)

SPECIAL_LINKS = {"devnull": "/dev/null", "devfull": "/dev/full", "devzero": "/dev/zero"}


def reset_targets(work):
    """The special and regular targets, as every case starts with them."""
    for name, dest in SPECIAL_LINKS.items():
        p = os.path.join(work, name)
        if os.path.lexists(p):
            os.remove(p)
        if os.path.exists(dest):
            os.symlink(dest, p)
    fifo = os.path.join(work, "fifo")
    if os.path.lexists(fifo):
        if os.path.isdir(fifo) and not os.path.islink(fifo):
            shutil.rmtree(fifo)
        else:
            os.remove(fifo)
    os.mkfifo(fifo)
    with open(os.path.join(work, "existing.out"), "w") as f:
        f.write("OLD CONTENTS\n")


def mutate_json(rng, text):
    """A profile (or any JSON) mutated: fields dropped, retyped, huge, nested, cut."""
    r = rng.random()
    if r < 0.15:
        return text[: rng.randint(0, len(text))]
    if r < 0.25:
        return "[" * rng.choice([10, 200, 5000]) + "]" * rng.choice([0, 10])
    try:
        doc = json.loads(text)
    except ValueError:
        return text
    values = [None, True, -1, 0, 2**64, 1e308, "x" * 1000, "\x1b[2J" * 20, [], {}, [[[[1]]]],
              "NaN", -0.0, 4.9e-324, "a" * 41]

    def walk(v, depth=0):
        if isinstance(v, dict):
            out = {}
            for k, x in v.items():
                p = rng.random()
                if p < 0.05:
                    continue
                if p < 0.12:
                    out[k] = rng.choice(values)
                else:
                    out[k] = walk(x, depth + 1)
            if rng.random() < 0.05:
                out["z" * rng.choice([1, 60])] = 1
            return out
        if isinstance(v, list):
            v = [walk(x, depth + 1) for x in v]
            if v and rng.random() < 0.05:
                del v[rng.randrange(len(v))]
            if v and rng.random() < 0.05:
                v.append(v[0])
            return v
        if isinstance(v, (int, float)) and not isinstance(v, bool) and rng.random() < 0.05:
            return rng.choice(values)
        return v

    out = json.dumps(walk(doc))
    if rng.random() < 0.1:
        out = out.replace("1", "NaN", 1)
    return out


# --------------------------------------------------------------------------------------------
# Argument lists, per subcommand

def target(rng):
    """A file name for an output flag."""
    if rng.random() >= 2 * HOSTILITY[0]:
        return rng.choice(["out.csv", "out.json", "out.md", "existing.out", "devnull"])
    return rng.choice([
        "out.csv", "out.json", "existing.out", "devnull", "devfull", "devzero", "fifo", "subdir",
        "missing/dir/x.csv", "t" * 300, "t" * 255, "t" * 256, "", "-", "é" * 100,
        "x\x1bname", "./out.json",
    ])


def source(rng):
    """A file name for an input flag."""
    if rng.random() >= 2 * HOSTILITY[0]:
        return rng.choice(["chain.txt", "profile.json", "ops.txt"])
    return rng.choice([
        "chain.txt", "garbage.bin", "latin1.txt", "unreadable.txt", "longline.txt",
        "empty.txt", "subdir", "missing.txt", "n" * 300, "", "devnull", "devzero", "profile.json",
        "mutated.json", "ops.txt", "x\x1b[1m", "-",
    ])


def exports(rng):
    args = []
    for flag in ["--export-json", "--export-markdown", "--export-csv"]:
        if rng.random() < 0.2:
            args += [flag, target(rng)]
    return args


def chain_args(rng, small=False):
    r = rng.random()
    if r < 0.75:
        return [dim(rng, small) for _ in range(rng.choice([0, 1, 2, 3, 4, 7, 12, 40]))]
    if r < 0.85:
        return ["--file", source(rng)]
    if r < 0.9:
        return ["-"]
    return [" ".join(dim(rng, small) for _ in range(5)), dim(rng, small)]


def gen_plan(rng):
    a = ["plan"] + chain_args(rng)
    if rng.random() < 0.3:
        a += ["--algorithm", rng.choice(["auto", "dp", "hu-shing", "approx", "left-to-right",
                                         "right-to-left", "bogus", token(rng)])]
    for flag in ["--json", "--dot", "--steps"]:
        if rng.random() < 0.15:
            a.append(flag)
    if rng.random() < 0.2:
        a += ["--export-plan", target(rng)]
    a += exports(rng)
    if rng.random() < 0.2:
        a += ["--cost", rng.choice(["flops", "time", token(rng)])]
    if rng.random() < 0.2:
        a += ["--profile", rng.choice(["profile.json", "mutated.json", source(rng)])]
    if rng.random() < 0.1:
        a += ["--min-gain", rng.choice(FLOAT_EDGES)]
    if rng.random() < 0.1:
        a += ["--max-intermediate", rng.choice(INT_EDGES)]
    if rng.random() < 0.1:
        a += ["--max-memory", rng.choice(["64KiB", "1.5GB", "0", "-1", "1e400", "nanKiB",
                                          token(rng)])]
    if rng.random() < 0.1:
        a += ["--minimize", rng.choice(["cost", "memory", token(rng)])]
    if rng.random() < 0.1:
        a += ["--dtype", rng.choice(["f64", "f32", "f16", token(rng)])]
    return a


def gen_bench(rng):
    # Operands stay small (or absurd, which is refused): a case must end in seconds.
    a = ["bench"] + chain_args(rng, small=True)
    if rng.random() < 0.3:
        a += ["--reps", rng.choice(["1", "2", "0", "100001", token(rng)])]
    if rng.random() < 0.2:
        a += ["--warmup", rng.choice(["0", "1", "100001", token(rng)])]
    if rng.random() < 0.3:
        a += ["-t", rng.choice(["1", "2", "16", "40", "48", "63", "64", "65", "0", "1000",
                                token(rng)])]
    if rng.random() < 0.1:
        a.append("--all")
    if rng.random() < 0.15:
        a += ["--dtype", rng.choice(["f64", "f32", token(rng)])]
    if rng.random() < 0.15:
        a.append("--json")
    if rng.random() < 0.1:
        a += ["--seed", rng.choice(INT_EDGES)]
    if rng.random() < 0.15:
        a += ["--max-memory", rng.choice(["1KiB", "64MiB", "0", token(rng)])]
    if rng.random() < 0.15:
        a += ["--profile", rng.choice(["profile.json", "mutated.json", source(rng)])]
    if rng.random() < 0.1:
        a += ["--min-gain", rng.choice(FLOAT_EDGES)]
    a += exports(rng)
    return a


def gen_jacobian(rng):
    a = ["jacobian"] + [dim(rng) for _ in range(rng.choice([0, 1, 2, 3, 5, 20]))]
    if rng.random() < 0.4:
        a += ["--seed", rng.choice(["none", "output", "input", "both", token(rng)])]
    n = len(a) - 2
    if rng.random() < 0.2:
        a += ["--seed-size", number(rng, 0, 10)]
    if rng.random() < 0.2:
        a += ["--layers", ",".join(rng.choice(["dense", "op", "diag", "x", token(rng)])
                                   for _ in range(max(0, n + rng.choice([-1, 0, 0, 1]))))]
    if rng.random() < 0.2:
        a += ["--tangent-costs", ",".join(number(rng, 0, 99) for _ in range(n)),
              "--adjoint-costs", ",".join(number(rng, 0, 99) for _ in range(n))]
        if rng.random() < 0.4:
            a += ["--tapes", ",".join(number(rng, 0, 99) for _ in range(n)),
                  "--memory", number(rng, 0, 1000)]
    if rng.random() < 0.15:
        a.append("--json")
    a += exports(rng)
    return a


def formula(rng, depth=0):
    r = rng.random()
    if depth > 6 or r < 0.3:
        return rng.choice(["x", "y", "z", "2", "1e308", "nan", "0", "-x", token(rng)])
    op = rng.choice(["+", "-", "*", "/", "^"])
    if r < 0.45:
        return rng.choice(["sin", "exp", "log", "sqrt", "tanh", "bogus"]) + "(" + \
            formula(rng, depth + 1) + ")"
    return "(" + formula(rng, depth + 1) + op + formula(rng, depth + 1) + ")"


def gen_grad(rng):
    r = rng.random()
    if r < 0.1:
        expr = "(" * rng.choice([100, 1000, 100_000]) + "x" + ")" * rng.choice([0, 100, 1000])
    elif r < 0.2:
        expr = "x" + "*x" * rng.choice([100, 10000])
    else:
        expr = formula(rng)
    a = ["grad", expr]
    if rng.random() < 0.85:
        vals = [f"{v}={rng.choice(FLOAT_EDGES + ['1', '2', '0.5'])}"
                for v in rng.sample(["x", "y", "z", "w", token(rng)], rng.randint(0, 3))]
        a += ["--at", ",".join(vals)]
    for flag in ["--trace", "--json", "--dot"]:
        if rng.random() < 0.15:
            a.append(flag)
    return a


def calibrate_grid(max_dim):
    """The library's calibration grid for `max_dim` (CalibrateOptions::grid)."""
    g, x = [max_dim], max_dim
    while (x + 2) // 4 > 16:
        x = (x + 2) // 4
        g.append(x)
    return g + [s for s in (16, 8, 6, 4, 3, 2, 1) if s < max_dim]


def calibrate_seconds(args):
    """The time a `calibrate` argument list legitimately asks to spend measuring, in seconds
    (--seconds-per-shape times the shapes: the grid's cube and the validation shapes, per
    element type), when its options are valid; else 0 (it is refused before measuring)."""
    if not args or args[0] != "calibrate":
        return 0.0
    opts = dict(zip(args[1::2], args[2::2]))  # flags and values pair up here
    try:
        max_dim = int(opts.get("--max-dim", "2000"))
        rounds = int(opts.get("--rounds", "3"))
        seconds = float(opts.get("--seconds-per-shape", "0.01"))
        validation = int(opts.get("--validation", "64"))
    except ValueError:
        return 0.0
    if not (2 <= max_dim <= 4096 and 1 <= rounds <= 100 and 0 <= seconds <= 60
            and 0 <= validation <= 10_000):
        return 0.0
    if "--quick" in args:
        seconds, validation = min(seconds, 0.002), min(validation, 8)
    dtypes = 1 if opts.get("--dtype") in ("f64", "f32") else 2
    return seconds * dtypes * (len(calibrate_grid(max_dim)) ** 3 + validation)


# The most measuring time a generated `calibrate` case may ask for: a larger valid
# --seconds-per-shape is replaced by one that asks for less (the value's parsing is what the
# case tests; the run's length is not), and the case's time limit adds what it asks for.
CALIBRATE_MAX_SECONDS = 10.0


def gen_calibrate(rng):
    a = ["calibrate", "--max-dim", rng.choice(["2", "4", "8", "1", "4097", token(rng)]),
         "--rounds", rng.choice(["1", "0", "101", token(rng)]),
         "--seconds-per-shape", rng.choice(["0", "0.0001", "-1", "61", "nan", "inf",
                                            token(rng)]),
         "--validation", rng.choice(["0", "2", "10001", token(rng)])]
    if rng.random() < 0.3:
        a += ["--dtype", rng.choice(["f64", "f32", "both", "all", token(rng)])]
    a += ["--profile", rng.choice(["newprofile.json", "existing.out", target(rng)])]
    if rng.random() < 0.2:
        a.append("--json")
    if rng.random() < 0.2:
        a.append("--quick")
    if calibrate_seconds(a) > CALIBRATE_MAX_SECONDS:
        a[6] = "0.0001"
    return a


def expression(rng, names, depth=0):
    r = rng.random()
    if depth > 5 or r < 0.35:
        n = rng.choice(names + [token(rng)]) if rng.random() < 0.95 else huge(rng)
        return n + rng.choice(["", "", "'", "^T", "^-1", "^-T", "^2"])
    if r < 0.5:
        return "inv(" + expression(rng, names, depth + 1) + ")"
    return expression(rng, names, depth + 1) + rng.choice([" * ", "*", " ", " + "]) + \
        expression(rng, names, depth + 1)


def gen_expr(rng):
    names = ["A", "B", "X", "y", "M"]
    ops = []
    for name in rng.sample(names, rng.randint(0, 5)):
        rows = number(rng, 1, 60)
        cols = number(rng, 1, 60)
        spec = f"{name}={rows}x{cols}" if rng.random() < 0.8 else f"{name}={rows}"
        if rng.random() < 0.4:
            spec += ":" + ",".join(rng.sample(PROPERTIES, rng.randint(1, 3)))
        ops.append(spec)
    if rng.random() < 0.1:
        ops.append(token(rng))
    if rng.random() < 0.05:
        ops.append(huge(rng) + "=3x3")
    r = rng.random()
    if r < 0.05:
        expr = "inv(" * rng.choice([100, 3000]) + "A" + ")" * rng.choice([100, 3000])
    elif r < 0.1:
        expr = huge(rng)
    else:
        expr = expression(rng, names)
    a = ["expr", expr]
    for spec in ops:
        a += ["--op", spec]
    if rng.random() < 0.15:
        a += ["-f", source(rng)]
    for flag in ["--json", "--dot"]:
        if rng.random() < 0.15:
            a.append(flag)
    if rng.random() < 0.15:
        a.append("--bench")
        if rng.random() < 0.5:
            a += ["--reps", rng.choice(["1", "2", "0", "1001", token(rng)])]
    a += exports(rng)
    return a


# ---- Programs of `chainplan expr` (issue 22) ----------------------------------------------
# ONE place for the program syntax that issue 22 adds: assignments `K = …; xa = …` separated by
# `;` or newlines, `+`, `-` (binary and unary), scalar numbers and named scalars (values from
# `--scalar NAME=VALUE`, signs declared as `NAME:positive`), `I` (size inferred). Before issue
# 22 lands, every such case must still be one clean `error:` line with exit 2; after it, extend
# these productions (program files, the Python `plan_expr`/`eval_expr` programs) here.

PROGRAM_NAMES = ["K", "xa", "Pa", "S", "out", "x"]
SCALARS = ["alpha", "lambda", "sigma2", "k", "beta"]


def program_scalar(rng):
    """A scalar factor: a number (sometimes hostile) or a named scalar."""
    if rng.random() < 0.5:
        return rng.choice(["2", "0.5", "-1", "1e-3", "0", "3.", ".5", "1e308", "1e309", "nan",
                           "inf", "-0", "1/2", "k/(k-1)", "2^2", token(rng)])
    return rng.choice(SCALARS + [token(rng)]) if rng.random() < 0.9 else huge(rng)


def program_term(rng, names, depth):
    """A product term: operands, results of earlier assignments, I, scalars, sub-sums."""
    factors = []
    for _ in range(rng.choice([1, 1, 2, 3])):
        r = rng.random()
        if r < 0.15:
            factors.append(program_scalar(rng))
        elif r < 0.25:
            factors.append("I")
        elif r < 0.4 and depth < 4:
            factors.append("(" + program_sum(rng, names, depth + 1) + ")")
        elif r < 0.5 and depth < 4:
            factors.append("inv(" + program_sum(rng, names, depth + 1) + ")")
        elif rng.random() < 2 * HOSTILITY[0]:
            factors.append(expression(rng, names, depth + 3))
        else:
            factors.append(rng.choice(names) + rng.choice(["", "", "'", "^T", "^-1"]))
    return rng.choice([" * ", "*"]).join(factors)


def program_sum(rng, names, depth=0):
    """A sum or difference of terms, with a unary minus now and then."""
    out = ("-" if rng.random() < 0.1 else "") + program_term(rng, names, depth)
    for _ in range(rng.choice([0, 1, 1, 2, 3])):
        out += rng.choice([" + ", " - ", "+", "-", " + -"]) + program_term(rng, names, depth)
    return out


def program(rng, names):
    """A program: assignments separated by `;` or newlines, later ones using earlier results,
    now and then broken (unbalanced, an assignment without a value, a name used before it is
    assigned, a separator alone, an `I` whose size nothing gives)."""
    r = rng.random()
    if r < 0.05:
        return rng.choice(["K =", "= A", ";", "\n\n", "K = A;;", "K = (A + B", "K = A +",
                           "K = I", "x = x + A", "K = A; K = B", "I = A", "A = A",
                           "K = A\nxa = K +", "K = 2", "K = alpha", "K = A ; ; xa = K"])
    if r < 0.1:
        return "; ".join(f"T{i} = A" for i in range(rng.choice([100, 3000])))
    known = list(names)
    lines = []
    for _ in range(rng.choice([1, 2, 3, 4])):
        target = rng.choice(PROGRAM_NAMES) if rng.random() < 0.95 else token(rng)
        lines.append(f"{target} = {program_sum(rng, known)}")
        known.append(target)
    sep = rng.choice(["; ", ";", "\n", " ;\n", "\r\n"])
    text = sep.join(lines)
    if rng.random() < 0.1:
        text += rng.choice([";", "\n", "; "])
    return text


def gen_program(rng):
    """`chainplan expr` with a program and `--scalar` values (issue 22's syntax)."""
    a = gen_expr(rng)
    a[1] = program(rng, ["A", "B", "X", "y", "M"]) if rng.random() < 0.9 else program_sum(
        rng, ["A", "B", "X", "y", "M"])
    for _ in range(rng.choice([0, 1, 1, 2, 3])):
        name = rng.choice(SCALARS + [token(rng)])
        if rng.random() < 0.2:
            name += rng.choice([":positive", ":negative", ":nonzero", ":bogus", ":"])
        a += ["--scalar", name + "=" + program_scalar(rng) if rng.random() < 0.9
              else rng.choice(["alpha", "=", "alpha=", "=2", token(rng)])]
    return a

# ---- end of the programs of issue 22 ------------------------------------------------------


def gen_misc(rng):
    return rng.choice([
        [], ["--help"], ["--version"], ["help"], [token(rng)], ["plan", "--bogus"],
        ["plan", "--json", "--dot", "3", "4"], [huge(rng)], ["plan", "3", "4", "--json", "--json"],
        ["plan", "--file", "chain.txt", "3", "4"], ["expr"], ["grad"], ["jacobian"],
        ["bench", "--threads"], ["plan", "3", "4", "--export-plan", "-", "--json"],
    ])


GENERATORS = [(gen_plan, 30), (gen_bench, 14), (gen_jacobian, 10), (gen_grad, 12),
              (gen_calibrate, 4), (gen_expr, 18), (gen_program, 8), (gen_misc, 8)]


def gen_case(rng, profile_text):
    HOSTILITY[0] = rng.choice([0.0, 0.02, 0.15, 0.4])
    gens, weights = zip(*GENERATORS)
    args = rng.choices(gens, weights)[0](rng)
    case = {"args": args, "stdin": "", "limit_kib": None, "env": {}, "mutated": None}
    if "-" in args:
        case["stdin"] = rng.choice(["3 4 5\n", "", token(rng), "9 " * 1000, huge(rng)])
    if "mutated.json" in args:
        case["mutated"] = mutate_json(rng, profile_text)
    r = rng.random()
    if r < 0.1:
        case["limit_kib"] = rng.choice([40_000, 44_000, 46_000, 48_000, 50_000, 52_000,
                                        56_000, 80_000, 150_000, 600_000, 4_194_304])
    elif r < 0.16:
        # RLIMIT_NPROC (`ulimit -u`): threads count as processes, so pthread_create fails once
        # the process has this many (see run_case: root is exempt, so the case runs as nobody).
        case["nproc"] = rng.choice([1, 2, 3, 4, 8, 16])
    if rng.random() < 0.1:
        case["env"]["OPENBLAS_NUM_THREADS"] = rng.choice(["1", "2"])
    return case


# --------------------------------------------------------------------------------------------
# Running and classifying

def base_env():
    env = {k: v for k, v in os.environ.items()
           if k not in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "GOTO_NUM_THREADS",
                        "RUST_BACKTRACE", "RAYON_NUM_THREADS")}
    env["XDG_CONFIG_HOME"] = "/nonexistent-chainplan-fuzz-config"
    env["RUST_BACKTRACE"] = "1"
    return env


def echoes(stderr, inputs):
    """The first piece of more than CUT characters of an input found in stderr, if any."""
    for text in inputs:
        if len(text) < SPAN:
            continue
        step = 1 if len(text) < 3000 else 97
        for i in range(0, len(text) - SPAN + 1, step):
            piece = text[i:i + SPAN]
            if piece.strip() and piece in stderr:
                return piece
    return None


def is_whole(path, old):
    with open(path, "rb") as f:
        data = f.read()
    if data == old:
        return True
    if not data.endswith(b"\n"):
        return False
    if data.lstrip().startswith((b"{", b"[")):
        try:
            json.loads(data)
        except ValueError:
            return False
    return True


def classify(case, work, code, stdout, stderr, timed_out):
    """The contract's verdict on one run: a list of violations (empty: it held)."""
    v = []
    if (case["limit_kib"] and code == 127
            and "error while loading shared libraries" in stderr):
        # Too narrow for the dynamic loader to map the libraries: the program never started.
        return v
    if timed_out:
        v.append("hang (killed at the time limit)")
    elif code not in (0, 2):
        v.append(f"exit status {code}")
    lines = stderr.splitlines()
    if code == 2 and not timed_out:
        if len(lines) != 1 or not stderr.endswith("\n"):
            v.append(f"{len(lines)} stderr lines with status 2")
        if not lines or not lines[0].startswith("error: "):
            v.append("stderr does not start with 'error: '")
    if code == 0:
        for line in lines:
            if not line.startswith(("warning: ", "note: ", "saved the profile", "calibrating ")):
                v.append(f"unexpected stderr line with status 0: {line[:80]!r}")
                break
    for bad in ("panicked", "RUST_BACKTRACE", "stack backtrace", "internal error",
                "blas_thread_init", "OpenBLAS warning", "Segmentation", "core dumped"):
        if bad in stderr:
            v.append(f"stderr shows {bad!r}")
    inputs = list(case["args"]) + [case["stdin"]]
    if case["mutated"]:
        inputs.append(case["mutated"])
    piece = echoes(stderr, inputs)
    if piece:
        v.append(f"echoes {len(piece)}+ characters of input: {piece[:50]!r}")
    for name, dest in SPECIAL_LINKS.items():
        p = os.path.join(work, name)
        if os.path.exists(dest) and not os.path.islink(p):
            v.append(f"the link to {dest} was replaced")
    import stat
    fifo = os.path.join(work, "fifo")
    if not (os.path.lexists(fifo) and stat.S_ISFIFO(os.lstat(fifo).st_mode)):
        v.append("the FIFO was replaced")
    ex = os.path.join(work, "existing.out")
    if os.path.exists(ex) and not is_whole(ex, b"OLD CONTENTS\n"):
        v.append("existing.out is torn")
    return v


def run_case(binary, work, case, timeout):
    reset_targets(work)
    if case["mutated"] is not None:
        with open(os.path.join(work, "mutated.json"), "w", encoding="utf-8",
                  errors="surrogatepass") as f:
            f.write(case["mutated"])
    env = base_env()
    env.update(case["env"])
    limit = case["limit_kib"]
    nproc = case.get("nproc")
    if nproc and os.geteuid() != 0:
        # Not root: the limit would count every process of this user (this fuzzer's own
        # included), so the case says nothing about the program. Skipped.
        return {"skipped": "RLIMIT_NPROC needs root to run the case as nobody"}

    def pre():
        os.setsid()
        if limit:
            resource.setrlimit(resource.RLIMIT_AS, (limit * 1024, limit * 1024))
        if nproc:
            # The kernel does not apply RLIMIT_NPROC to root: run as nobody, under the limit
            # (set after the switch, which would otherwise mark the process over its limit
            # when another case runs as nobody, and fail its exec).
            os.setgroups([])
            os.setgid(NOBODY[1])
            os.setuid(NOBODY[0])
            resource.setrlimit(resource.RLIMIT_NPROC, (nproc, nproc))

    try:
        args = [a.encode("utf-8", "surrogateescape") for a in case["args"]]
        if any(b"\x00" in a for a in args):
            return None
        p = subprocess.Popen([binary.encode()] + args, cwd=work, env=env,
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, preexec_fn=pre)
    except (OSError, ValueError) as e:  # an argument the OS refuses (E2BIG, NUL)
        return {"skipped": str(e)}
    timed_out = False
    try:
        out, err = p.communicate(case["stdin"].encode("utf-8", "surrogateescape"),
                                 timeout=timeout)
    except subprocess.TimeoutExpired:
        timed_out = True
        os.killpg(p.pid, signal.SIGKILL)
        out, err = p.communicate()
    code = p.returncode if p.returncode >= 0 else 128 - p.returncode
    stderr = err.decode("utf-8", "replace")
    return {"code": code, "stderr": stderr, "timed_out": timed_out, "violations":
            classify(case, work, code, out, stderr, timed_out)}


def case_time_limit(base, case):
    """The time limit for one case: `base` seconds scaled by the machine's load (the
    one-minute load average per CPU, when above 1), plus twice the measuring time that a
    `calibrate` case legitimately asks for (calibrate_seconds)."""
    try:
        load = os.getloadavg()[0] / (os.cpu_count() or 1)
    except OSError:
        load = 1.0
    return base * max(1.0, load) + 2 * calibrate_seconds(case["args"])


def shell_line(binary, case):
    import shlex
    parts = []
    if case["limit_kib"]:
        parts.append(f"ulimit -v {case['limit_kib']};")
    for k, v in case["env"].items():
        parts.append(f"{k}={shlex.quote(v)}")
    if case.get("nproc"):
        parts.append(f"prlimit --nproc={case['nproc']} setpriv --reuid={NOBODY[0]} "
                     f"--regid={NOBODY[1]} --clear-groups")
    parts.append(shlex.quote(binary))
    parts += [shlex.quote(a) if len(a) < 200 else f"\"$(printf '{a[0]}%.0s' $(seq {len(a)}))\""
              for a in case["args"]]
    line = " ".join(parts)
    if case["stdin"]:
        line = f"printf %s {shlex.quote(case['stdin'][:200])} | " + line
    return line


def cli_worker(binary, seed, cases, deadline, timeout, index):
    """Runs `cases` cases (or until `deadline`) in a work directory of its own."""
    rng = random.Random(f"{seed}-{index}")
    work = tempfile.mkdtemp(prefix=f"chainplan-fuzz-{index}-")
    # Open to the RLIMIT_NPROC cases, which run as nobody (sticky, as /tmp is).
    os.chmod(work, 0o1777)
    profile_text = make_fixtures(work, binary)
    found, ran, skipped, statuses, slow = [], 0, 0, {}, 0
    try:
        for i in range(cases):
            if deadline and time.time() > deadline:
                break
            case = gen_case(rng, profile_text)
            limit = case_time_limit(timeout, case)
            result = run_case(binary, work, case, limit)
            if result and result.get("timed_out"):
                # A real hang is endless; a slow run on a loaded machine is not. The case runs
                # again with ten times the limit, and only a second timeout is a hang.
                slow += 1
                result = run_case(binary, work, case, min(10 * limit, 900))
            if result is None or "skipped" in result:
                skipped += 1
                continue
            ran += 1
            statuses[result["code"]] = statuses.get(result["code"], 0) + 1
            if result["violations"]:
                found.append({"case": f"{index}:{i}", "violations": result["violations"],
                              "stderr": result["stderr"][:300],
                              "reproduce": shell_line(binary, case)})
            # Keep the directory small: outputs from earlier cases go.
            for name in os.listdir(work):
                if name.startswith(("out", "t" * 10, "newprofile", "é", "x")):
                    p = os.path.join(work, name)
                    if os.path.isfile(p) or os.path.islink(p):
                        os.remove(p)
    finally:
        os.chmod(os.path.join(work, "unreadable.txt"), 0o600)
        shutil.rmtree(work, ignore_errors=True)
    return {"ran": ran, "skipped": skipped, "found": found, "statuses": statuses,
            "slow": slow}


def python_campaign(python, seed, cases, deadline, timeout):
    """Runs the Python cases in worker processes of `python`; a crash ends a worker, which is
    reported and replaced."""
    worker = os.path.join(HERE, "pycases.py")
    found, ran, start = [], 0, 0
    while start < cases and not (deadline and time.time() > deadline):
        budget = max(1.0, deadline - time.time()) if deadline else None
        cmd = [python, worker, "--seed", str(seed), "--start", str(start),
               "--cases", str(cases - start)]
        if budget:
            cmd += ["--seconds", str(int(budget))]
        # The worker's own budget, and the time limit for each of its calls.
        limit = (budget or 0) + timeout * min(max(1, cases - start), 10_000)
        try:
            p = subprocess.run(cmd, capture_output=True, text=True, timeout=limit,
                               env={**base_env(), "OPENBLAS_NUM_THREADS": "1"})
        except subprocess.TimeoutExpired:
            found.append({"case": f"py:{start}", "violations": ["python worker hang"]})
            break
        last = start
        for line in p.stdout.splitlines():
            rec = json.loads(line)
            if "done" in rec:
                last = rec["done"]
                continue
            ran += 1
            last = rec["i"] + 1
            if rec["violations"]:
                found.append({"case": f"py:{rec['i']}", "violations": rec["violations"],
                              "stderr": rec.get("message", "")[:300],
                              "reproduce": rec["call"][:300]})
        if p.returncode != 0:
            found.append({"case": f"py:{last}", "violations":
                          [f"python worker died with status {p.returncode}: "
                           f"{p.stderr.strip()[-300:]}"]})
            last += 1
        start = max(last, start + 1) if p.returncode != 0 else cases
    return {"ran": ran, "found": found}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--bin", default="target/debug/chainplan")
    ap.add_argument("--seed", type=int, help="fixed seed (default: random, printed)")
    ap.add_argument("--cases", type=int, default=3000, help="CLI cases")
    ap.add_argument("--minutes", type=float, help="stop after this long instead")
    ap.add_argument("--jobs", type=int, default=max(1, min(4, os.cpu_count() or 1)))
    ap.add_argument("--timeout", type=float, default=30.0, help="seconds per case")
    ap.add_argument("--python", help="interpreter with chainplan installed (Python cases)")
    ap.add_argument("--py-cases", type=int, default=1000)
    ap.add_argument("--report", help="write the findings as JSON here")
    a = ap.parse_args()
    seed = a.seed if a.seed is not None else random.SystemRandom().randrange(2**32)
    binary = os.path.abspath(a.bin)
    deadline = time.time() + a.minutes * 60 if a.minutes else None
    cases = a.cases if not deadline else 10**9
    t0 = time.time()
    print(f"fuzz: seed {seed}, {a.jobs} workers, binary {a.bin}", flush=True)
    per = [cases // a.jobs + (1 if i < cases % a.jobs else 0) for i in range(a.jobs)]
    with concurrent.futures.ThreadPoolExecutor(a.jobs) as pool:
        futures = [pool.submit(cli_worker, binary, seed, n, deadline, a.timeout, i)
                   for i, n in enumerate(per)]
        py = None
        if a.python:
            py_cases = a.py_cases if not deadline else 10**9
            py = python_campaign(a.python, seed, py_cases, deadline, a.timeout)
        results = [f.result() for f in futures]
    ran = sum(r["ran"] for r in results)
    found = [x for r in results for x in r["found"]]
    statuses = {}
    for r in results:
        for k, n in r["statuses"].items():
            statuses[k] = statuses.get(k, 0) + n
    slow = sum(r["slow"] for r in results)
    print(f"fuzz: CLI: {ran} cases, {sum(r['skipped'] for r in results)} skipped (arguments "
          f"the OS refuses), exit statuses {dict(sorted(statuses.items()))}, "
          f"{slow} run again after a timeout, {len(found)} violations")
    if py:
        found += py["found"]
        print(f"fuzz: Python: {py['ran']} calls, {len(py['found'])} violations")
    for x in found:
        print(f"VIOLATION {x['case']}: {'; '.join(x['violations'])}")
        if x.get("stderr"):
            print(f"  stderr: {x['stderr']!r}")
        if x.get("reproduce"):
            print(f"  reproduce: {x['reproduce']}")
    print(f"fuzz: {time.time() - t0:.0f} s, seed {seed}")
    if a.report:
        with open(a.report, "w") as f:
            json.dump({"seed": seed, "cli_cases": ran, "found": found, "rerun_slow": slow,
                       "python_calls": py["ran"] if py else 0}, f, indent=1)
    sys.exit(1 if found else 0)


if __name__ == "__main__":
    main()
