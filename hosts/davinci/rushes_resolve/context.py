"""What an action needs from Resolve before it starts (standard library only): the edition, the open
project and timeline, the clips on its tracks with their source in/out and record frames, media pool
folders, and the rushes worker; every missing thing is one ResolveActionError with a clear message."""
from __future__ import annotations

import os
import re
from fractions import Fraction

from . import frames
from .rushes_hostkit import client as rushes_client
from .rushes_hostkit import folders as kitfolders
from .rushes_hostkit import jobs as kitjobs

MIN_VERSION = (18, 5)  # Timeline.AddTrack, DeleteTrack, DeleteClips and GetIsTrackEnabled arrived in 18.5
# The calls rushes makes that are newer than MIN_VERSION: the first release whose scripting README lists
# each (tests/data/resolve_api/api_versions.json; test_surface checks these against it), and what it is for.
# "(name)" is a parameter that release added, "(FORMAT)" a file format it added.
API_NEEDS = {
    "MediaPool.GetSelectedClips": ((19, 0, 2), "reading which media pool clips are selected"),
    "MediaPoolItem.GetMarkInOut": ((19, 1, 0), "reading a media pool clip's marked in and out"),
    "MediaPoolItem.SetName": ((20, 2, 0), "renaming a media pool clip with SetName"),
    "TimelineItem.GetStart(subframe_precision)": ((19, 0, 2), "GetStart(subframe_precision)"),
    "TimelineItem.GetDuration(subframe_precision)": ((19, 0, 2), "GetDuration(subframe_precision)"),
    "TimelineItem.GetLeftOffset(subframe_precision)": ((19, 0, 2), "GetLeftOffset(subframe_precision)"),
    "MediaPool.ImportTimelineFromFile(OTIO)": ((18, 6, 5), "importing an OTIO timeline by script"),
}
CLIP_COLORS = ("Orange", "Apricot", "Yellow", "Lime", "Olive", "Green", "Teal", "Navy", "Blue", "Purple",
               "Violet", "Pink", "Tan", "Beige", "Brown", "Chocolate")
MARKER_COLORS = ("Blue", "Cyan", "Green", "Yellow", "Red", "Pink", "Purple", "Fuchsia", "Rose", "Lavender",
                 "Sky", "Mint", "Lemon", "Sand", "Cocoa", "Cream")


class ResolveActionError(Exception):
    """Something the user can fix (no project, no timeline, no clip, no worker, a failed job): one line."""


class Edition(object):
    """Which Resolve this is. Studio-only calls (CreateSubtitlesFromAudio, TranscribeAudio, ...) return
    False on the free edition and raise a modal that makes later calls fail, so check before any."""

    def __init__(self, product: str, version: tuple):
        self.product = product
        self.version = tuple(version) + (0,) * (3 - len(version))
        self.studio = "studio" in product.lower()

    @property
    def script_ui(self) -> bool:
        """Free Resolve 19.1+ gives third-party scripts no UI (UIManager)."""
        return self.studio or self.version < (19, 1)

    def has(self, call: str) -> bool:
        """Whether this Resolve has `call`, a key of API_NEEDS (everything else is there from MIN_VERSION)."""
        return self.version >= API_NEEDS[call][0]

    def needs(self, call: str) -> str:
        """What `call` needs, as a message: "reading ... needs DaVinci Resolve 19.0.2 or later; this is ..."."""
        version, what = API_NEEDS[call]
        return "%s needs DaVinci Resolve %s or later; this is %s" % (what, ".".join(str(v) for v in version), self)

    def whole_frames(self, item, method: str) -> int:
        """A timeline item's GetStart/GetDuration/GetLeftOffset in whole frames: subframe_precision=False
        where this Resolve takes it (19.0.2+); before, these take no argument."""
        call = getattr(item, method)
        return int(call(False) if self.has("TimelineItem.%s(subframe_precision)" % method) else call())

    def require_studio(self, what: str) -> None:
        if not self.studio:
            raise ResolveActionError("%s needs DaVinci Resolve Studio; this is %s %s"
                                     % (what, self.product, ".".join(str(v) for v in self.version)))

    def __str__(self) -> str:
        return "%s %s" % (self.product, ".".join(str(v) for v in self.version))


