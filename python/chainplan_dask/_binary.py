"""Finding and running the ``chainplan`` binary."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from typing import Optional, Sequence

from ._plan import validate_plan

#: The environment variable that names the ``chainplan`` binary; when unset, PATH is searched.
BINARY_ENV = "CHAINPLAN_BIN"


class ChainplanError(RuntimeError):
    """The ``chainplan`` binary failed; the message carries its own error line."""


class ChainplanNotFoundError(ChainplanError):
    """The ``chainplan`` binary is neither named by ``CHAINPLAN_BIN`` nor on ``PATH``."""


def find_binary(binary: Optional[str] = None) -> str:
    """Path of the ``chainplan`` binary: ``binary`` if given, else ``$CHAINPLAN_BIN``, else the
    first ``chainplan`` on ``PATH``. Raises :class:`ChainplanNotFoundError` with what to do."""
    if binary is None:
        binary = os.environ.get(BINARY_ENV) or None
        source = f"{BINARY_ENV} is set to"
    else:
        source = "binary="
    if binary is not None:
        found = shutil.which(binary)
        if found is None:
            raise ChainplanNotFoundError(
                f"{source} {binary!r}, which is not an executable file; build chainplan "
                "(cargo build --release) and point it at target/release/chainplan"
            )
        return found
    found = shutil.which("chainplan")
    if found is None:
        raise ChainplanNotFoundError(
            "the chainplan binary was not found on PATH; build it with `cargo build --release` "
            f"and set {BINARY_ENV}=/path/to/target/release/chainplan, or add that folder to PATH"
        )
    return found


def plan_chain(dims: Sequence[int], algorithm: str = "dp", binary: Optional[str] = None) -> dict:
    """Plans the chain with dimensions ``p0 ... pn`` (matrix i is ``p(i-1) x pi``) by running
    ``chainplan plan --export-plan -``, and returns the plan as a dict in the hand-off format.

    Raises :class:`ChainplanError` with chainplan's message when it refuses the chain (for
    example a dimension of 0 or an unknown algorithm)."""
    exe = find_binary(binary)
    args = [exe, "plan", "--algorithm", algorithm, "--export-plan", "-", "--"]
    args += [str(int(d)) for d in dims]
    try:
        done = subprocess.run(args, capture_output=True, text=True, check=False)
    except OSError as e:
        raise ChainplanNotFoundError(f"cannot run {exe}: {e}") from e
    if done.returncode != 0:
        message = done.stderr.strip() or f"no message, exit status {done.returncode}"
        raise ChainplanError(f"chainplan failed: {message}")
    try:
        plan = json.loads(done.stdout)
    except ValueError as e:
        raise ChainplanError(f"chainplan printed something other than a plan: {e}") from e
    return validate_plan(plan)
