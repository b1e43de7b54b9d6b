"""A reference reader and evaluator for the program language of issue 22, in numpy.

It exists to check the application programs kept as data here: that each one parses, that its
shapes agree with its ``--op`` declarations, and that it computes what the numpy versions
compute. It plans nothing: every product runs left to right and every ``inv(...)`` is an
explicit ``np.linalg.inv``, which is the meaning of a program, not a way to run one fast.

The language, as the issue states it::

    program    := assignment ((';' | newline) assignment)*
    assignment := NAME '=' expr
    expr       := term (('+' | '-') term)*
    term       := unary ('*' unary)*
    unary      := '-' unary | postfix
    postfix    := primary ("'" | '^T')*
    primary    := NUMBER | NAME | 'I' | 'inv' '(' expr ')' | '(' expr ')'

Names are operands (declared with ``--op``), scalars (declared with a sign, values given at run
time) or the results of earlier assignments. ``I`` is the identity, its size taken from what it
is added to or multiplied with. ``#`` starts a comment. Every assignment is an output.
"""

import re

import numpy as np


class ProgramError(ValueError):
    """A program that does not parse or whose shapes do not agree: position and reason."""

    def __init__(self, pos, reason):
        super().__init__(f"at {pos}: {reason}")
        self.pos = pos
        self.reason = reason


_TOKEN = re.compile(
    r"(?P<ws>[ \t\r]+|\#[^\n]*)"
    r"|(?P<num>(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)"
    r"|(?P<name>[A-Za-z_][A-Za-z0-9_]*)"
    r"|(?P<tr>\^T|')"
    r"|(?P<op>[-+*()=;\n])"
)


def tokens(text):
    """(kind, text, position) triples; newlines and ';' become 'sep'."""
    out, pos = [], 0
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if not m:
            raise ProgramError(pos, f"unexpected character {text[pos]!r}")
        kind = m.lastgroup
        if kind != "ws":
            t = m.group()
            if kind == "op" and t in ";\n":
                kind = "sep"
            out.append((kind, t, pos))
        pos = m.end()
    out.append(("end", "", len(text)))
    return out


class _Parser:
    def __init__(self, text):
        self.toks = tokens(text)
        self.i = 0

    def peek(self):
        return self.toks[self.i]

    def take(self, text=None, kind=None):
        tok = self.toks[self.i]
        if (text is not None and tok[1] != text) or (kind is not None and tok[0] != kind):
            want = repr(text) if text is not None else kind
            raise ProgramError(tok[2], f"expected {want}, found {tok[1]!r}")
        self.i += 1
        return tok

    def program(self):
        stmts = []
        while True:
            while self.peek()[0] == "sep":
                self.i += 1
            if self.peek()[0] == "end":
                break
            _, name, pos = self.take(kind="name")
            self.take("=")
            stmts.append((name, self.expr(), pos))
            if self.peek()[0] not in ("sep", "end"):
                tok = self.peek()
                raise ProgramError(tok[2], f"expected ';' or a new line, found {tok[1]!r}")
        if not stmts:
            raise ProgramError(0, "no assignment")
        return stmts

    def expr(self):
        node = self.term()
        while self.peek()[1] in ("+", "-"):
            _, text, pos = self.take()
            node = ("add" if text == "+" else "sub", node, self.term(), pos)
        return node

    def term(self):
        node = self.unary()
        while self.peek()[1] == "*":
            pos = self.take()[2]
            node = ("mul", node, self.unary(), pos)
        return node

    def unary(self):
        if self.peek()[1] == "-":
            self.take()
            return ("neg", self.unary())
        node = self.primary()
        while self.peek()[0] == "tr":
            self.take()
            node = ("T", node)
        return node

    def primary(self):
        kind, text, pos = self.peek()
        if kind == "num":
            self.take()
            return ("num", float(text))
        if kind == "name" and text == "inv":
            self.take()
            self.take("(")
            node = self.expr()
            self.take(")")
            return ("inv", node, pos)
        if kind == "name":
            self.take()
            return ("I",) if text == "I" else ("name", text, pos)
        if text == "(":
            self.take()
            node = self.expr()
            self.take(")")
            return node
        raise ProgramError(pos, f"expected an operand, a number, I, inv( or (, found {text!r}")


def parse(text):
    """[(name, tree, position)] for each assignment of the program."""
    return _Parser(text).program()


def outputs(text):
    """The names a program assigns, in order."""
    return [name for name, _, _ in parse(text)]


class _Identity:
    """``scale * I`` of a size not yet known."""

    def __init__(self, scale=1.0):
        self.scale = scale


def _mat(v, pos, what):
    if isinstance(v, np.ndarray):
        return v
    raise ProgramError(pos, f"{what} needs a matrix")


