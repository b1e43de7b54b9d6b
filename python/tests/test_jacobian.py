"""chainplan.jacobian against costs computed here from the widths alone."""

import numpy as np
import pytest

import chainplan
from oracle import all_orders


def dense_costs(widths):
    """Forward (tangents from the input), reverse (adjoints from the output) and optimal
    costs of the Jacobian chain J_L ⋯ J_1 of dense layers (J_i is n_i × n_(i-1))."""
    dims = list(reversed(widths))
    n = len(dims) - 1
    forward = sum(dims[i] * dims[i + 1] * dims[n] for i in range(n - 1))
    reverse = sum(dims[0] * dims[i] * dims[i + 1] for i in range(1, n))
    optimal = min(c for c, _ in all_orders(dims).values()) if n > 1 else 0
    return forward, reverse, optimal


@pytest.mark.parametrize("seed", range(20))
def test_dense_chains(seed):
    rng = np.random.default_rng(seed)
    widths = [int(w) for w in rng.integers(1, 30, size=int(rng.integers(3, 8)))]
    report = chainplan.jacobian(widths)
    forward, reverse, optimal = dense_costs(widths)
    assert (report.forward, report.reverse, report.optimal) == (forward, reverse, optimal)
    assert report.widths == tuple(widths)
    assert report.to_dict()["widths"] == widths
    expected_mode = {forward: "forward", reverse: "reverse"}.get(optimal, "mixed")
    if forward == reverse == optimal:
        assert report.mode in ("forward", "reverse")
    elif optimal in (forward, reverse):
        assert report.mode == expected_mode
    else:
        assert report.mode == "mixed"


def test_options_reach_the_library():
    plain = chainplan.jacobian([8, 4, 4, 2])
    seeded = chainplan.jacobian([8, 4, 4, 2], seed="input", seed_size=3)
    assert (plain.seed, seeded.seed, seeded.seed_size) == (None, "input", 3)
    layered = chainplan.jacobian([8, 8, 8, 2], layers="dense,elementwise,dense")
    assert layered.layers == ("dense", "elementwise", "dense")
    mf = chainplan.jacobian([8, 4, 4, 2], tangent_costs=[32, 16, 8], adjoint_costs=[96, 48, 24])
    assert plain.matrix_free is None
    assert mf.matrix_free is not None and mf.matrix_free["optimal"] <= mf.matrix_free["forward"]


@pytest.mark.parametrize(
    "kwargs, exc",
    [
        (dict(widths=[8, 0, 2]), ValueError),
        (dict(widths=[8, 4.5, 2]), TypeError),
        (dict(widths=[8, 4, 2], seed="sideways"), ValueError),
        (dict(widths=[8, 4, 2], seed_size=3), ValueError),
        (dict(widths=[8, 4, 2], layers="dense,bogus"), ValueError),
        (dict(widths=[8, 4, 2], tangent_costs=[1, 2]), ValueError),
        (dict(widths=[8, 4, 2], tangent_costs=[1, 2], adjoint_costs=[1]), ValueError),
    ],
)
def test_bad_arguments(kwargs, exc):
    with pytest.raises(exc) as e:
        chainplan.jacobian(**kwargs)
    assert "\n" not in str(e.value)
