"""chainplan.dask: multi_dot and execute_plan against numpy, an independent planner and the
Dask graph, with no chainplan binary anywhere (the planner is in-process)."""

import itertools
import json
import uuid

import dask
import dask.array as da
import numpy as np
import pytest

import chainplan
import chainplan_dask
from chainplan import PlanFormatError
from chainplan.dask import execute_plan, multi_dot

RAGGED = [137, 53, 301, 29, 211]
BIG = [4000, 2000, 6000, 2000, 4000]


def random_chain(dims, chunks, seed=0, vectors=(False, False)):
    """numpy matrices for dims, and the same as dask arrays; vectors=(first, last) makes the
    ends 1-D (their outer dimension must then be 1)."""
    rng = np.random.default_rng(seed)
    mats = [rng.standard_normal((dims[i], dims[i + 1])) for i in range(len(dims) - 1)]
    if vectors[0]:
        mats[0] = mats[0][0]
    if vectors[1]:
        mats[-1] = mats[-1][:, 0]
    return mats, [da.from_array(m, chunks=chunks) for m in mats]


def relative_error(got, want):
    got, want = np.asarray(got), np.asarray(want)
    assert got.shape == want.shape
    scale = np.max(np.abs(want)) if want.size else 1.0
    return float(np.max(np.abs(got - want)) / scale) if want.size else 0.0


# ---- an independent planner, for checking which order the graph uses -----------------------


def brute_force(dims):
    """(cost, set of spans) of every parenthesization; a span (i, j) is a product of A(i+1)..A(j+1)."""

    def orders(i, j):
        if i == j:
            yield 0, frozenset()
            return
        for k in range(i, j):
            for cl, sl in orders(i, k):
                for cr, sr in orders(k + 1, j):
                    yield cl + cr + dims[i] * dims[k + 1] * dims[j + 1], sl | sr | {(i, j)}

    return list(orders(0, len(dims) - 2))


def graph_spans(result, names):
    """The products in the Dask graph of result: for every matmul layer, the run of inputs
    (first, last) it multiplies, found by walking the layer dependencies down to the inputs."""
    graph = result.__dask_graph__()
    index = {name: i for i, name in enumerate(names)}
    reach = {}

    def inputs_below(layer):
        if layer not in reach:
            if layer in index:
                reach[layer] = frozenset([index[layer]])
            else:
                below = [inputs_below(d) for d in graph.dependencies[layer]]
                reach[layer] = frozenset().union(*below)
        return reach[layer]

    spans = set()
    for layer in graph.layers:
        if layer.startswith("matmul-"):
            covered = inputs_below(layer)
            assert covered == frozenset(range(min(covered), max(covered) + 1))
            spans.add((min(covered), max(covered)))
    return frozenset(spans)


def named_chain(dims):
    """Lazy dask arrays (never computed here) with recognisable layer names."""
    token = uuid.uuid4().hex[:8]
    names = [f"input{i}-{token}" for i in range(len(dims) - 1)]
    arrays = [
        da.ones((dims[i], dims[i + 1]), chunks=1000, name=names[i]) for i in range(len(dims) - 1)
    ]
    return names, arrays


def plan_spans(plan):
    span = {item["name"]: (i, i) for i, item in enumerate(plan["inputs"])}
    for step in plan["steps"]:
        span[step["out"]] = (span[step["lhs"]][0], span[step["rhs"]][1])
    return frozenset(span[step["out"]] for step in plan["steps"])


# ---- numbers -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "dims",
    [RAGGED, [7, 3, 9], [40, 1, 40, 1, 40], [1, 17, 9, 23, 1], list(reversed(RAGGED)), [5, 80, 3, 60, 2, 70, 4]],
)
@pytest.mark.parametrize("chunks", [1000, 25])
def test_matches_numpy_multi_dot(dims, chunks):
    mats, arrays = random_chain(dims, chunks)
    got = multi_dot(arrays).compute(scheduler="sync")
    assert relative_error(got, np.linalg.multi_dot(mats)) <= 1e-10


