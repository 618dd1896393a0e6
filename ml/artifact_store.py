"""Where model artifacts live, so that any web or worker process can serve a model that another
host trained.

Two layouts, chosen by settings:

- Local (the default, and what `make run` uses): no "ml_artifacts" entry in STORAGES. The
  artifact is the directory the trainer wrote, ML_ARTIFACT_DIR/org-N/vX, and
  `artifact_path` records that absolute path; readers open it in place.
- Object storage: STORAGES["ml_artifacts"] is configured (django-storages' S3Storage in
  production, config/settings/base.py). After a save every file is uploaded under
  "org-N/vX/<file>" (the storage's own location adds its prefix, "models/"), MANIFEST.json
  last, and `artifact_path` records "storage://ml_artifacts/org-N/vX". Each process fetches
  it on first use into ML_ARTIFACT_DIR/org-N/vX, its private cache (the trainer's own copy
  already sits there), verifies the registry's checksum and renames it into place.

Either way `artifact_resolve()` hands out a directory only when its checksum equals the one
the registry stored at training time; anything else is an ArtifactError, which serving turns
into "unavailable" (logged once) and evaluation into "can't be evaluated".
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import threading
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.files.base import File
from django.core.files.storage import Storage, storages
from django.core.files.storage.handler import InvalidStorageError

from .engine.artifact import MANIFEST, ArtifactError, artifact_checksum

if TYPE_CHECKING:
    from .models import ModelVersion, RetrieverVersion

STORAGE_ALIAS = "ml_artifacts"
SCHEME = "storage://"

# One download per artifact at a time in this process; other processes are handled by the
# atomic rename (the loser finds the winner's complete copy and uses it).
_fetch_locks: dict[str, threading.Lock] = {}
_fetch_locks_guard = threading.Lock()


def object_storage_enabled() -> bool:
    return STORAGE_ALIAS in settings.STORAGES


def artifact_dir(organization_id: int, name: str) -> Path:
    """Where the trainer writes an artifact and where every process keeps its local copy."""
    return Path(settings.ML_ARTIFACT_DIR) / f"org-{organization_id}" / name


def artifact_publish(path: Path) -> str:
    """Makes the saved artifact at `path` (inside ML_ARTIFACT_DIR) available to every process;
    returns what the registry records as its `artifact_path`. Without object storage that is
    the local path itself. Raises when an upload fails: a model no other host could load must
    not be promoted."""
    if not object_storage_enabled():
        return str(path)
    key = path.relative_to(settings.ML_ARTIFACT_DIR).as_posix()
    storage = storages[STORAGE_ALIAS]
    files = sorted(p for p in path.rglob("*") if p.is_file() and p.name != MANIFEST)
    # The manifest last: until it is there a reader finds no artifact rather than half of one.
    for file in [*files, path / MANIFEST]:
        _upload(storage, f"{key}/{file.relative_to(path).as_posix()}", file)
    return f"{SCHEME}{STORAGE_ALIAS}/{key}"


def _upload(storage: Storage, name: str, file: Path) -> None:
    # FileSystemStorage renames instead of overwriting; a retrained version number must
    # replace the stale object, not land beside it under another name.
    if storage.exists(name):
        storage.delete(name)
    with file.open("rb") as fh:
        stored = storage.save(name, File(fh))
    if stored != name:
        raise ArtifactError(f"storage stored {name} as {stored}")


def _stored(artifact_path: str) -> tuple[str, str] | None:
    """(storage alias, key) of a stored artifact; None for a local path."""
    if not artifact_path.startswith(SCHEME):
        return None
    alias, _, key = artifact_path[len(SCHEME) :].partition("/")
    return alias, key


def _storage(alias: str) -> Storage:
    try:
        return storages[alias]
    except InvalidStorageError as exc:
        raise ArtifactError(f"storage {alias!r} is not configured on this host") from exc


def _matches(path: Path, expected: str) -> bool:
    try:
        return path.is_dir() and artifact_checksum(path) == expected
    except (ArtifactError, OSError):
        return False


def artifact_resolve(version: ModelVersion | RetrieverVersion) -> Path:
    """The local directory of `version`'s artifact, its checksum verified: in place for a local
    artifact, otherwise this process's cached copy, fetched from storage when missing or not
    the registry's. ArtifactError when no copy matches the checksum."""
    expected = version.artifact_checksum
    if not version.artifact_path or not expected:
        raise ArtifactError(f"v{version.version} has no recorded artifact")
    stored = _stored(version.artifact_path)
    if stored is None:
        path = Path(version.artifact_path)
        if artifact_checksum(path) != expected:
            raise ArtifactError(f"checksum mismatch for {path}")
        return path
    alias, key = stored
    target = Path(settings.ML_ARTIFACT_DIR) / key
    if _matches(target, expected):
        return target
    with _fetch_locks_guard:
        lock = _fetch_locks.setdefault(key, threading.Lock())
    with lock:
        if _matches(target, expected):  # another thread fetched it while this one waited
            return target
        return _fetch(_storage(alias), key, target, expected)


