#!/usr/bin/env python3
"""Completes the Python sdist that `maturin sdist` writes (`make python-sdist`).

maturin copies the workspace root's Cargo.toml as it is, with its [[test]], [[bench]] and
[[example]] tables, but only the files `cargo package` lists for the library, and its include
list leaves tests, benches and examples out. Cargo then refuses the manifest ("can't find
`sgd` example"), so no wheel builds from the sdist. This adds the source file of every target
the root manifest names, from the repository, to the archive (nothing is compiled from them:
the sdist builds the extension's library only).

    python3 scripts/sdist-complete.py target/wheels/chainplan-0.1.0.tar.gz
"""

import io
import pathlib
import sys
import tarfile
import tomllib

REPO = pathlib.Path(__file__).resolve().parents[1]
KINDS = {"test": "tests", "bench": "benches", "example": "examples"}


def target_files(manifest):
    """The paths, relative to the crate, of the root manifest's explicit targets."""
    for kind, folder in KINDS.items():
        for target in manifest.get(kind, []):
            yield target.get("path", f"{folder}/{target['name']}.rs")


def main(sdist):
    manifest = tomllib.loads((REPO / "Cargo.toml").read_text())
    with tarfile.open(sdist, "r:gz") as tar:
        members = [(m, tar.extractfile(m).read() if m.isfile() else None) for m in tar]
    root = members[0][0].name.split("/")[0]
    names = {m.name for m, _ in members}
    added = []
    for path in target_files(manifest):
        name = f"{root}/{path}"
        if name not in names:
            data = (REPO / path).read_bytes()
            info = tarfile.TarInfo(name)
            info.size, info.mode, info.mtime = len(data), 0o644, members[0][0].mtime
            members.append((info, data))
            added.append(path)
    with tarfile.open(sdist, "w:gz", format=tarfile.PAX_FORMAT) as tar:
        for member, data in members:
            tar.addfile(member, io.BytesIO(data) if data is not None else None)
    print(f"{sdist}: added {len(added)} target sources the root manifest names: {', '.join(added)}")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("error: usage: sdist-complete.py SDIST")
    main(sys.argv[1])