def edition(resolve) -> Edition:
    """The edition and version, checked first by every action (and refused below MIN_VERSION)."""
    if resolve is None:
        raise ResolveActionError("not connected to DaVinci Resolve: run this from Workspace > Scripts")
    product = resolve.GetProductName() or ""
    raw = resolve.GetVersion() or []
    version = tuple(int(v) for v in raw[:3] if isinstance(v, int) or str(v).isdigit())
    if not product or not version:
        raise ResolveActionError("DaVinci Resolve did not say which version it is (is a modal dialog open?)")
    found = Edition(product, version)
    if version[:2] < MIN_VERSION:
        raise ResolveActionError("rushes needs DaVinci Resolve %d.%d or later; this is %s" % (MIN_VERSION + (found,)))
    return found


def current(resolve):
    """(project, media pool, current timeline), or a clear message for the first one missing."""
    manager = resolve.GetProjectManager()
    project = manager.GetCurrentProject() if manager else None
    if not project:
        raise ResolveActionError("no project is open in DaVinci Resolve")
    pool = project.GetMediaPool()
    timeline = project.GetCurrentTimeline()
    if not timeline:
        raise ResolveActionError("project %r has no current timeline: open one on the Edit page" % project.GetName())
    return project, pool, timeline


class TimelineClock(object):
    """A timeline's rate, drop-frame flag and start: frames relative to the start are what markers use."""

    def __init__(self, project, timeline):
        text = timeline.GetSetting("timelineFrameRate") or project.GetSetting("timelineFrameRate")
        if not text:
            raise ResolveActionError("timeline %r has no frame rate setting" % timeline.GetName())
        self.rate, drop = frames.parse_rate(text)
        self.start_timecode = timeline.GetStartTimecode() or "00:00:00:00"
        flag = timeline.GetSetting("timelineDropFrameTimecode") or project.GetSetting("timelineDropFrameTimecode")
        self.drop = drop or str(flag) == "1" or frames.is_drop_frame(self.start_timecode)
        self.start_frame = int(timeline.GetStartFrame())
        self.name = timeline.GetName()

    def timecode(self, offset: int) -> str:
        """Timecode of the frame `offset` frames after the timeline start."""
        return frames.frame_to_timecode(self.start_frame + offset, self.rate, self.drop)


