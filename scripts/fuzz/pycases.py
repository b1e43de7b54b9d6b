#!/usr/bin/env python3
"""Python cases of chainplan's fuzzer (run by fuzz.py in an interpreter that has chainplan).

Each case is one call against the module with valid-looking or hostile arguments. Its verdict,
one JSON line per case on standard output:

- it returns, or raises one of the documented exception types (ValueError and its subclasses
  such as PlanFormatError, TypeError, numpy's LinAlgError; KeyError and IndexError are not);
- or, for the numpy drop-in `multi_dot`, whose contract is numpy's behaviour: it raises an
  exception of exactly the type that `numpy.linalg.multi_dot` raises for the same input (run
  here on a fresh copy of it), such as numpy's OverflowError for `[10**30, A, B]`;
- in every case the message is bounded as below, whoever's type it is;
- the message is one bounded text (at most 400 characters) echoing no more than 40
  characters in a row of any string input;
- a crash of the interpreter is seen by fuzz.py as the worker's death.
"""

import argparse
import json
import os
import random
import shutil
import sys
import tempfile
import time
import warnings

import numpy as np

import chainplan
from fuzz import mutate_json

CUT = 40
# A cut excerpt shows CUT characters of the input; the message's own characters around it (a
# space, a quote) may happen to continue the input, so only a window of SPAN is an echo.
SPAN = CUT + 3
MAX_MESSAGE = 400
ALLOWED = (ValueError, TypeError, np.linalg.LinAlgError)

WEIRD_STR = ["", " ", "x" * 1000, "\x1b[31m" * 10, "日本" * 30, "A" * 41, "inv(" * 500,
             "A'" * 300, "\x00", "é", "nan", "1e309", "A * B", "inv(A) * B'", "A^-T * B"]


def arrays(rng):
    """An operand: an array of some shape and dtype, or something that is not one."""
    r = rng.random()
    shape = tuple(rng.choice([1, 2, 3, 5]) for _ in range(rng.choice([1, 2, 2, 2, 3])))
    if r < 0.55:
        dtype = rng.choice([np.float64, np.float32, np.complex128, np.int64, np.int8, bool,
                            np.float16, object, "datetime64[s]", "timedelta64[s]", "U3"])
        try:
            a = np.ones(shape).astype(dtype)
        except (TypeError, ValueError):
            a = np.ones(shape)
        if rng.random() < 0.1 and a.dtype.kind == "f":
            a.flat[0] = rng.choice([np.nan, np.inf, -np.inf, 1e308])
        return a
    return rng.choice([None, 1.5, np.float64(1.5), "abc", [1, 2], [[1, 2], [3, 4]], [[1], [2, 3]],
                       (), {}, np.ones((0, 3)), np.ones((3, 0)), np.ones(()), b"xy",
                       np.ones((2, 2))[::2], np.arange(6.0).reshape(2, 3).T,
                       np.datetime64("2020-01-01"), [None, None], float("nan"), 10**30,
                       np.ma.masked_array(np.ones((2, 2)))])


def case_multi_dot(rng):
    n = rng.choice([0, 1, 2, 3, 4, 6])
    chain = [arrays(rng) for _ in range(n)]
    if rng.random() < 0.5 and n >= 2:
        # Mostly chainable shapes, to reach deeper.
        dims = [rng.choice([1, 2, 3, 4]) for _ in range(n + 1)]
        chain = [np.ones((dims[i], dims[i + 1])) for i in range(n)]
        if rng.random() < 0.5:
            chain[rng.randrange(n)] = arrays(rng)
    kind = "list" if rng.random() < 0.9 else rng.choice(["abc", None, 5, "iter", "generator"])

    def fresh():
        """The argument, made anew for each call (an iterator is used up by the first)."""
        if kind == "list":
            return chain
        if kind == "iter":
            return iter(chain)
        if kind == "generator":
            return (x for x in chain)
        return kind

    kw = {}
    if rng.random() < 0.2:
        kw["algorithm"] = rng.choice(["auto", "dp", "hu-shing", "bogus", None, 3, "x" * 1000])
    if rng.random() < 0.1:
        kw["out"] = rng.choice([np.empty((2, 2)), np.empty((1,)), "x", None])

    def numpy_twin():
        """numpy.linalg.multi_dot on the same input (numpy has no `algorithm`)."""
        out = kw.get("out")
        extra = {"out": np.empty_like(out) if isinstance(out, np.ndarray) else out} \
            if "out" in kw else {}
        return np.linalg.multi_dot(fresh(), **extra)

    return "multi_dot", (fresh(),), kw, chain, numpy_twin