def _fetch(storage: Storage, key: str, target: Path, expected: str) -> Path:
    target.parent.mkdir(parents=True, exist_ok=True)
    # Inside the cache's own directory: the final rename stays on one file system (atomic).
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}-fetch-", dir=target.parent))
    try:
        _download(storage, f"{key}/{MANIFEST}", tmp / MANIFEST)
        try:
            names = list(json.loads((tmp / MANIFEST).read_bytes())["files"])
        except (ValueError, KeyError, TypeError) as exc:
            raise ArtifactError(f"{key}: unreadable manifest ({exc})") from exc
        for name in names:
            relative = PurePosixPath(name)
            if relative.is_absolute() or ".." in relative.parts:
                raise ArtifactError(f"{key}: manifest names a file outside the artifact")
            _download(storage, f"{key}/{name}", tmp / relative)
        if artifact_checksum(tmp) != expected:
            raise ArtifactError(f"{key}: the stored artifact does not match its checksum")
        return _install(tmp, target, expected)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _download(storage: Storage, name: str, dest: Path) -> None:
    dest.parent.mkdir(parents=True, exist_ok=True)
    try:
        with storage.open(name, "rb") as src, dest.open("wb") as out:
            shutil.copyfileobj(src, out, 1 << 20)
    except Exception as exc:
        # A missing object, a refused credential, an unreachable endpoint: all mean this
        # process can't have the artifact. The class name only: a URL may carry a key.
        raise ArtifactError(f"can't fetch {name} ({type(exc).__name__})") from exc


def _install(tmp: Path, target: Path, expected: str) -> Path:
    """Renames the verified copy into place. Another process may have installed its own copy
    first (then that one is used) or a stale copy may sit there (then it is moved aside)."""
    for _ in range(3):
        try:
            os.rename(tmp, target)
            return target
        except OSError:
            if _matches(target, expected):
                return target
            aside = Path(tempfile.mkdtemp(prefix=f".{target.name}-stale-", dir=target.parent))
            try:
                os.rename(target, aside / target.name)
            except OSError:
                pass  # another process moved it first
            shutil.rmtree(aside, ignore_errors=True)
    raise ArtifactError(f"can't install the fetched artifact at {target}")


def artifact_local_copy(version: ModelVersion | RetrieverVersion) -> Path | None:
    """The directory this process would load `version` from, unverified: the path of a local
    artifact, the cached copy of a stored one; None for a stored one not fetched here yet."""
    stored = _stored(version.artifact_path)
    if stored is None:
        return Path(version.artifact_path) if version.artifact_path else None
    target = Path(settings.ML_ARTIFACT_DIR) / stored[1]
    return target if target.is_dir() else None


def artifact_stored(version: ModelVersion | RetrieverVersion) -> bool:
    """Whether a stored artifact's manifest (uploaded last, so the artifact is complete) exists
    in its storage. Never raises."""
    stored = _stored(version.artifact_path)
    if stored is None:
        return False
    try:
        return bool(_storage(stored[0]).exists(f"{stored[1]}/{MANIFEST}"))
    except Exception:
        return False