class ClipUse(object):
    """One clip on a timeline track: the media, the part of it the clip plays, where it sits.

    `source_in`/`source_out` are source frames in the numbering a rushes job gets with
    `start_timecode` set to the media's own (the clip's "Start TC"), half-open; `record_in` and
    `record_out` are timeline frames relative to the timeline start, half-open. GetLeftOffset is the
    in-point in source frames for video (exact at 100 % speed) and in timeline frames for audio.
    """

    def __init__(self, item, track_type: str, track: int, clock: TimelineClock, api: Edition):
        self.item = item
        self.track_type = track_type
        self.track = track
        self.media = item.GetMediaPoolItem()
        self.path = _prop(self.media, "File Path") if self.media else ""
        self.name = item.GetName() or os.path.basename(self.path)
        self.record_in = api.whole_frames(item, "GetStart") - clock.start_frame
        self.duration = api.whole_frames(item, "GetDuration")
        self.record_out = self.record_in + self.duration
        self.left = api.whole_frames(item, "GetLeftOffset")
        self.timeline_rate = clock.rate
        fps = _prop(self.media, "FPS") if self.media else ""
        try:
            self.rate = frames.parse_rate(fps)[0] if track_type == "video" else clock.rate
        except (ValueError, ZeroDivisionError):
            self.rate = clock.rate
        start_tc = (_prop(self.media, "Start TC") if self.media else "") or "00:00:00:00"
        if not re.match(r"^\d{1,2}:\d{2}:\d{2}[:;.,]\d{2,3}$", start_tc):
            start_tc = "00:00:00:00"
        self.start_timecode = start_tc
        self.first = frames.timecode_to_frame(start_tc, self.rate) if track_type == "video" else 0
        self.input = self.path
        seq = _SEQUENCE.search(self.path)
        if seq and track_type == "video":  # Resolve shows a sequence as name.[1001-1100].exr: frames keep their numbers
            self.input = self.path[:seq.start()] + "%%0%dd" % len(seq.group(1)) + self.path[seq.end():]
            self.first, self.start_timecode = int(seq.group(1)), None
        count = self.duration if self.rate == clock.rate else int(round(Fraction(self.duration) * self.rate / clock.rate))
        self.source_in = self.first + self.left
        self.source_out = self.source_in + count
        self.media_frames = frame_count(self.media) if self.media else None

    def to_record(self, source_frame: int) -> int:
        """Timeline frame (relative to the timeline start) that shows `source_frame`."""
        offset = source_frame - self.source_in
        if self.rate != self.timeline_rate:
            offset = int(round(Fraction(offset) * self.timeline_rate / self.rate))
        return self.record_in + offset

    def describe(self) -> dict:
        return {"name": self.name, "path": self.path, "track": "%s %d" % (self.track_type, self.track),
                "record": [self.record_in, self.record_out], "source": [self.source_in, self.source_out],
                "rate": frames.rate_text(self.rate), "start_timecode": self.start_timecode}


_SEQUENCE = re.compile(r"\[(\d+)-(\d+)\]")


def _prop(media, name: str) -> str:
    value = media.GetClipProperty(name)
    return "" if value is None or isinstance(value, dict) else str(value)


def frame_count(media):
    """How many frames a media pool clip has (its Frames property), or None where it does not say."""
    total = _prop(media, "Frames")
    return int(total) if total.isdigit() else None


def clips_on(timeline, track_type: str, clock: TimelineClock, api: Edition, enabled_only: bool = True) -> list:
    """Every clip with file media on the timeline's tracks of a type, track by track, in record order."""
    found = []
    for track in range(1, int(timeline.GetTrackCount(track_type) or 0) + 1):
        if enabled_only and timeline.GetIsTrackEnabled(track_type, track) is False:
            continue
        for item in timeline.GetItemListInTrack(track_type, track) or []:
            use = ClipUse(item, track_type, track, clock, api)
            if use.path and use.duration > 0:
                found.append(use)
    return found


def folders(pool) -> list:
    """Every media pool folder, the root first."""
    root = pool.GetRootFolder()
    out, todo = [], [root] if root else []
    while todo:
        folder = todo.pop(0)
        out.append(folder)
        todo.extend(folder.GetSubFolderList() or [])
    return out


def folder_of(pool, media):
    """The media pool folder that holds `media` (the root when it cannot be found)."""
    wanted = media.GetUniqueId()
    for folder in folders(pool):
        for clip in folder.GetClipList() or []:
            if clip.GetUniqueId() == wanted:
                return folder
    return pool.GetRootFolder()


def bin_named(pool, name: str):
    """The root folder's subfolder `name`, made when missing: where rushes puts what it imports."""
    root = pool.GetRootFolder()
    for folder in root.GetSubFolderList() or []:
        if folder.GetName() == name:
            return folder
    made = pool.AddSubFolder(root, name)
    if not made:
        raise ResolveActionError("cannot make the media pool bin %r" % name)
    return made


def import_into(pool, folder, paths: list) -> list:
    """ImportMedia into `folder` (Resolve imports into the current folder), then go back to where the
    user was. `paths` are file paths or ImportMedia clip infos (image sequences)."""
    before = pool.GetCurrentFolder()
    pool.SetCurrentFolder(folder)
    try:
        items = pool.ImportMedia(paths) or []
    finally:
        if before:
            pool.SetCurrentFolder(before)
    return list(items.values()) if isinstance(items, dict) else list(items)