def case_plan(rng):
    r = rng.random()
    if r < 0.5:
        dims = [rng.choice([1, 2, 30, 10**9, 2**32 - 1, 2**32, 2**64, 0, -1]) for _ in
                range(rng.choice([0, 1, 2, 3, 5]))]
    else:
        dims = rng.choice(["30 35 15", [1.5, 2], [True, 3], [np.int64(3), np.uint8(4)],
                           None, [float("nan"), 2], ["3", "4"], [3] * 100000, {"a": 1},
                           ["x" * 1000, 3]])
    kw = {}
    if rng.random() < 0.3:
        kw["algorithm"] = rng.choice(["auto", "dp", "approx", "bogus", 5, "x" * 200])
    if rng.random() < 0.2:
        kw["max_intermediate"] = rng.choice([0, 1, -1, 2**200, 1.5, "x", None])
    return "plan", (dims,), kw, [dims]


def handoff(rng):
    """A hand-off plan mutated as fuzz.py mutates profiles: as JSON text, or parsed."""
    mutated = mutate_json(rng, chainplan.plan([30, 35, 15, 5, 10]).to_handoff_json())
    if rng.random() < 0.4:
        try:
            return json.loads(mutated)
        except (ValueError, RecursionError):
            pass
    return mutated


def case_load_plan(rng, tmp):
    r = rng.random()
    if r < 0.6:
        arg = handoff(rng)
    elif r < 0.8:
        arg = rng.choice(["", ".", "/", tmp, "/nonexistent/plan.json", "x" * 300,
                          "d/" * 200 + "p.json", os.path.join(tmp, "garbage.bin"),
                          os.path.join(tmp, "latin1.json"), "/dev/null"])
    else:
        arg = rng.choice([None, 5, b"{}", [], 1.5, {"format": "x" * 1000}])
    return "load_plan", (arg,), {}, [arg]


def decl(rng):
    r = rng.random()
    if r < 0.4:
        return f"{rng.randint(1, 9)}x{rng.randint(1, 9)}" + rng.choice(["", ":spd", ":fullrank",
                                                                           ":lower,nonsingular", ":bogus"])
    if r < 0.6:
        return (rng.randint(1, 9), rng.randint(1, 9))
    if r < 0.75:
        return np.ones((rng.randint(1, 4), rng.randint(1, 4)))
    return rng.choice([None, -1, (0, 3), (2**70, 2), "x" * 1000, ((3, 3), "spd"), ((3, 3), 5),
                       np.ones((2, 2), dtype="datetime64[s]"), 1.5, (np.nan, 3)])


def case_expr(rng):
    names = ["A", "B", "X", "y"]
    expr = rng.choice(WEIRD_STR + ["A * B", "inv(A) * B", "A' * A", "X' * y", "A*B*X"])
    if rng.random() < 0.1:
        expr = rng.choice(["x" * 1000, "inv(" * 2000 + "A" + ")" * 2000, "A" + "*A" * 3000])
    ops = {n: decl(rng) for n in rng.sample(names, rng.randint(0, 4))}
    if rng.random() < 0.1:
        ops["Z" * rng.choice([41, 1000])] = "3x3"
    if rng.random() < 0.05:
        ops = rng.choice([None, [], "A=3x3", {3: "3x3"}])
    kw = {}
    if rng.random() < 0.2:
        kw["model"] = rng.choice(["planned", "naive", "bogus", None, "x" * 100])
    fn = "plan_expr" if rng.random() < 0.7 else "eval_expr"
    return fn, (expr, ops), kw, [expr] + (list(ops) if isinstance(ops, dict) else [])


def case_einsum(rng):
    import opt_einsum
    sub = rng.choice(["ij,jk,kl->il", "ij,jk->ik", "ii->", "ij,jk,kl", "x" * 100, "", "->",
                      "ab,bc,cd,de->ae", "ij,jk,kl->il"])
    shapes = [np.ones((rng.choice([1, 2, 3]), rng.choice([1, 2, 3]))) for _ in range(rng.randint(0, 5))]
    return "contract_path", (opt_einsum, sub, shapes), {}, [sub]


def run_one(name, args, kw):
    if name == "contract_path":
        mod, sub, shapes = args
        return mod.contract_path(sub, *shapes, optimize="chainplan", **kw)
    return getattr(chainplan, name)(*args, **kw)


