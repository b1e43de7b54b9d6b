"""The 25 application problems of Linnea's evaluation, restated for chainplan (issue 22):
programs in chainplan's language with their declarations, seeded operand generators, and naive
and recommended numpy/scipy versions. See docs/linnea-applications.md."""

from .operands import Operand, make_all, scaled, violations
from .problems import APPS, Application, Scalar, by_key
from .program import ProgramError, evaluate, features, outputs, parse

__all__ = [
    "APPS", "Application", "Operand", "ProgramError", "Scalar", "by_key", "evaluate",
    "features", "make_all", "outputs", "parse", "scaled", "violations",
]
