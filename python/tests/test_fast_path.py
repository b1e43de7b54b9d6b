"""The extension's short path for multi_dot (python/src/fast.rs): when it runs, when it
declines, that it multiplies in the library's order, and that it leaks no reference."""

import sys

import numpy as np
import pytest

import chainplan
from chainplan import _native, multi_dot


def chain(dims, dtype=np.float64, seed=0):
    rng = np.random.default_rng(seed)
    return [rng.standard_normal((dims[i], dims[i + 1])).astype(dtype) for i in range(len(dims) - 1)]


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.complex64, np.complex128, np.int64])
def test_short_path_runs_for_ndarrays_of_one_dtype(dtype):
    mats = chain([3, 10, 10, 10, 4], dtype)
    got = _native.dot_chain(mats, "auto", None)
    assert got is not None and got.dtype == np.dtype(dtype)
    want = np.linalg.multi_dot(mats)
    np.testing.assert_allclose(got, want, rtol=1e-4 if np.dtype(dtype).itemsize <= 8 else 1e-12)
    # A tuple is taken as well.
    assert _native.dot_chain(tuple(mats), "auto", None) is not None


@pytest.mark.filterwarnings("ignore::PendingDeprecationWarning")  # np.asmatrix
@pytest.mark.parametrize(
    "case",
    [
        "two arrays",
        "array-likes",
        "a subclass",
        "mixed dtypes",
        "a 1-D end",
        "a stack",
        "a zero dimension",
        "mismatched inner dimensions",
        "an out that is not an ndarray",
        "large intermediates",
        "an unknown algorithm",
        "a generator",
    ],
)
def test_short_path_declines_what_it_does_not_handle(case):
    mats = chain([4, 5, 6, 3])
    out, algorithm = None, "auto"
    if case == "two arrays":
        mats = mats[:2]
    elif case == "array-likes":
        mats[1] = mats[1].tolist()
    elif case == "a subclass":
        mats[0] = np.asmatrix(mats[0])
    elif case == "mixed dtypes":
        mats[2] = mats[2].astype(np.float32)
    elif case == "a 1-D end":
        mats[0] = mats[0][0]
    elif case == "a stack":
        mats[1] = np.stack([mats[1]] * 2)
    elif case == "a zero dimension":
        mats = chain([4, 0, 6, 3])
    elif case == "mismatched inner dimensions":
        mats[1] = mats[1].T.copy()
    elif case == "an out that is not an ndarray":
        out = [[0.0] * 3] * 4
    elif case == "large intermediates":
        mats = chain([100, 100, 100, 100])  # a 100 x 100 intermediate
    elif case == "an unknown algorithm":
        algorithm = "fastest"
    elif case == "a generator":
        mats = iter(mats)
    assert _native.dot_chain(mats, algorithm, out) is None


class Scalar:
    """A number that counts the multiplications done with it (object-dtype arrays)."""

    products = 0

    def __init__(self, v):
        self.v = v

    def __mul__(self, other):
        Scalar.products += 1
        return Scalar(self.v * other.v)

    def __add__(self, other):
        return Scalar(self.v + (other.v if isinstance(other, Scalar) else other))

    __radd__ = __add__


@pytest.mark.parametrize("dims", [[2, 9, 2, 9], [9, 2, 9, 2], [3, 7, 1, 8, 2, 6], [5, 4, 3, 2, 1]])
def test_short_path_multiplies_in_the_planned_order(dims):
    """Object arrays count their scalar multiplications: the short path does exactly the
    plan's cost, and gives the exact product."""
    rng = np.random.default_rng(1)
    ints = [rng.integers(-3, 4, size=(dims[i], dims[i + 1])) for i in range(len(dims) - 1)]
    objs = [np.vectorize(Scalar, otypes=[object])(m) for m in ints]
    Scalar.products = 0
    got = _native.dot_chain(objs, "auto", None)
    assert got is not None
    assert Scalar.products == chainplan.plan(dims).cost
    want = np.linalg.multi_dot(ints)
    np.testing.assert_array_equal(np.vectorize(lambda s: s.v)(got), want)


def test_out_is_written_and_returned_on_the_short_path():
    mats = chain([3, 10, 10, 4])
    out = np.full((3, 4), np.nan)
    got = multi_dot(mats, out=out)
    assert got is out
    np.testing.assert_allclose(out, np.linalg.multi_dot(mats), rtol=1e-12)


def test_short_path_leaks_no_reference():
    mats = chain([3, 10, 10, 10, 4])
    out = np.empty((3, 4))
    before = [sys.getrefcount(m) for m in mats] + [sys.getrefcount(out)]
    for _ in range(1000):
        _native.dot_chain(mats, "auto", None)
        _native.dot_chain(mats, "auto", out)
    after = [sys.getrefcount(m) for m in mats] + [sys.getrefcount(out)]
    assert after == before
    # The result is referenced by its caller only.
    result = _native.dot_chain(mats, "auto", None)
    assert sys.getrefcount(result) == sys.getrefcount(np.dot(mats[0], mats[1]))