def _plus(a, b, pos):
    if isinstance(a, float) or isinstance(b, float):
        raise ProgramError(pos, "a scalar cannot be added to anything; scalars are factors")
    if isinstance(a, _Identity) and isinstance(b, _Identity):
        return _Identity(a.scale + b.scale)
    if isinstance(a, _Identity) or isinstance(b, _Identity):
        ident, m = (a, b) if isinstance(a, _Identity) else (b, a)
        if m.shape[0] != m.shape[1]:
            raise ProgramError(pos, f"I added to a {m.shape[0]}x{m.shape[1]} matrix")
        return m + ident.scale * np.eye(m.shape[0])
    if a.shape != b.shape:
        raise ProgramError(pos, f"sum of {a.shape[0]}x{a.shape[1]} and {b.shape[0]}x{b.shape[1]}")
    return a + b


def _times(a, b, pos):
    if isinstance(a, float) and isinstance(b, float):
        return a * b
    if isinstance(a, float) or isinstance(b, float):
        s, m = (a, b) if isinstance(a, float) else (b, a)
        return _Identity(s * m.scale) if isinstance(m, _Identity) else s * m
    if isinstance(a, _Identity) and isinstance(b, _Identity):
        return _Identity(a.scale * b.scale)
    if isinstance(a, _Identity):
        return a.scale * b
    if isinstance(b, _Identity):
        return b.scale * a
    if a.shape[1] != b.shape[0]:
        raise ProgramError(
            pos, f"product of {a.shape[0]}x{a.shape[1]} and {b.shape[0]}x{b.shape[1]}")
    return a @ b


def _eval(node, env, scalars):
    kind = node[0]
    if kind == "num":
        return node[1]
    if kind == "I":
        return _Identity()
    if kind == "name":
        name, pos = node[1], node[2]
        if name in scalars:
            return float(scalars[name])
        if name in env:
            return env[name]
        raise ProgramError(pos, f"unknown name {name!r}")
    if kind == "neg":
        v = _eval(node[1], env, scalars)
        return _Identity(-v.scale) if isinstance(v, _Identity) else -v
    if kind == "T":
        v = _eval(node[1], env, scalars)
        return v.T if isinstance(v, np.ndarray) else v
    if kind == "inv":
        v, pos = _eval(node[1], env, scalars), node[2]
        if isinstance(v, _Identity):
            return _Identity(1.0 / v.scale)
        m = _mat(v, pos, "inv(...)")
        if m.shape[0] != m.shape[1]:
            raise ProgramError(pos, f"inv of a {m.shape[0]}x{m.shape[1]} matrix")
        return np.linalg.inv(m)
    a, b, pos = _eval(node[1], env, scalars), _eval(node[2], env, scalars), node[3]
    if kind == "add":
        return _plus(a, b, pos)
    if kind == "sub":
        return _plus(a, _times(-1.0, b, pos), pos)
    return _times(a, b, pos)


def evaluate(text, operands, scalars=None):
    """Runs a program on numpy operands (vectors as 1-D arrays) and named scalar values;
    returns {output name: 2-D array}. Raises ProgramError on any shape disagreement."""
    scalars = dict(scalars or {})
    env = {k: (v.reshape(-1, 1) if v.ndim == 1 else v) for k, v in operands.items()}
    result = {}
    for name, tree, pos in parse(text):
        if name in env or name in scalars or name in ("I", "inv"):
            raise ProgramError(pos, f"{name!r} is already an operand, scalar or output")
        value = _eval(tree, env, scalars)
        if isinstance(value, _Identity):
            raise ProgramError(pos, f"the size of I in {name} cannot be inferred")
        if isinstance(value, float):
            raise ProgramError(pos, f"{name} is a scalar; outputs are matrices or vectors")
        env[name] = result[name] = value
    return result


def _walk(node):
    yield node
    for child in node[1:]:
        if isinstance(child, tuple):
            yield from _walk(child)


def _canon(node):
    kind = node[0]
    if kind == "num":
        return repr(node[1])
    if kind == "name":
        return node[1]
    if kind == "I":
        return "I"
    if kind in ("neg", "T", "inv"):
        return f"{kind}({_canon(node[1])})"
    return f"{kind}({_canon(node[1])},{_canon(node[2])})"


def features(text, scalar_names=()):
    """What a program needs of the language, read from its text: a set of words among
    sums, scalars, I, outputs (several), chained (an assignment uses an earlier one),
    inv-of-sum (an inverse of a sum) and repeated (a product or inverse written twice)."""
    found, seen, earlier = set(), {}, set()
    stmts = parse(text)
    if len(stmts) > 1:
        found.add("outputs")
    for name, tree, _ in stmts:
        for node in _walk(tree):
            kind = node[0]
            if kind in ("add", "sub"):
                found.add("sums")
            elif kind == "num" or (kind == "name" and node[1] in scalar_names):
                found.add("scalars")
            elif kind == "I":
                found.add("I")
            elif kind == "name" and node[1] in earlier:
                found.add("chained")
            elif kind == "inv" and any(n[0] in ("add", "sub") for n in _walk(node[1])):
                found.add("inv-of-sum")
            if kind in ("mul", "inv"):
                key = _canon(node)
                seen[key] = seen.get(key, 0) + 1
        earlier.add(name)
    if any(count > 1 for count in seen.values()):
        found.add("repeated")
    return found
