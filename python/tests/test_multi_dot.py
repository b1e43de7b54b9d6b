"""chainplan.multi_dot against numpy: random chains with vectors, out=, dtypes and stacks."""

import itertools

import numpy as np
import pytest

import chainplan
from chainplan import multi_dot

DTYPES = [np.float32, np.float64, np.complex64, np.complex128]


def rel_err(got, want):
    got, want = np.asarray(got), np.asarray(want)
    assert got.shape == want.shape
    if want.size == 0:
        return 0.0
    scale = np.max(np.abs(want))
    return float(np.max(np.abs(got - want)) / scale) if scale else float(np.max(np.abs(got)))


def tolerance(dtype, dims):
    """Rounding grows with the inner dimensions summed over; 1e-12 relative for float64 on
    these sizes (the issue's bar), scaled by the largest inner dimension otherwise."""
    eps = np.finfo(dtype).eps
    inner = max(dims[1:-1])
    return max(1e-12, 8 * eps * inner) if np.dtype(dtype).itemsize >= 8 and np.dtype(dtype).kind == "f" or np.dtype(dtype) == np.complex128 else 8 * eps * inner * len(dims)


def random_matrix(rng, shape, dtype):
    a = rng.standard_normal(shape)
    if np.dtype(dtype).kind == "c":
        a = a + 1j * rng.standard_normal(shape)
    return a.astype(dtype)


def random_chain(rng, n, dtype=np.float64, vectors=(False, False), batch=(), high=40):
    dims = [int(d) for d in rng.integers(1, high, size=n + 1)]
    if vectors[0]:
        dims[0] = 1
    if vectors[1]:
        dims[-1] = 1
    mats = [random_matrix(rng, batch + (dims[i], dims[i + 1]), dtype) for i in range(n)]
    # Vectors are 1-D, also in a stack: as in matmul, an operand of two or more dimensions is
    # a (stack of) matrices, so a vector end is shared by the whole stack.
    first = (0,) * len(batch)
    if vectors[0]:
        mats[0] = mats[0][first + (0,)]
    if vectors[1]:
        mats[-1] = mats[-1][first + (slice(None), 0)]
    return dims, mats


def loop_multi_dot(mats, batch):
    """numpy's multi_dot applied to each chain of the stack (batch dims broadcast)."""
    shapes = [m.shape[:-2] if m.ndim > 1 else () for m in mats]
    out = {}
    for idx in itertools.product(*(range(b) for b in batch)):
        chain = []
        for m, s in zip(mats, shapes):
            sub = idx[len(idx) - len(s):] if s else ()
            sub = tuple(0 if size == 1 else i for i, size in zip(sub, s))
            chain.append(m[sub] if s else m)
        out[idx] = np.linalg.multi_dot(chain)
    return out


@pytest.mark.parametrize("seed", range(40))
def test_random_float64_chains_agree_with_numpy_to_1e12(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(2, 12))
    vectors = (bool(seed % 3 == 1), bool(seed % 4 == 2))
    dims, mats = random_chain(rng, n, vectors=vectors)
    want = np.linalg.multi_dot(mats)
    got = multi_dot(mats)
    assert np.shape(got) == np.shape(want)
    assert rel_err(got, want) <= 1e-12


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("vectors", [(False, False), (True, False), (False, True), (True, True)])
def test_dtypes_and_vectors(dtype, vectors):
    rng = np.random.default_rng(7)
    dims, mats = random_chain(rng, 6, dtype, vectors)
    got = multi_dot(mats)
    want = np.linalg.multi_dot(mats)
    assert np.asarray(got).dtype == np.asarray(want).dtype
    assert rel_err(got, want) <= tolerance(dtype, dims)


@pytest.mark.parametrize("dtypes", [(np.float32, np.float64, np.float32), (np.int64, np.float32, np.int32),
                                    (np.int64, np.int64, np.int64), (np.float64, np.complex64, np.float32),
                                    (bool, np.int8, np.int16)])
def test_other_dtypes_follow_numpy_promotion(dtypes):
    rng = np.random.default_rng(8)
    shapes = [(5, 7), (7, 3), (3, 9)]
    mats = [(rng.standard_normal(s) * 5).astype(t) for s, t in zip(shapes, dtypes)]
    got, want = multi_dot(mats), np.linalg.multi_dot(mats)
    assert got.dtype == want.dtype
    assert rel_err(got, want) <= 1e-5


def test_array_likes():
    a = [[1.0, 2.0], [3.0, 4.0]]
    b = ((1, 0), (0, 1))
    c = np.arange(6.0).reshape(2, 3)
    np.testing.assert_array_equal(multi_dot([a, b, c]), np.linalg.multi_dot([a, b, c]))
    np.testing.assert_array_equal(multi_dot([[1, 2], a, [5, 6]]), np.linalg.multi_dot([[1, 2], a, [5, 6]]))


@pytest.mark.parametrize("seed", range(10))
def test_out_is_filled_and_returned(seed):
    rng = np.random.default_rng(100 + seed)
    n = int(rng.integers(2, 9))
    dims, mats = random_chain(rng, n)
    out = np.empty((dims[0], dims[-1]))
    ret = multi_dot(mats, out=out)
    assert ret is out
    assert rel_err(out, np.linalg.multi_dot(mats)) <= 1e-12


def test_out_with_vectors_is_the_2d_product_as_in_numpy():
    rng = np.random.default_rng(9)
    dims, mats = random_chain(rng, 4, vectors=(True, False))
    out = np.empty((1, dims[-1]))
    ret = multi_dot(mats, out=out)
    want = np.linalg.multi_dot(mats, out=np.empty((1, dims[-1])))
    assert ret.shape == want.shape == (dims[-1],)
    assert rel_err(out[0], want) <= 1e-12


