"""Loads the OpenBLAS that ``chainplan._native`` runs on, before the extension is imported.

The extension is linked against ``libscipy_openblas.so`` of the ``scipy-openblas32`` package
(a dependency of chainplan; the OpenBLAS build numpy and scipy themselves ship) and carries no
copy of it. Loading that file here, by its path in the installed package, satisfies the
extension's dependency by the library's name, wherever the package is installed (a wheel, an
editable install, ``maturin develop``). It is loaded with ``RTLD_LOCAL``: its symbols, all
prefixed ``scipy_``, stay out of the process's global namespace.
"""

import ctypes
import importlib.util
import os


def _load():
    spec = importlib.util.find_spec("scipy_openblas32")
    if spec is None or spec.origin is None:
        raise ImportError(
            "chainplan needs the package scipy-openblas32 (its BLAS and LAPACK): "
            "pip install scipy-openblas32"
        )
    path = os.path.join(os.path.dirname(spec.origin), "lib", "libscipy_openblas.so")
    return ctypes.CDLL(path, mode=ctypes.RTLD_LOCAL)


#: The loaded library, kept so that it stays loaded.
library = _load()
