"""numpy's own TestMultiDot, from the installed numpy, run unmodified against
chainplan.multi_dot.

The test class refers to ``multi_dot`` as a global of numpy's test module; each test here runs
with that global replaced by a wrapper of chainplan.multi_dot that counts its calls, and the
count proves the substitution took effect. (``test_dynamic_programming_logic`` checks numpy's
private ``_multi_dot_matrix_chain_order``, which stays numpy's.)
"""

import pytest

import chainplan

numpy_tests = pytest.importorskip("numpy.linalg.tests.test_linalg")

calls = []


def substitute(arrays, *, out=None):
    calls.append(len(arrays))
    return chainplan.multi_dot(arrays, out=out)


@pytest.fixture(autouse=True)
def chainplan_multi_dot(monkeypatch, request):
    calls.clear()
    monkeypatch.setattr(numpy_tests, "multi_dot", substitute)
    yield
    if request.cls is not None and request.node.name != "test_dynamic_programming_logic":
        assert calls, "numpy's test did not call the substituted multi_dot"


class TestMultiDot(numpy_tests.TestMultiDot):
    """Every test method of numpy's class, inherited unchanged."""


def test_numpy_class_is_the_installed_one():
    import numpy

    assert numpy_tests.__file__.startswith(numpy.__path__[0])
    names = [n for n in dir(TestMultiDot) if n.startswith("test_")]
    assert len(names) >= 10
