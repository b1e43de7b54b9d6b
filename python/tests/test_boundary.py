"""Dimensions cross into the extension as ints: numpy's integer scalars work as Python ints
do, the library words range errors, and an int beyond 128 bits is an OverflowError (numpy's
type for an integer out of bounds) with a short message."""

import numpy as np
import pytest

import chainplan
from oracle import all_orders


@pytest.mark.parametrize("kind", [int, np.int64, np.uint32, np.int8])
def test_integer_scalars_of_any_kind_plan_as_ints(kind):
    dims = [10, 100, 5, 50]
    p = chainplan.plan([kind(d) for d in dims])
    assert p.cost == min(c for c, _ in all_orders(dims).values())
    assert chainplan.jacobian([kind(d) for d in dims]).widths == tuple(dims)


@pytest.mark.parametrize("huge", [2**127, -(2**127) - 1, 10**400])
def test_ints_beyond_128_bits_overflow_with_a_bounded_message(huge):
    for call in (lambda: chainplan.plan([3, huge, 4]), lambda: chainplan.jacobian([3, huge])):
        with pytest.raises(OverflowError, match=r"\[1\] has \d+ bits") as e:
            call()
        assert len(str(e.value)) < 120


def test_the_largest_128_bit_ints_reach_the_library():
    with pytest.raises(ValueError, match="dimension 2 is .*; dimensions must be at most 4294967295"):
        chainplan.plan([3, 2**127 - 1, 4])
    with pytest.raises(ValueError, match="dimension 2 is -170141183460469231731687303715884105728"):
        chainplan.plan([3, -(2**127), 4])
