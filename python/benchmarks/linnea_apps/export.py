"""The applications as data for other tools: programs.json (for the Rust side's tests and the
CLI) and the Markdown table of docs/linnea-applications.md.

    python python/benchmarks/linnea_apps/export.py --json python/benchmarks/linnea_apps/programs.json
    python python/benchmarks/linnea_apps/export.py --table

tests/test_linnea_apps.py checks that the committed programs.json and the table in the docs are
what this script writes now.
"""

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path

if __package__ in (None, ""):  # run as a script
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from linnea_apps.problems import APPS  # noqa: E402

#: Columns of the features part of the table, in order: (feature word, header).
FEATURE_COLUMNS = (
    ("sums", "sums"), ("scalars", "scalars"), ("I", "I"), ("outputs", "outputs"),
    ("shared", "shared"), ("inv-of-sum", "inv of sum"),
)


def shared(app):
    """Whether the application has work to share: a repeated sub-expression, a value and its
    transpose, or an output reused by a later assignment."""
    return bool(app.sharing) or bool(app.features & {"repeated", "chained"})


def record(app):
    """One application as a JSON-ready dict."""
    return {
        "number": app.number,
        "key": app.key,
        "title": app.title,
        "source": app.source,
        "statement": app.statement,
        "program": app.program,
        "outputs": app.outputs,
        "operands": app.declarations(app.sizes),
        "test_operands": app.declarations(app.test_sizes),
        "scalars": [{"name": s.name, "sign": s.sign, "value": s.value} for s in app.scalars],
        "sizes": app.sizes,
        "test_sizes": app.test_sizes,
        "features": sorted(app.features | ({"shared"} if shared(app) else set())),
        "sharing": app.sharing,
        "notes": app.notes,
    }


def to_json():
    return json.dumps([record(a) for a in APPS], indent=1, ensure_ascii=False) + "\n"


def _sizes(app):
    return ", ".join(f"{k}={v}" for k, v in app.sizes.items())


def _props(app):
    out = []
    for op in app.operands:
        if op.props:
            out.append(f"{op.name} {'/'.join(op.props)}")
    return "; ".join(out)


def table():
    """The Markdown table of the 25 applications."""
    head = ["#", "application", "statement", "sizes (paper)", "properties"]
    head += [h for _, h in FEATURE_COLUMNS]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for app in APPS:
        feats = app.features | ({"shared"} if shared(app) else set())
        marks = []
        for word, _ in FEATURE_COLUMNS:
            if word == "outputs":
                marks.append(str(len(app.outputs)))
            else:
                marks.append("✓" if word in feats else "")
        row = [str(app.number), app.title, app.statement.replace("|", "\\|"), _sizes(app),
               _props(app)] + marks
        lines.append("| " + " | ".join(row) + " |")
    return "\n".join(lines) + "\n"


def programs():
    """Each program with its declarations, as the CLI would take them, in Markdown."""
    out = []
    for app in APPS:
        decl = " ".join(f"--op {d}" for d in app.declarations(app.sizes))
        decl += "".join(f" --scalar {s.declaration()}" for s in app.scalars)
        out.append(f"**{app.number}. {app.title}** ({app.source})\n\n"
                   f"```\n{app.program}\n```\n\n`{decl}`\n")
        if app.sharing:
            out.append(f"Shared work: {app.sharing}.\n")
        if app.notes:
            out.append(f"Note: {app.notes}\n")
    return "\n".join(out)


def write_atomically(path, text):
    """Writes text to a temporary file beside path, then renames it into place."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--json", metavar="FILE", help="write programs.json to FILE ('-': stdout)")
    parser.add_argument("--table", action="store_true", help="print the Markdown table")
    parser.add_argument("--programs", action="store_true",
                        help="print each program with its declarations in Markdown")
    args = parser.parse_args()
    if args.json == "-":
        sys.stdout.write(to_json())
    elif args.json:
        write_atomically(args.json, to_json())
    if args.table:
        sys.stdout.write(table())
    if args.programs:
        sys.stdout.write(programs())
    if not (args.json or args.table or args.programs):
        parser.error("nothing to do: give --json FILE, --table or --programs")


if __name__ == "__main__":
    main()