@pytest.mark.parametrize("vectors", [(True, False), (False, True), (True, True)])
def test_vectors_at_the_ends_as_numpy_allows(vectors):
    dims = [1 if vectors[0] else 13] + RAGGED[1:-1] + [1 if vectors[1] else 17]
    mats, arrays = random_chain(dims, 40, seed=1, vectors=vectors)
    want = np.linalg.multi_dot(mats)
    result = multi_dot(arrays)
    assert result.shape == np.shape(want)
    assert relative_error(result.compute(scheduler="sync"), want) <= 1e-10


def test_two_vectors_give_a_scalar():
    rng = np.random.default_rng(2)
    x, y = rng.standard_normal(50), rng.standard_normal(50)
    result = multi_dot([da.from_array(x, chunks=7), da.from_array(y, chunks=9)])
    assert result.shape == ()
    assert abs(float(result.compute()) - float(np.dot(x, y))) <= 1e-10 * np.abs(x).sum()


def test_zero_sized_chains_multiply_like_numpy():
    mats, arrays = random_chain([4, 0, 5, 3], 2)
    got = multi_dot(arrays).compute(scheduler="sync")
    np.testing.assert_array_equal(got, np.linalg.multi_dot(mats))


# ---- order -------------------------------------------------------------------------------


@pytest.mark.parametrize("dims", [BIG, RAGGED, [30, 35, 15, 5, 10, 20, 25]])
def test_graph_multiplies_in_a_cheapest_order(dims):
    names, arrays = named_chain(dims)
    spans = graph_spans(multi_dot(arrays), names)
    orders = brute_force(dims)
    best = min(cost for cost, _ in orders)
    cost_of = {s: c for c, s in orders}
    assert spans in cost_of, f"the graph's products {sorted(spans)} are not a parenthesization"
    assert cost_of[spans] == best
    # And it is exactly the plan chainplan gives for these shapes.
    assert spans == plan_spans(chainplan.plan(dims).to_handoff())


def test_dask_alone_multiplies_from_the_left():
    # The baseline that multi_dot improves on, checked with the same graph reader.
    names, arrays = named_chain(BIG)
    spans = graph_spans(arrays[0] @ arrays[1] @ arrays[2] @ arrays[3], names)
    assert spans == {(0, 1), (0, 2), (0, 3)}
    best = min(cost for cost, _ in brute_force(BIG))
    assert dict((s, c) for c, s in brute_force(BIG))[spans] > best


def test_execute_plan_follows_a_plan_file(export_plan):
    mats, arrays = random_chain(RAGGED, 50, seed=3)
    for algorithm, want in [
        ("left-to-right", {(0, 1), (0, 2), (0, 3)}),
        ("right-to-left", {(2, 3), (1, 3), (0, 3)}),
    ]:
        path = export_plan(RAGGED, algorithm)
        names, lazy = named_chain(RAGGED)
        assert graph_spans(execute_plan(path, lazy), names) == want
        got = execute_plan(str(path), arrays).compute(scheduler="sync")
        assert relative_error(got, np.linalg.multi_dot(mats)) <= 1e-10
        with open(path) as f:
            assert execute_plan(json.load(f), arrays).shape == (RAGGED[0], RAGGED[-1])


def test_execute_plan_with_vectors(export_plan):
    dims = [1, 53, 301, 29, 1]
    mats, arrays = random_chain(dims, 60, seed=4, vectors=(True, True))
    got = execute_plan(export_plan(dims), arrays).compute(scheduler="sync")
    assert abs(float(got) - float(np.linalg.multi_dot(mats))) <= 1e-10 * np.abs(mats[0]).sum() * 1e3


# ---- errors ------------------------------------------------------------------------------


def test_no_binary_is_needed(monkeypatch, tmp_path):
    # The planner is in-process: nothing named chainplan on PATH, no CHAINPLAN_BIN.
    monkeypatch.delenv("CHAINPLAN_BIN", raising=False)
    monkeypatch.setenv("PATH", str(tmp_path))
    mats, arrays = random_chain(RAGGED, 50)
    got = multi_dot(arrays).compute(scheduler="sync")
    assert relative_error(got, np.linalg.multi_dot(mats)) <= 1e-10