def write_text(path: str, text: str) -> str:
    """Write a text file (UTF-8, \\n line ends) whole or not at all: a temporary file beside it, renamed over it."""
    tmp = "%s.%d.tmp" % (path, os.getpid())
    try:
        with open(tmp, "w", encoding="utf-8", newline="\n") as f:
            f.write(text)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise
    return path


def timeline_names(project) -> set:
    return {project.GetTimelineByIndex(i).GetName() for i in range(1, int(project.GetTimelineCount() or 0) + 1)}


def unique_name(taken: set, wanted: str) -> str:
    name, n = wanted, 1
    while name in taken:
        n += 1
        name = "%s %d" % (wanted, n)
    return name


def safe_name(text: str) -> str:
    """A file name part from a project, timeline or clip name (the kit's rule)."""
    return kitfolders.safe_part(text)


def output_folder(out, project, timeline, action: str, settings: dict) -> str:
    """Where an action's results go: `out`, else OUTPUT_ROOT/<project>/<timeline>/<action>."""
    if out:
        return os.path.abspath(os.path.expanduser(str(out)))
    root = settings.get("output_root") or os.path.join(os.path.expanduser("~"), "rushes", "resolve")
    return kitfolders.output_folder(os.path.abspath(os.path.expanduser(root)), project.GetName() or "project",
                                    timeline.GetName() or "timeline", action)


def _worker_error(exc: Exception) -> bool:
    """A job client's WorkerError: this package's copy, or the one of a client the caller passed in."""
    return isinstance(exc, rushes_client.WorkerError) or type(exc).__name__ == "WorkerError"


class Worker(object):
    """The rushes worker an action sends its jobs to: a client given by the caller, or the worker
    running for the state folder, else one started from the rushes executable (stopped again after)."""

    def __init__(self, client=None, state_dir=None, executable=None, start=True):
        self.process = None
        if client is not None:
            self.client = client
            return
        try:
            self.client, self.process = rushes_client.connect(state_dir, executable, start=start)
        except rushes_client.WorkerError as exc:
            raise ResolveActionError("the rushes worker is not running: %s" % exc)

    def close(self) -> None:
        if self.process is not None:
            self.process.stop()
            self.process = None

    def operators(self) -> list:
        """The operators the worker offers (/v1/ops: name, summary, inputs, parameters, ...)."""
        try:
            found = self.client.operators()
        except Exception as exc:
            if not _worker_error(exc):
                raise
            raise ResolveActionError("the rushes worker did not say which operators it has: %s" % exc)
        return [op for op in found or [] if isinstance(op, dict) and op.get("name")]

    def run(self, spec: dict, what: str, log=None, poll: float = 10.0) -> dict:
        """Submit a job, follow its progress events, and return its result JSON (or a clear message)."""
        try:
            job = self.client.submit(spec)
        except Exception as exc:
            if not _worker_error(exc):
                raise
            raise ResolveActionError("the rushes worker refused %s: %s" % (what, exc))
        shown = [-1]

        def progress(event: dict) -> None:
            percent = int(round(100 * (event.get("fraction") or 0)))
            if log and percent >= shown[0] + 25 and kitjobs.running(event):
                shown[0] = percent
                log("%s: %d%% %s" % (what, percent, event.get("message") or ""))

        try:
            status = kitjobs.follow(self.client, job, progress=progress, wait=poll)
        except Exception as exc:
            if not _worker_error(exc):
                raise
            raise ResolveActionError("lost the rushes worker while running %s: %s" % (what, exc))
        if status.get("state") != "done":
            raise ResolveActionError("%s %s: %s" % (what, status.get("state"), kitjobs.reason(status)))
        return status["result"]