def strings_of(xs):
    out = []
    for x in xs:
        if isinstance(x, str):
            out.append(x)
        elif isinstance(x, dict):
            out += strings_of(list(x.keys()) + list(x.values()))
        elif isinstance(x, (list, tuple)):
            out += strings_of(x)
    return out


def raised_by_chainplan(exc):
    """Whether the innermost frame of the exception's traceback is chainplan's (opt_einsum's
    own parser errors are not chainplan's to bound)."""
    tb = exc.__traceback__
    while tb is not None and tb.tb_next is not None:
        tb = tb.tb_next
    package = os.path.dirname(os.path.abspath(chainplan.__file__))
    return tb is not None and os.path.abspath(tb.tb_frame.f_code.co_filename).startswith(package)


def numpy_raises_the_same(exc, twin):
    """Whether numpy's own function (`twin`, the same call on numpy) raises an exception of
    exactly `exc`'s type: the drop-in's contract is numpy's behaviour."""
    if twin is None:
        return False
    try:
        twin()
    except Exception as e:  # noqa: BLE001 - any type numpy raises is the reference
        return type(e) is type(exc)
    return False


def verdict(exc, inputs, name="", twin=None):
    if exc is None:
        return []
    if name == "contract_path" and not raised_by_chainplan(exc):
        return []
    v = []
    if (not isinstance(exc, ALLOWED) or isinstance(exc, (KeyError, IndexError))) \
            and not numpy_raises_the_same(exc, twin):
        v.append(f"raises {type(exc).__module__}.{type(exc).__name__}")
    msg = str(exc)
    if len(msg) > MAX_MESSAGE:
        v.append(f"a {len(msg)}-character message")
    if "\n" in msg.strip():
        v.append("a message of several lines")
    for s in strings_of(inputs):
        if len(s) >= SPAN:
            step = 1 if len(s) < 3000 else 89
            for i in range(0, len(s) - SPAN + 1, step):
                piece = s[i:i + SPAN]
                if piece.strip() and piece in msg:
                    v.append(f"echoes {piece[:50]!r}")
                    break
    return v


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seed", type=int, required=True)
    ap.add_argument("--start", type=int, default=0)
    ap.add_argument("--cases", type=int, default=1000)
    ap.add_argument("--seconds", type=float)
    a = ap.parse_args()
    end = time.time() + a.seconds if a.seconds else None
    tmp = tempfile.mkdtemp(prefix="chainplan-pyfuzz-")
    try:
        run_cases(a, tmp, end)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def run_cases(a, tmp, end):
    """Runs the cases a.start … of the seed, writing one verdict line each."""
    with open(os.path.join(tmp, "garbage.bin"), "wb") as f:
        f.write(bytes(range(256)))
    with open(os.path.join(tmp, "latin1.json"), "wb") as f:
        f.write(b'{"format": "\xe9"}')
    try:
        import opt_einsum  # noqa: F401
        have_einsum = True
    except ImportError:
        have_einsum = False
    warnings.simplefilter("ignore")
    out = sys.stdout
    i = a.start
    for i in range(a.start, a.start + a.cases):
        if end and time.time() > end:
            break
        rng = random.Random(f"{a.seed}-py-{i}")
        kind = rng.choices(["multi_dot", "plan", "load_plan", "expr", "einsum"],
                           [40, 15, 20, 20, 5 if have_einsum else 0])[0]
        twin = None
        if kind == "multi_dot":
            name, args, kw, inputs, twin = case_multi_dot(rng)
        elif kind == "plan":
            name, args, kw, inputs = case_plan(rng)
        elif kind == "load_plan":
            name, args, kw, inputs = case_load_plan(rng, tmp)
        elif kind == "expr":
            name, args, kw, inputs = case_expr(rng)
        else:
            name, args, kw, inputs = case_einsum(rng)
        call = f"{name}(*{str(args)[:200]}, **{str(kw)[:100]})"
        exc = None
        try:
            run_one(name, args, kw)
        except RecursionError as e:
            exc = e
        except Exception as e:  # noqa: BLE001 - classifying every exception is the point
            exc = e
        v = verdict(exc, inputs, name, twin)
        out.write(json.dumps({"i": i, "call": call, "violations": v,
                              "message": f"{type(exc).__name__}: {str(exc)[:300]}" if exc else ""})
                  + "\n")
        out.flush()
    out.write(json.dumps({"done": i + 1}) + "\n")


if __name__ == "__main__":
    main()
