"""Artifact directories: a manifest of per-file SHA-256 digests written last, verified on load,
and one checksum over the whole directory for the registry to store."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Collection
from pathlib import Path
from typing import Any

MANIFEST = "MANIFEST.json"


class ArtifactError(Exception):
    """A model artifact is missing, incomplete, corrupt or of an unknown format."""


def _file_digest(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def artifact_checksum(path: Path | str) -> str:
    """SHA-256 over every file of the directory: relative names and contents, in sorted order
    (a renamed, added, removed or altered file changes it)."""
    root = Path(path)
    if not root.is_dir():
        raise ArtifactError(f"no artifact at {root}")
    files = sorted(p for p in root.rglob("*") if p.is_file())
    if not files:
        raise ArtifactError(f"artifact {root} is empty")
    digest = hashlib.sha256()
    for file in files:
        digest.update(str(file.relative_to(root)).encode())
        with file.open("rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                digest.update(chunk)
    return digest.hexdigest()


def write_manifest(root: Path) -> None:
    files = sorted(p for p in root.rglob("*") if p.is_file() and p.name != MANIFEST)
    manifest = {str(p.relative_to(root)): _file_digest(p) for p in files}
    (root / MANIFEST).write_text(json.dumps({"files": manifest}, indent=1, sort_keys=True))


def verify_manifest(root: Path) -> None:
    if not root.is_dir():
        raise ArtifactError(f"no artifact at {root}")
    manifest_path = root / MANIFEST
    if not manifest_path.is_file():
        raise ArtifactError(f"artifact {root} has no {MANIFEST} (incomplete save?)")
    try:
        files = json.loads(manifest_path.read_text())["files"]
    except (ValueError, KeyError, TypeError) as exc:
        raise ArtifactError(f"artifact {root}: unreadable manifest ({exc})") from exc
    for name, expected in files.items():
        file = root / name
        if not file.is_file():
            raise ArtifactError(f"artifact {root}: missing file {name}")
        if _file_digest(file) != expected:
            raise ArtifactError(f"artifact {root}: {name} does not match its checksum")


def read_meta(root: Path, *, readable: Collection[int]) -> dict[str, Any]:
    """The artifact's meta.json, refused unless its format is one the caller reads. Raises
    OSError or ValueError for an unreadable file: callers wrap those with their own context."""
    meta: dict[str, Any] = json.loads((root / "meta.json").read_text())
    if meta.get("format_version") not in readable:
        raise ArtifactError(f"artifact {root}: unknown format {meta.get('format_version')}")
    return meta
