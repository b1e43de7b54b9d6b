"""The one bounding helper for the messages the Python layer raises (issue 25).

Every public function and method of the package is decorated with :func:`bounded`. An
exception that leaves it, raised by the package's own code (or by numpy's C routines that code
calls), has its message passed through :func:`one_line`: the library's
``chainplan::text::one_line`` (line breaks and control characters escaped, a word of more than
60 characters cut to 40 and its length), then cut to :data:`MAX_MESSAGE` characters in all. It
is the Python side of the net that the command line's ``error:`` lines pass through, so a
message built with an operand name, an expression or a file name in it never reaches the user
whole, wherever in the package it was built.

Exceptions from other code (a user's layer function, numpy's Python modules, opt_einsum's
parser) keep their own messages: they are not the package's to rewrite. The type is never
changed (``multi_dot``'s contract is numpy's exception types).
"""

from __future__ import annotations

import functools
import os
from typing import Any, Callable, TypeVar

from . import _native

#: The longest message a raised exception carries, in characters (before the count that a cut
#: message ends with).
MAX_MESSAGE = 300

_PACKAGE = os.path.dirname(os.path.abspath(__file__)) + os.sep

F = TypeVar("F", bound=Callable[..., Any])


def one_line(message: str) -> str:
    """``message`` as one bounded line: the library's ``text::one_line``, then at most
    :data:`MAX_MESSAGE` characters (cut at a space where one is near, then ``…`` and the
    length)."""
    line: str = _native.one_line(message)
    if len(line) <= MAX_MESSAGE:
        return line
    cut = line.rfind(" ", MAX_MESSAGE - 60, MAX_MESSAGE)
    head = line[: cut if cut > 0 else MAX_MESSAGE].rstrip(" ,;:")
    return f"{head} … ({len(line)} characters)"


def _raised_here(exc: BaseException) -> bool:
    """Whether the innermost Python frame of ``exc``'s traceback is the package's own."""
    tb = exc.__traceback__
    if tb is None:
        return False
    while tb.tb_next is not None:
        tb = tb.tb_next
    return os.path.abspath(tb.tb_frame.f_code.co_filename).startswith(_PACKAGE)


def rebound(exc: BaseException) -> None:
    """Passes the message of ``exc`` through :func:`one_line` in place, when the package raised
    it and its message is its one text argument (as for ``ValueError("…")``; an ``OSError``
    or a ``KeyError`` formats its arguments and is left as it is)."""
    args = exc.args
    if len(args) != 1 or not isinstance(args[0], str) or not _raised_here(exc):
        return
    try:
        if str(exc) != args[0]:
            return
    except Exception:  # noqa: BLE001 - an exception whose __str__ fails is left alone
        return
    message = one_line(args[0])
    if message != args[0]:
        exc.args = (message,)


def bounded(func: F) -> F:
    """Decorates a public function or method: an exception that leaves it has its message
    bounded by :func:`rebound` (same type, same traceback). Costs nothing when nothing is
    raised but the call of the wrapper."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except Exception as e:
            rebound(e)
            raise

    wrapper.__chainplan_bounded__ = True  # type: ignore[attr-defined]
    return wrapper  # type: ignore[return-value]
