"""The extension runs on the scipy-openblas32 package's OpenBLAS, through hidden forwarders.

python/build.rs writes a forwarder NAME -> scipy_NAME for every routine of that library; these
tests check, from outside, that the extension's BLAS is that library (its own configuration
string, threadpoolctl's view, the files mapped into the process) and that the forwarders stay
inside the extension. That the forwarders call the right routines is what every evaluation in
test_expr.py and test_linnea_apps.py checks against numpy.
"""

import ctypes
import importlib.util
import os
import sys

import numpy as np
import pytest

import chainplan
from chainplan import _native, _openblas

LIB = os.path.join(
    os.path.dirname(importlib.util.find_spec("scipy_openblas32").origin), "lib", "libscipy_openblas.so"
)


def library_config():
    get = _openblas.library.scipy_openblas_get_config
    get.restype = ctypes.c_char_p
    return get().decode().strip()


def test_blas_info_is_the_packages_openblas():
    name, threads = _native.blas_info()
    assert name.startswith("OpenBLAS ")
    assert name == library_config()
    assert threads >= 1


def test_forwarders_are_not_exported():
    ext = ctypes.CDLL(_native.__file__)
    # dlsym on the extension searches it and the libraries it needs: the plain names exist
    # nowhere outside the extension's hidden forwarders, the prefixed ones in the library.
    for name in ("cblas_dgemm", "dgemm_", "dpotrf_", "openblas_get_config"):
        assert not hasattr(ext, name), name
    assert hasattr(ext, "scipy_dpotrf_")


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc/self/maps")
def test_only_the_packages_openblas_is_mapped():
    m = np.random.default_rng(1).standard_normal((40, 40))
    spd = m @ m.T + 40 * np.eye(40)
    x = chainplan.eval_expr("inv(M) * b", {"M": (spd, "spd"), "b": np.ones(40)})
    np.testing.assert_allclose(spd @ x, np.ones(40), rtol=1e-10)
    with open("/proc/self/maps") as maps:
        files = {line.split()[-1] for line in maps if "/" in line}
    assert os.path.realpath(LIB) in {os.path.realpath(f) for f in files}
    assert not [f for f in files if os.path.basename(f).startswith("libopenblas")]


def test_threadpoolctl_controls_it():
    threadpoolctl = pytest.importorskip("threadpoolctl")
    found = [i for i in threadpoolctl.threadpool_info()
             if os.path.realpath(i["filepath"]) == os.path.realpath(LIB)]
    assert len(found) == 1 and found[0]["internal_api"] == "openblas"
    with threadpoolctl.threadpool_limits(limits=1):
        assert _native.blas_info()[1] == 1