def test_the_old_name_is_an_alias():
    assert chainplan_dask.multi_dot is multi_dot
    assert chainplan_dask.execute_plan is execute_plan
    assert chainplan_dask.PlanFormatError is PlanFormatError


def test_library_errors_carry_its_message():
    _, arrays = random_chain([3, 4, 5], 2)
    with pytest.raises(ValueError, match="unknown algorithm 'fastest'; valid algorithms are: auto, dp, hu-shing, approx"):
        multi_dot(arrays, algorithm="fastest")


def test_mismatched_shapes():
    rng = np.random.default_rng(5)
    shapes = [(137, 53), (53, 301), (300, 29)]
    arrays = [da.from_array(rng.standard_normal(s), chunks=50) for s in shapes]
    with pytest.raises(ValueError, match=r"arrays\[1\] \(53 x 301\) by arrays\[2\] \(300 x 29\).*301 and 300 differ"):
        multi_dot(arrays)


def test_numpy_operands_mix_with_dask_ones():
    mats, arrays = random_chain(RAGGED, 50, seed=6)
    mixed = [mats[0], arrays[1], mats[2].tolist(), arrays[3]]
    result = multi_dot(mixed)
    assert isinstance(result, da.Array)
    assert relative_error(result.compute(scheduler="sync"), np.linalg.multi_dot(mats)) <= 1e-10


@pytest.mark.parametrize(
    "arrays, message",
    [
        ([], "at least two arrays"),
        ([da.ones((2, 2))], "at least two arrays"),
        ([da.ones((2, 3)), da.ones(3), da.ones((3, 2))], r"arrays\[1\] has 1 dimensions.*only the first and last"),
        ([da.ones((2, 3, 4)), da.ones((4, 2))], r"arrays\[0\] has 3 dimensions"),
    ],
)
def test_bad_array_lists(arrays, message):
    with pytest.raises(ValueError, match=message):
        multi_dot(arrays)


def test_execute_plan_rejects_arrays_that_do_not_fit(export_plan):
    path = export_plan(RAGGED)
    _, arrays = random_chain(RAGGED, 50)
    with pytest.raises(ValueError, match="the plan multiplies 4 matrices but 3 arrays"):
        execute_plan(path, arrays[:3])
    _, other = random_chain([137, 53, 301, 29, 210], 50)
    with pytest.raises(ValueError, match=r"arrays\[3\] is 29 x 210 but the plan's A4 is 29 x 211"):
        execute_plan(path, other)


def test_execute_plan_rejects_bad_plans(export_plan, tmp_path):
    path = export_plan(RAGGED)
    _, arrays = random_chain(RAGGED, 50)
    with open(path) as f:
        good = json.load(f)

    future = dict(good, version=2)
    with pytest.raises(PlanFormatError, match="version 2 is not supported"):
        execute_plan(future, arrays)

    other = dict(good, format="something-else")
    with pytest.raises(PlanFormatError, match="something-else"):
        execute_plan(other, arrays)

    dangling = json.loads(json.dumps(good))
    dangling["steps"][1]["lhs"] = "S7"
    with pytest.raises(PlanFormatError, match="S7"):
        execute_plan(dangling, arrays)

    reused = json.loads(json.dumps(good))
    # Using an operand after the step that frees it is a broken plan.
    first_freed = reused["steps"][0]["free_after"][0]
    reused["steps"][-1]["lhs"] = first_freed
    with pytest.raises(PlanFormatError):
        execute_plan(reused, arrays)

    not_json = tmp_path / "broken.json"
    not_json.write_text("{ not json")
    with pytest.raises(PlanFormatError, match="not a JSON plan"):
        execute_plan(not_json, arrays)

    with pytest.raises(TypeError, match="a plan is a dict, JSON text or a path"):
        execute_plan(42, arrays)


def test_package_metadata_matches_the_binary_format():
    assert chainplan_dask.FORMAT_VERSION == 1
    assert chainplan_dask.FORMAT_NAME == "chainplan-plan"
