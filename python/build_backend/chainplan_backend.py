"""The PEP 517 build backend of chainplan: maturin's, with cargo's output outside the source.

``pip install ./python`` builds in the source tree; maturin's backend alone would leave cargo's
``target/`` (hundreds of MB) in the repository. Here each wheel is built in a temporary
target directory, removed afterwards, unless ``CARGO_TARGET_DIR`` names one (to keep
incremental builds between installs). Everything else is maturin's.
"""

import contextlib
import os
import shutil
import tempfile

from maturin import *  # noqa: F401,F403  (the hooks this module does not wrap)
from maturin import build_editable as _build_editable
from maturin import build_wheel as _build_wheel


@contextlib.contextmanager
def _target_dir():
    if os.environ.get("CARGO_TARGET_DIR"):
        yield
        return
    path = tempfile.mkdtemp(prefix="chainplan-target-")
    os.environ["CARGO_TARGET_DIR"] = path
    try:
        yield
    finally:
        del os.environ["CARGO_TARGET_DIR"]
        shutil.rmtree(path, ignore_errors=True)


def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    with _target_dir():
        return _build_wheel(wheel_directory, config_settings, metadata_directory)


def build_editable(wheel_directory, config_settings=None, metadata_directory=None):
    with _target_dir():
        return _build_editable(wheel_directory, config_settings, metadata_directory)
