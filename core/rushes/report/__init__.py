"""Results to look at: a self-contained HTML page per run, a contact sheet and an index per output folder,
built from a result's annotations and its source media alone, so every kind gets one with no code.

Beside a run's other outputs (`<stem>.json`, ...), the report is:

    <stem>.html          the page (no script, no network: a Content-Security-Policy says so)
    <stem>_pictures/     its thumbnails, crops and previews (JPEG), decoded once per source
    <stem>_sheet.jpg     a contact sheet, for results with markers or tracks

Every file goes through the run's output folder (rushes.outputs): recorded in its manifest,
written whole or not at all, never over a file rushes did not write; the page and its pictures
belong to the run's result set, land with it and are versioned with it. `rebuild` (`rushes report
OUT_DIR`) makes the pages again from results already written, joining each result's own set, and
writes OUT_DIR/index.html: every result in OUT_DIR and below, with a link to its page.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

from ..annotations import AnnotationSet, block_from_json
from ..errors import MediaError, OutputError
from ..outputs import META, FileEntry, Manifest, OutputFolder, sha256_file
from .layout import Layout, lay_out, open_media
from .page import Page, index_html
from .pictures import SHEET_CELL, contact_sheet, decode, write_jpeg

INDEX = "index.html"
INDEX_OPERATOR = "report.index"
# The index is its own one-file result set, replaced in place each time (its resume key): were it
# part of a result's set, making it again would move that whole set into versions/.
INDEX_KEY = "rushes-report-index"
SKIPPED = {META, "versions"}  # folders that hold no results of their own


def page_names(stem: str) -> list[str]:
    """The page's own files a run plans (checked before any work) besides its pictures folder."""
    return [f"{stem}.html", f"{stem}_sheet.jpg"]


def pictures_folder(stem: str) -> str:
    return f"{stem}_pictures"


class Report:
    """One result's page, laid out from its JSON document (`result_json`: envelope, fields, annotations).

    `frames_per_stretch`: pictures of each stretch between markers (a shot): 1, its first frame
    (a run's default: a shot's first frame is often a key frame, so its page costs a few per cent
    of the run), or 3, its first, middle and last, as PySceneDetect shows them (near a whole decode).
    """

    def __init__(self, doc: dict[str, Any], folder: str | Path, stem: str, frames_per_stretch: int = 1,
                 sets: list[AnnotationSet] | None = None):
        self.folder = Path(folder)
        self.stem = stem
        if sets is None:
            sets = block_from_json(doc.get("annotations") or {})
        self.layout: Layout = lay_out(doc, sets, self.folder, stem, frames_per_stretch)
        self.problems: list[str] = []

    @property
    def names(self) -> list[str]:
        """The files a run lists among its outputs: the page, and its contact sheet when it has one."""
        return [f"{self.stem}.html"] + ([f"{self.stem}_sheet.jpg"] if self.layout.sheet_cells() else [])

    def write(self, output: OutputFolder, outputs: list[dict[str, Any]] | None = None, keep: bool = False) -> list[str]:
        """Decode, write the pictures, the contact sheet and the page through `output`, staged to land
        with the run's result files (a Media annotation's files are read where they wait). `outputs`
        replaces the document's list of outputs on the page; with `keep`, pictures already there,
        intact, are kept rather than made again (a rebuild)."""
        if outputs is not None:
            self.layout.doc = {**self.layout.doc, "outputs": outputs}
        open_media(self.layout, self.folder, getattr(output, "pending", None))
        folder = pictures_folder(self.stem)
        kept = _intact_files(output.path, [f"{folder}/{p.name}" for p in self.layout.pictures]) if keep else set()
        written = {p.name for p in self.layout.pictures if f"{folder}/{p.name}" in kept}
        cells = self.layout.sheet_cells()
        for_sheet = {p.name for p, _, _ in cells}
        small: dict[str, Any] = {}
        for key, reel in self.layout.reels.items():
            todo = [p for p in self.layout.pictures if p.reel == key and p.name not in written]
            try:
                for picture, rgb8 in decode(reel, todo):
                    write_jpeg(output, f"{folder}/{picture.name}", rgb8)
                    written.add(picture.name)
                    if picture.name in for_sheet:
                        small[picture.name] = _shrink(rgb8)
            except MediaError as exc:  # the pictures so far stay; the page says where the rest went
                self.problems.append(f"pictures stopped: {exc.line()}")
        sheet = f"{self.stem}_sheet.jpg"
        if keep and not small and cells and _intact_files(output.path, [sheet]):
            cells = []  # nothing on it was made again: the sheet there is the same
        for picture, _, _ in cells:
            if picture.name not in small and picture.name in written:
                small[picture.name] = _shrink(_read_jpeg(output.path / folder / picture.name))
        names = [f"{self.stem}.html"] + ([sheet] if self.layout.sheet_cells() else [])
        if cells:
            import numpy as np

            blank = np.full((90, 160, 3), 24, np.uint8)
            write_jpeg(output, sheet, contact_sheet([(small.get(p.name, blank), name, where) for p, name, where in cells]))
        page = Page(self.layout, folder, written, self.problems)
        output.write_text(f"{self.stem}.html", page.html())
        return names


