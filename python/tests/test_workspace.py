"""multi_dot's intermediate buffers kept between calls (chainplan._multi_dot._Workspace): reused,
bounded, per thread, never shared by two calls at once, and freed on request."""

import threading

import numpy as np
import pytest

import chainplan
from chainplan import _multi_dot, multi_dot


def squares(n=5, size=100, seed=0, dtype=np.float64):
    rng = np.random.default_rng(seed)
    return [rng.standard_normal((size, size)).astype(dtype) for _ in range(n)]


def kept():
    return dict(getattr(_multi_dot._KEPT, "buffers", {}))


def test_buffers_are_kept_and_reused_between_calls():
    chainplan.clear_workspace()
    mats = squares()  # 100 x 100 intermediates: above the short path's bound
    first = multi_dot(mats)
    buffers = kept()
    assert buffers, "a chain with large intermediates keeps its slot buffers"
    again = multi_dot(squares(seed=1))
    assert {k: id(v) for k, v in kept().items()} == {k: id(v) for k, v in buffers.items()}
    np.testing.assert_allclose(first, np.linalg.multi_dot(mats), rtol=1e-12)
    np.testing.assert_allclose(again, np.linalg.multi_dot(squares(seed=1)), rtol=1e-12)
    # The result never lives in a kept buffer.
    assert all(not np.shares_memory(first, b) for b in kept().values())


def test_other_dtypes_and_stacks_are_right_after_reuse():
    chainplan.clear_workspace()
    for dtype in (np.float64, np.float32, np.complex128, np.float64):
        mats = squares(4, 80, dtype=dtype)
        tol = 1e-12 if np.finfo(dtype).eps < 1e-10 else 1e-4
        np.testing.assert_allclose(multi_dot(mats), np.linalg.multi_dot(mats), rtol=tol)
    rng = np.random.default_rng(3)
    stack = [rng.standard_normal((3, 80, 80)) for _ in range(4)]
    want = np.stack([np.linalg.multi_dot([m[i] for m in stack]) for i in range(3)])
    np.testing.assert_allclose(multi_dot(stack), want, rtol=1e-12)


def test_a_workspace_over_the_bound_is_not_kept(monkeypatch):
    chainplan.clear_workspace()
    monkeypatch.setattr(_multi_dot, "_KEEP_BYTES", 1000)
    mats = squares()
    np.testing.assert_allclose(multi_dot(mats), np.linalg.multi_dot(mats), rtol=1e-12)
    assert kept() == {}


def test_a_nested_call_gets_buffers_of_its_own():
    """A product that calls back into multi_dot (object arrays can) must not write into the
    buffers the outer call is using."""
    chainplan.clear_workspace()
    dtype = np.dtype(np.float64)
    with _multi_dot._Workspace(dtype, [10_000], 1) as outer:
        a = outer.slot(0, 10_000, (100, 100))
        with _multi_dot._Workspace(dtype, [10_000], 1) as inner:
            assert not inner.kept
            b = inner.slot(0, 10_000, (100, 100))
        assert not np.shares_memory(a, b)
    # The outer call's exit frees the kept set for the next call.
    with _multi_dot._Workspace(dtype, [10_000], 1) as nxt:
        assert nxt.kept and np.shares_memory(nxt.slot(0, 10_000, (100, 100)), a)


def test_an_error_releases_the_kept_buffers():
    chainplan.clear_workspace()
    mats = squares()
    with pytest.raises(ValueError):
        multi_dot(mats, out=np.empty((100, 100), dtype=np.float32))
    with _multi_dot._Workspace(np.dtype(np.float64), [10_000], 1) as w:
        assert w.kept


def test_threads_have_their_own_buffers():
    chainplan.clear_workspace()
    mats = squares()
    multi_dot(mats)
    mine = kept()
    theirs = {}

    def work():
        multi_dot(squares(seed=2))
        theirs.update(kept())

    t = threading.Thread(target=work)
    t.start()
    t.join()
    assert theirs and mine
    assert not any(np.shares_memory(a, b) for a in mine.values() for b in theirs.values())


def test_clear_workspace_frees_them():
    multi_dot(squares())
    assert kept()
    chainplan.clear_workspace()
    assert kept() == {}


def test_the_bound_holds_when_a_call_adds_a_slot(monkeypatch):
    """Each call fits the bound on its own, but the kept set also holds an earlier call's
    slot: adding this call's new slot must not take it over the bound."""
    chainplan.clear_workspace()
    monkeypatch.setattr(_multi_dot, "_KEEP_BYTES", 100_000)
    dtype = np.dtype(np.float64)
    with _multi_dot._Workspace(dtype, [10_000], 1) as first:
        first.slot(0, 10_000, (100, 100))  # 80,000 bytes kept
    with _multi_dot._Workspace(dtype, [1, 10_000], 1) as second:
        assert second.kept
        second.slot(1, 10_000, (100, 100))
    assert sum(b.nbytes for b in kept().values()) <= 100_000
