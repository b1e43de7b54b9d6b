"""multi_dot hands operands that override numpy's functions (``__array_function__``) to
their own implementation, as ``numpy.linalg.multi_dot`` does (NEP 18), instead of converting
them."""

import numpy as np
import pytest

import chainplan


class Recorder:
    """An array type of its own: records what numpy hands it, and answers with a marker."""

    calls = []

    def __init__(self, array):
        self.array = np.asarray(array)

    def __array_function__(self, func, types, args, kwargs):
        Recorder.calls.append((func, types))
        return "handled by Recorder"


@pytest.mark.parametrize("position", [0, 1, 2, 3])
@pytest.mark.parametrize("n", [2, 3, 4])
def test_an_overriding_operand_gets_numpys_multi_dot(n, position):
    if position >= n:
        pytest.skip("no such operand")
    arrays = [np.ones((3, 3)) for _ in range(n)]
    arrays[position] = Recorder(arrays[position])
    Recorder.calls.clear()
    assert chainplan.multi_dot(arrays) == "handled by Recorder"
    # The same as numpy itself does with the same arguments.
    assert np.linalg.multi_dot(arrays) == "handled by Recorder"
    (func, types), again = Recorder.calls
    assert func is np.linalg.multi_dot and Recorder in types
    assert again == (func, types)


def test_an_overriding_out_is_dispatched_too():
    a = np.ones((2, 3))
    Recorder.calls.clear()
    assert chainplan.multi_dot([a, a.T, a], out=Recorder(np.empty((2, 3)))) == "handled by Recorder"
    assert Recorder.calls[0][0] is np.linalg.multi_dot


class Sub(np.ndarray):
    """A subclass that keeps ndarray's __array_function__."""


def test_subclasses_of_ndarray_are_not_dispatched():
    a = np.arange(6.0).reshape(2, 3)
    got = chainplan.multi_dot([a.view(Sub), a.T, a])
    assert np.allclose(np.asarray(got), a @ a.T @ a)


@pytest.mark.filterwarnings("ignore::FutureWarning")
def test_dask_arrays_get_what_numpy_gives_them():
    da = pytest.importorskip("dask.array")
    a = da.from_array(np.arange(12.0).reshape(3, 4), chunks=2)
    b = np.arange(20.0).reshape(4, 5)
    # Dask implements no multi_dot: its __array_function__ falls back to numpy (and warns).
    expected = np.linalg.multi_dot([a, b, b.T])
    got = chainplan.multi_dot([a, b, b.T])
    assert type(got) is type(expected)
    assert np.allclose(np.asarray(got), np.asarray(expected))