def _shrink(rgb8: Any) -> Any:
    """A picture no wider than a contact sheet's cell (the sheet holds these until it is drawn)."""
    from ..media.color import scale_rgb8

    h, w = rgb8.shape[:2]
    return rgb8 if w <= SHEET_CELL else scale_rgb8(rgb8, (SHEET_CELL, max(1, round(h * SHEET_CELL / w))))


def _read_jpeg(path: Path) -> Any:
    import OpenImageIO as oiio

    found = oiio.ImageInput.open(str(path))
    if found is None:
        raise OutputError(f"cannot read ({oiio.geterror().strip()})", path)
    try:
        return found.read_image(0, 0, 0, 3, "uint8")
    finally:
        found.close()


def _intact(path: Path, entry: FileEntry) -> bool:
    """Whether a file still holds the bytes the manifest says rushes wrote (size and time, else hash)."""
    try:
        st = path.stat()
    except OSError:
        return False
    if any(st.st_size == size and st.st_mtime_ns == mtime for size, _, mtime in entry.candidates()):
        return True
    return any(st.st_size == size for size, _, _ in entry.candidates()) and \
        sha256_file(path) in {sha for _, sha, _ in entry.candidates()}


def _intact_files(folder: Path, names: list[str]) -> set[str]:
    manifest = Manifest.read(folder)
    return {n for n in names if n in manifest.files and _intact(folder / n, manifest.files[n])}


def check_folder(folder: str | Path, stem: str) -> None:
    """Refuse, before any work, a pictures folder that rushes did not make, or one holding a file it
    did not write or that was changed since: one line naming it. (The page and its sheet are planned
    with the run's other names, `page_names`.)"""
    folder = Path(folder)
    pictures = folder / pictures_folder(stem)
    if not os.path.lexists(pictures):
        return
    if pictures.is_symlink() or not pictures.is_dir():
        raise OutputError("exists and was not made by rushes; refusing to write pictures there "
                          "(move it away or choose another --out)", pictures)
    manifest = Manifest.read(folder)
    for path in sorted(pictures.rglob("*")):
        if path.is_dir() and not path.is_symlink():
            continue
        entry = manifest.files.get(path.relative_to(folder).as_posix())
        if entry is None or path.is_symlink() or not path.is_file():
            raise OutputError("exists and was not written by rushes; refusing to write pictures beside it "
                              "(move it away or choose another --out)", path)
        if not _intact(path, entry):
            raise OutputError("was changed since rushes wrote it; refusing to replace it "
                              "(move it away or choose another --out)", path)


def _index_folder(folder: Path) -> OutputFolder:
    return OutputFolder(folder, INDEX_OPERATOR, {}, "", (), INDEX_KEY)


@dataclass
class ResultFile:
    """A result JSON a run wrote into an output folder."""

    folder: Path
    name: str
    doc: dict[str, Any]
    sets: list[AnnotationSet]
    run: str  # the id of the run that wrote it

    @property
    def stem(self) -> str:
        return self.name[: -len(".json")]