@pytest.mark.parametrize("n", [2, 3, 5])
@pytest.mark.parametrize(
    "bad_out",
    [
        lambda d: np.empty((d[0], d[-1]), dtype=np.float32),  # wrong dtype
        lambda d: np.empty((d[0], d[-1] + 1)),  # wrong shape
        lambda d: np.empty((d[-1], d[0])).T,  # not C-contiguous
        lambda d: np.empty((d[0], d[-1], 1)),  # wrong number of dimensions
    ],
)
def test_bad_out_raises_numpys_error(n, bad_out):
    rng = np.random.default_rng(10)
    dims, mats = random_chain(rng, n, high=9)
    dims[0] = dims[-1] = 4
    _, mats = random_chain(np.random.default_rng(11), n, high=9)
    dims = [mats[0].shape[0]] + [m.shape[1] for m in mats]
    with pytest.raises(ValueError) as theirs:
        np.linalg.multi_dot(mats, out=bad_out(dims))
    with pytest.raises(ValueError) as ours:
        multi_dot(mats, out=bad_out(dims))
    assert str(ours.value) == str(theirs.value)


@pytest.mark.parametrize(
    "shapes, exc",
    [
        ([(3, 4), (5, 6), (6, 2)], ValueError),  # 4 != 5
        ([(3, 4), (4,), (4, 2)], np.linalg.LinAlgError),  # a vector in the middle
    ],
)
def test_bad_chains_raise_like_numpy(shapes, exc):
    mats = [np.ones(s) for s in shapes]
    with pytest.raises(exc):
        np.linalg.multi_dot(mats)
    with pytest.raises(exc):
        multi_dot(mats)


def test_too_few_arrays():
    for arrays in ([], [np.ones((2, 2))]):
        with pytest.raises(ValueError, match="Expecting at least two arrays."):
            multi_dot(arrays)


def test_zero_sized_dimensions():
    rng = np.random.default_rng(12)
    for dims in ([4, 0, 5, 3], [0, 3, 4, 5], [3, 4, 5, 0]):
        mats = [rng.standard_normal((dims[i], dims[i + 1])) for i in range(3)]
        np.testing.assert_array_equal(multi_dot(mats), np.linalg.multi_dot(mats))


def test_bad_algorithm_gives_the_library_message():
    with pytest.raises(ValueError, match="unknown algorithm 'fastest'; valid algorithms are: auto, dp"):
        multi_dot([np.ones((2, 3)), np.ones((3, 4)), np.ones((4, 2))], algorithm="fastest")
    with pytest.raises(TypeError):
        multi_dot([np.ones((2, 3)), np.ones((3, 4))], algorithm=3)


@pytest.mark.parametrize("algorithm", chainplan.ALGORITHMS)
def test_every_algorithm_gives_the_product(algorithm):
    rng = np.random.default_rng(13)
    dims, mats = random_chain(rng, 9)
    assert rel_err(multi_dot(mats, algorithm=algorithm), np.linalg.multi_dot(mats)) <= 1e-12


# ---- stacks ------------------------------------------------------------------------------


@pytest.mark.parametrize("seed", range(12))
def test_stacks_equal_a_loop_of_numpy_multi_dot(seed):
    rng = np.random.default_rng(200 + seed)
    n = int(rng.integers(2, 7))
    batch = tuple(int(b) for b in rng.integers(1, 4, size=int(rng.integers(1, 3))))
    vectors = (bool(seed % 3 == 0), bool(seed % 4 == 1))
    dims, mats = random_chain(rng, n, vectors=vectors, batch=batch)
    got = multi_dot(mats)
    want = loop_multi_dot(mats, batch)
    assert got.shape == batch + np.shape(next(iter(want.values())))
    for idx, w in want.items():
        assert rel_err(got[idx], w) <= 1e-12


def test_stacks_broadcast_like_matmul():
    rng = np.random.default_rng(14)
    a = rng.standard_normal((5, 1, 3, 4))  # batch (5, 1)
    b = rng.standard_normal((4, 6))  # no batch
    c = rng.standard_normal((2, 6, 7))  # batch (2,)
    d = rng.standard_normal((7, 2))
    got = multi_dot([a, b, c, d])
    assert got.shape == (5, 2, 3, 2)
    want = a @ b @ c @ d
    assert rel_err(got, want) <= 1e-12
    with pytest.raises(ValueError):
        multi_dot([rng.standard_normal((3, 2, 2)), rng.standard_normal((4, 2, 2)), np.ones((2, 2))])


def test_stack_with_out_and_complex():
    rng = np.random.default_rng(15)
    mats = [random_matrix(rng, (6, 8, 3), np.complex128), random_matrix(rng, (3, 9), np.complex128),
            random_matrix(rng, (6, 9, 2), np.complex128)]
    out = np.empty((6, 8, 2), dtype=np.complex128)
    assert multi_dot(mats, out=out) is out
    for i in range(6):
        assert rel_err(out[i], np.linalg.multi_dot([mats[0][i], mats[1], mats[2][i]])) <= 1e-12


def test_stack_uses_one_plan_for_the_whole_stack(monkeypatch):
    from chainplan import _multi_dot

    planned = []
    real = _multi_dot._native.schedule

    def spy(dims, algorithm):
        planned.append(tuple(dims))
        return real(dims, algorithm)

    monkeypatch.setattr(_multi_dot._native, "schedule", spy)
    _multi_dot._SCHEDULES.clear()
    rng = np.random.default_rng(16)
    mats = [rng.standard_normal((1000, 4, 30)), rng.standard_normal((1000, 30, 2)), rng.standard_normal((1000, 2, 30))]
    multi_dot(mats)
    assert planned == [(4, 30, 2, 30)]