def find_results(root: str | Path, recursive: bool = False, strict: bool = True) -> Iterator[ResultFile]:
    """The result JSONs runs wrote in `root` (and, `recursive`, in the output folders below it).

    A result is a JSON file a run recorded in the folder's manifest, holding an "operator" and an
    "annotations" block. With `strict`, one that no longer reads (damaged, cut short, a broken
    annotations block) is refused with one line naming it; without, it is passed over.
    """
    from ..interchange.reading import load_json

    root = Path(root)
    folders = [root]
    if recursive:
        folders = []
        for here, subdirs, _ in os.walk(root):
            subdirs[:] = sorted(d for d in subdirs if d not in SKIPPED and not d.endswith("_pictures")
                                and not os.path.islink(os.path.join(here, d)))
            folders.append(Path(here))
    for folder in folders:
        if not (folder / META).is_dir():
            continue
        manifest = Manifest.read(folder)
        for name, entry in sorted(manifest.files.items()):
            operator = manifest.runs.get(entry.run, {}).get("operator")
            if "/" in name or not name.endswith(".json") or not operator or operator == INDEX_OPERATOR:
                continue
            path = folder / name
            if not path.is_file():
                continue
            try:
                doc = load_json(path.read_bytes(), path, error=OutputError)
                if not isinstance(doc, dict) or "operator" not in doc or "annotations" not in doc:
                    continue  # a JSON output that is no result (a writer's own format)
                try:
                    sets = block_from_json(doc["annotations"])
                except (KeyError, TypeError, ValueError, AttributeError) as exc:
                    raise OutputError(f"damaged annotations block ({type(exc).__name__}: {exc})", path) from None
            except OSError as exc:
                if strict:
                    raise OutputError(f"cannot read ({exc.strerror or exc})", path) from None
                continue
            except OutputError:
                if strict:
                    raise
                continue
            yield ResultFile(folder, name, doc, sets, entry.run)


def write_index(folder: str | Path, recursive: bool = False, results: list[ResultFile] | None = None) -> Path:
    """index.html in `folder`: every result in it (and below it, `recursive`), newest first, linking its page."""
    import time

    folder = Path(folder)
    if results is None:
        results = list(find_results(folder, recursive, strict=False))
    runs = []
    for r in results:
        page = r.folder / f"{r.stem}.html"
        try:
            when = os.stat(r.folder / r.name).st_mtime
        except OSError:
            when = 0.0
        counts: dict[str, int] = {}
        for s in r.sets:
            for item in s.items:
                counts[type(item).__name__] = counts.get(type(item).__name__, 0) + 1
        source = r.doc.get("source") if isinstance(r.doc.get("source"), str) else \
            (r.sets[0].source.path if r.sets else "")
        runs.append({"operator": str(r.doc.get("operator")), "kind": str(r.doc.get("kind", "")),
                     "source": source, "when_s": when,
                     "when": time.strftime("%Y-%m-%d %H:%M", time.localtime(when)) if when else "",
                     "page": page.relative_to(folder).as_posix() if page.is_file() else None,
                     "said": ", ".join(f"{n} {k.lower()}{'s' if n != 1 and k != 'Media' else ''}"
                                       for k, n in counts.items()) or "no annotations"})
    runs.sort(key=lambda r: -r["when_s"])
    output = _index_folder(folder)
    output.plan([INDEX])
    try:
        output.write_text(INDEX, index_html(str(folder), runs))
    except BaseException:
        output.finish("failed")
        raise
    output.finish("done")
    return folder / INDEX


def _joining(result: ResultFile) -> OutputFolder:
    """The output folder as the run that wrote `result` had it, so a rebuilt page joins that run's
    result set: it replaces the set's own earlier page in place and is versioned with the set later
    (a new run of its own would move the whole set into versions/ instead)."""
    run = Manifest.read(result.folder).runs.get(result.run, {})
    output = OutputFolder(result.folder, str(run.get("operator") or ""), run.get("params") or {},
                          str(run.get("input") or ""), (), run.get("key"))
    output.run_id = result.run
    return output


def rebuild(out_dir: str | Path, frames_per_stretch: int = 1) -> list[Path]:
    """`rushes report OUT_DIR`: the pages of every result in OUT_DIR and below, and their indexes.

    Everything is read and checked before anything is written: a folder with no results, a result
    that no longer reads, or a page name on a file rushes did not write is one line (OutputError).
    Pictures already there, intact, are kept.
    """
    root = Path(out_dir)
    if not root.exists():
        raise OutputError("no such folder", root)
    if not root.is_dir():
        raise OutputError("is not a folder (give the output folder of a run)", root)
    results = list(find_results(root, recursive=True, strict=True))
    if not results:
        raise OutputError("no rushes results here (no result JSON a run wrote; run an operator with --out "
                          "this folder first)", root)
    reports = []
    for r in results:
        output = _joining(r)
        output.plan(page_names(r.stem))
        check_folder(r.folder, r.stem)
        reports.append((r, output, Report(r.doc, r.folder, r.stem, frames_per_stretch, r.sets)))
    _index_folder(root).plan([INDEX])
    pages = []
    for r, output, report in reports:
        try:
            report.write(output, keep=True)
            output.write_set({})
        except BaseException:
            output.finish("failed")
            raise
        output.finish("done")
        pages.append(r.folder / f"{r.stem}.html")
    write_index(root, results=results)
    return pages
