"""An in-memory DaVinci Resolve of one version for tests: the scripting objects the rushes actions
use, with the names and signatures of fusionscript-stubs (checked by test_surface) and Resolve's
behaviour: 1-based track and timeline indices; None/False/[] instead of exceptions; settings as
strings; AddMarker frames relative to the timeline start and False on a frame that has one;
ImportMedia into the current folder, and an SRT of a name the pool has already handed back as the
clip it has; ImportTimelineFromFile None on a name in use and on an OTIO whose source frames are not
counted from the media's timecode; a subtitle append that places nothing unless a subtitle track
exists, and (with subtitle_append="end", as users report) ignores recordFrame and puts the subtitles
after the end of the timeline; AppendToTimeline endFrame inclusive, recordFrame absolute, an
overlapping record dropped; GetLeftOffset in source frames for video and timeline frames for audio;
clip markers (TimelineItem and MediaPoolItem AddMarker) counted from the first frame of the clip's
media (0), refused on a duplicate frame and outside the media; image sequences and stills at the
project's rate, a still as long as Resolve's standard still duration (5 s).

Per version, from the scripting READMEs (tests/data/resolve_api/api_versions.json): a method is
there only from the release whose README lists it (before, the name is None, as on Resolve's own
objects: calling it fails with "'NoneType' object is not callable"); a method whose parameters
changed takes no more arguments than that release lists (GetStart(False) before 19.0.2 is a
TypeError); ImportTimelineFromFile reads OTIO only from 18.6.5.

Helpers that are not Resolve API are lower case (`open_project`, `new_timeline`, `place`, `select`,
`mark`)."""
from __future__ import annotations

import functools
import itertools
import json
import math
import os
import re
import wave
from fractions import Fraction
from pathlib import Path

import srt

from rushes.media import Movie
from rushes.media.timecode import frame_to_timecode, timecode_to_frame

MARKER_COLORS = {"Blue", "Cyan", "Green", "Yellow", "Red", "Pink", "Purple", "Fuchsia", "Rose", "Lavender", "Sky",
                 "Mint", "Lemon", "Sand", "Cocoa", "Cream"}
CLIP_COLORS = {"Orange", "Apricot", "Yellow", "Lime", "Olive", "Green", "Teal", "Navy", "Blue", "Purple", "Violet",
               "Pink", "Tan", "Beige", "Brown", "Chocolate"}
RATES = {"23.976": Fraction(24000, 1001), "24": Fraction(24), "25": Fraction(25), "29.97": Fraction(30000, 1001),
         "30": Fraction(30)}
STILLS = {".png", ".jpg", ".jpeg", ".tif", ".tiff", ".exr", ".dpx"}
STILL_SECONDS = 5  # Resolve's default "Standard still duration"
_ids = itertools.count(1)

DAVINCI = Path(__file__).resolve().parents[3] / "hosts" / "davinci"  # the Resolve-side code these fakes serve
API_TABLE = Path(__file__).resolve().parents[2] / "data" / "resolve_api" / "api_versions.json"
CLASSES = ("Resolve", "ProjectManager", "Project", "MediaPool", "Folder", "MediaPoolItem", "Timeline", "TimelineItem")
# the releases every action is run against: before and after each API change rushes depends on
VERSIONS = ((18, 6, 0), (19, 0, 0), (19, 1, 0), (20, 0, 0), (20, 2, 0))


@functools.lru_cache(maxsize=1)
def api_table() -> dict:
    return json.loads(API_TABLE.read_text(encoding="utf-8"))


def _release(text: str) -> tuple:
    return tuple(int(p) for p in text.split("."))


class Api:
    """What one release's scripting README lists: which methods there are, how many arguments each takes."""

    def __init__(self, version):
        self.version = tuple(version[:3])
        self.table = api_table()

    def lists(self, key: str) -> bool:
        since = self.table["since"].get(key) or self.table["deprecated"].get(key)
        gone = self.table["gone"].get(key)
        return since is not None and _release(since) <= self.version and not (gone and _release(gone) <= self.version)

    def arguments(self, key: str) -> float | None:
        """The most arguments `key` takes in this release, where its parameters changed between releases."""
        history = self.table["parameters"].get(key)
        if not history:
            return None
        listed = [names for release, names in history.items() if _release(release) <= self.version]
        if not listed:
            return None
        overloads = listed[-1]
        if any(name.endswith("...") for names in overloads for name in names):
            return math.inf
        return max(len(names) for names in overloads)

    def reads(self, key: str, fmt: str) -> bool:
        since = self.table["formats"].get(key, {}).get(fmt)
        return since is not None and _release(since) <= self.version

    def offer(self, cls: str, name: str, method):
        key = "%s.%s" % (cls, name)
        if not self.lists(key):
            return None
        limit = self.arguments(key)
        if limit is None:
            return method

        @functools.wraps(method)
        def checked(*args, **kwargs):
            if len(args) + len(kwargs) > limit:
                raise TypeError("%s() takes %d argument(s) in DaVinci Resolve %s (%d given)"
                                % (key, limit, ".".join(map(str, self.version)), len(args) + len(kwargs)))
            return method(*args, **kwargs)
        return checked


def _api_class(cls: type) -> str:
    return next(c.__name__ for c in cls.__mro__ if c.__name__ in CLASSES)


def _rate(text: str) -> Fraction:
    return RATES[text.replace(" DF", "").replace(" NDF", "")]


def _fps_text(rate: Fraction) -> str:
    return next(k for k, v in RATES.items() if v == rate)


def _add_marker(markers: dict, frames: int, frameId, color, name, note, duration, customData) -> bool:
    """A clip marker: frames from the first frame of the clip's media; False on a taken frame, a colour
    Resolve does not have, or a frame outside the media."""
    frame = int(frameId)
    if frame in markers or color not in MARKER_COLORS or not 0 <= frame < frames:
        return False
    markers[frame] = {"color": color, "duration": duration, "note": note, "name": name, "customData": customData or ""}
    return True


class _Object:
    def __init__(self, api: Api):
        self._api = api
        self._id = "%08d-fake" % next(_ids)

    def __getattribute__(self, name: str):
        value = object.__getattribute__(self, name)
        if name[:1].isupper() and name[1:2].islower():  # CamelCase: Resolve API, as this release has it
            return object.__getattribute__(self, "_api").offer(_api_class(type(self)), name, value)
        return value


class _Identified(_Object):
    """The objects that have GetUniqueId in Resolve (Resolve and ProjectManager have none)."""

    def GetUniqueId(self) -> str:
        return self._id


class Resolve(_Object):
    def __init__(self, product: str = "DaVinci Resolve", version=(19, 1, 3, 7), subtitle_append: str = "record"):
        super().__init__(Api(version))
        self.product, self.version = product, list(version) + [""]
        self.subtitle_append = subtitle_append  # "record": at recordFrame; "end": after the timeline's end
        self.studio_calls = []  # Studio-only or destructive calls made (the tests expect none)
        self.manager = ProjectManager(self)

    def GetProductName(self) -> str:
        return self.product

    def GetVersion(self) -> list:
        return list(self.version)

    def GetVersionString(self) -> str:
        return ".".join(str(v) for v in self.version[:4])

    def GetProjectManager(self):
        return self.manager


class ProjectManager(_Object):
    def __init__(self, resolve):
        super().__init__(resolve._api)
        self.resolve, self.current = resolve, None

    def GetCurrentProject(self):
        return self.current

    def open_project(self, name: str, rate: str = "23.976") -> "Project":
        self.current = Project(self.resolve, name, rate)
        return self.current


class Project(_Identified):
    def __init__(self, resolve, name: str, rate: str):
        super().__init__(resolve._api)
        self.resolve, self.name = resolve, name
        self.settings = {"timelineFrameRate": rate.replace(" DF", ""),
                         "timelineDropFrameTimecode": "1" if rate.endswith(" DF") else "0"}
        self.timelines, self.current = [], None
        self.pool = MediaPool(self)

    def GetName(self) -> str:
        return self.name

    def GetMediaPool(self):
        return self.pool

    def GetTimelineCount(self) -> int:
        return len(self.timelines)

    def GetTimelineByIndex(self, idx: int):
        return self.timelines[idx - 1] if 1 <= idx <= len(self.timelines) else None

    def GetCurrentTimeline(self):
        return self.current

    def SetCurrentTimeline(self, timeline) -> bool:
        if timeline not in self.timelines:
            return False
        self.current = timeline
        return True

    def GetSetting(self, settingName: str = "") -> str:
        return self.settings.get(settingName, "")

    def new_timeline(self, name: str, start_timecode: str = "01:00:00:00", rate: str | None = None) -> "Timeline":
        timeline = self.pool.CreateEmptyTimeline(name)
        rate = rate or self.settings["timelineFrameRate"] + (" DF" if self.settings["timelineDropFrameTimecode"] == "1" else "")
        timeline.settings["timelineFrameRate"] = rate.replace(" DF", "")
        timeline.settings["timelineDropFrameTimecode"] = "1" if rate.endswith(" DF") else "0"
        timeline.SetStartTimecode(start_timecode)
        self.SetCurrentTimeline(timeline)
        return timeline


class Folder(_Identified):
    def __init__(self, api: Api, name: str):
        super().__init__(api)
        self.name, self.clips, self.folders = name, [], []

    def GetName(self) -> str:
        return self.name

    def GetClipList(self) -> list:
        return list(self.clips)

    def GetSubFolderList(self) -> list:
        return list(self.folders)


class MediaPoolItem(_Identified):
    """A clip in the pool, described from the real file: FPS, Start TC and Frames as Resolve shows them."""

    def __init__(self, project, info):
        super().__init__(project._api)
        self.project, self.color, self.marks, self.cues, self.channels = project, "", {}, None, None
        self.markers = {}
        if isinstance(info, dict):  # an image sequence: {"FilePath": "a_%04d.png", "StartIndex", "EndIndex"}
            pattern, a, b = info["FilePath"], info["StartIndex"], info["EndIndex"]
            width = int(re.search(r"%0(\d)d", pattern).group(1))
            self.path = re.sub(r"%0\dd", "[%0*d-%0*d]" % (width, a, width, b), pattern)
            rate = _rate(project.settings["timelineFrameRate"])  # a sequence takes the project's rate
            self.rate, self.first, self.frames, self.kind = rate, a, b - a + 1, "Video"
            self.start_tc = frame_to_timecode(0, self.rate, False)
        else:
            self.path = str(info)
            ext = os.path.splitext(self.path)[1].lower()
            if ext == ".srt":
                with open(self.path, encoding="utf-8") as f:
                    self.cues = list(srt.parse(f.read()))
                self.kind, self.rate, self.first, self.frames, self.start_tc = "Subtitle", None, 0, 0, ""
            elif ext in STILLS:  # one picture: the standard still duration at the project's rate
                self.rate = _rate(project.settings["timelineFrameRate"])
                self.kind, self.first, self.start_tc = "Still", 0, "00:00:00:00"
                self.frames = int(STILL_SECONDS * self.rate)
            elif ext == ".wav":  # a WAV takes the project's rate at import (measured on Resolve 19.1)
                with wave.open(self.path) as w:
                    seconds = Fraction(w.getnframes(), w.getframerate())
                    self.channels = w.getnchannels()
                self.rate = _rate(project.settings["timelineFrameRate"])
                self.kind, self.first, self.start_tc = "Audio", 0, "00:00:00:00"
                self.frames = math.ceil(seconds * self.rate)
            else:
                movie = Movie(self.path)
                self.rate, self.first, self.frames, self.kind = movie.rate, movie.first_frame, movie.frame_count, "Video"
                self.start_tc = frame_to_timecode(movie.first_frame, movie.rate)
        self.name = os.path.basename(self.path)

    def GetName(self) -> str:
        return self.name

    def SetName(self, name: str) -> bool:
        self.name = name
        return True

    def SetClipProperty(self, propertyName: str, propertyValue) -> bool:
        if propertyName != "Clip Name" or not str(propertyValue):  # the others rushes never sets
            return False
        self.name = str(propertyValue)
        return True

    def GetMediaId(self) -> str:
        return "media-" + self._id

    def GetClipProperty(self, propertyName: str | None = None):
        props = {"File Path": self.path, "Clip Name": self.name, "Type": self.kind,
                 "FPS": _fps_text(self.rate) if self.rate else "", "Start TC": self.start_tc,
                 "Frames": str(self.frames)}
        if self.channels:
            props["Audio Ch"] = str(self.channels)
        return props if propertyName is None else props.get(propertyName, "")

    def SetClipColor(self, colorName: str) -> bool:
        if colorName not in CLIP_COLORS:
            return False
        self.color = colorName
        return True

    def GetClipColor(self) -> str:
        return self.color

    def GetMarkInOut(self) -> dict:
        return dict(self.marks)

    def SetMarkInOut(self, mark_in: int, mark_out: int, type: str = "all") -> bool:
        return self.mark(mark_in, mark_out, type)

    def mark(self, mark_in: int, mark_out: int, type: str = "all") -> bool:
        """The editor marks in and out (any release; SetMarkInOut is there from 19.1)."""
        for kind in (("video", "audio") if type == "all" else (type,)):
            self.marks[kind] = {"in": mark_in, "out": mark_out}
        return True

    def AddMarker(self, frameId: float, color: str, name: str, note: str, duration: float,
                  customData: str | None = None) -> bool:
        return _add_marker(self.markers, self.frames, frameId, color, name, note, duration, customData)

    def GetMarkers(self) -> dict:
        return {float(f): dict(m) for f, m in self.markers.items()}

    def TranscribeAudio(self, useSpeakerDetection: bool = None) -> bool:
        self.project.resolve.studio_calls.append("MediaPoolItem.TranscribeAudio")
        return False


class MediaPool(_Identified):
    def __init__(self, project):
        super().__init__(project._api)
        self.project = project
        self.root = Folder(self._api, "Master")
        self.current = self.root
        self.selected = []

    def GetRootFolder(self):
        return self.root

    def AddSubFolder(self, folder, name: str):
        made = Folder(self._api, name)
        folder.folders.append(made)
        return made

    def GetCurrentFolder(self):
        return self.current

    def SetCurrentFolder(self, folder) -> bool:
        self.current = folder
        return True

    def ImportMedia(self, items: list) -> list:
        made = []
        for info in items:
            path = info["FilePath"] if isinstance(info, dict) else info
            if not os.path.exists(path if not isinstance(info, dict) else path % info["StartIndex"]):
                continue
            known = [c for c in self.clips() if c.kind == "Subtitle" and c.name == os.path.basename(path)]
            if known and str(path).lower().endswith(".srt"):  # an SRT of a known name: the clip it has
                made.append(known[0])
                continue
            item = MediaPoolItem(self.project, info)
            self.current.clips.append(item)
            made.append(item)
        return made

    def GetSelectedClips(self) -> list:
        return list(self.selected)

    def SetSelectedClip(self, mediaPoolItem) -> bool:
        return self.select(mediaPoolItem)

    def select(self, *items) -> bool:
        """The editor selects clips in the media pool (any release; SetSelectedClip is there from 19.0.2)."""
        self.selected = list(items)
        return True

    def clips(self) -> list:
        """Every clip in every folder."""
        out, todo = [], [self.root]
        while todo:
            folder = todo.pop(0)
            out += folder.clips
            todo += folder.folders
        return out

    def CreateEmptyTimeline(self, name: str):
        if any(t.name == name for t in self.project.timelines):
            return None
        timeline = Timeline(self.project, name)
        self.project.timelines.append(timeline)
        return timeline

    def AppendToTimeline(self, clipInfo: list) -> list:
        timeline = self.project.current
        if timeline is None:
            return []
        placed = []
        for info in clipInfo:
            if not isinstance(info, dict):
                info = {"mediaPoolItem": info}
            placed += timeline.place(info)
        return placed

    def ImportTimelineFromFile(self, filePath: str, importOptions: dict | None = None):
        """OTIO only here, checked the way Resolve refuses one: None on a name in use, and on a clip
        whose source range is not inside its media's timecode range."""
        import opentimelineio as otio

        options = importOptions or {}
        if not self._api.reads("MediaPool.ImportTimelineFromFile", "OTIO"):
            return None  # OTIO is named from 18.6.5
        name = options.get("timelineName") or os.path.splitext(os.path.basename(filePath))[0]
        if any(t.name == name for t in self.project.timelines):
            return None
        try:
            document = otio.adapters.read_from_file(filePath)
        except Exception:
            return None
        rate = document.global_start_time.rate if document.global_start_time else 24
        start = int(document.global_start_time.value) if document.global_start_time else 0
        text = _fps_text(Fraction(rate).limit_denominator(1001))
        timeline = Timeline(self.project, name)
        timeline.settings["timelineFrameRate"] = text
        timeline.start_frame = start
        pool_items = {}
        for track_index, track in enumerate(document.video_tracks(), 1):
            if track_index > 1:
                timeline.AddTrack("video")
            for clip in track.find_clips():
                path = clip.media_reference.target_url
                if path not in pool_items:
                    if not options.get("importSourceClips", True) or not os.path.exists(path):
                        return None
                    item = MediaPoolItem(self.project, path)
                    self.current.clips.append(item)
                    pool_items[path] = item
                item = pool_items[path]
                src = clip.source_range
                first = int(round(src.start_time.value))
                if not (item.first <= first and first + int(round(src.duration.value)) <= item.first + item.frames):
                    return None  # 0-based source frames on timecoded media: Resolve makes no timeline
                record = track.range_of_child(clip).start_time.rescaled_to(rate)
                timeline.place({"mediaPoolItem": item, "startFrame": first - item.first,
                                "endFrame": first - item.first + int(round(src.duration.value)) - 1,
                                "recordFrame": start + int(round(record.value)), "trackIndex": track_index,
                                "mediaType": 1})
        self.project.timelines.append(timeline)
        self.project.current = timeline  # Resolve opens the imported timeline
        return timeline


class Timeline(_Identified):
    def __init__(self, project, name: str):
        super().__init__(project._api)
        self.project, self.name = project, name
        self.settings = dict(project.settings)
        self.start_frame = 0
        self.tracks = {"video": [[]], "audio": [[]], "subtitle": []}
        self.track_names = {}
        self.markers = {}
        self.playhead = 0

    @property
    def rate(self) -> Fraction:
        return _rate(self.settings["timelineFrameRate"])

    @property
    def drop(self) -> bool:
        return self.settings.get("timelineDropFrameTimecode") == "1"

    def GetName(self) -> str:
        return self.name

    def GetSetting(self, settingName: str = "") -> str:
        return self.settings.get(settingName, "")

    def GetStartFrame(self) -> int:
        return self.start_frame

    def GetEndFrame(self) -> int:
        ends = [item.start + item.duration for items in self.tracks.values() for track in items for item in track]
        return max(ends, default=self.start_frame)

    def SetStartTimecode(self, timecode: str) -> bool:
        self.start_frame = timecode_to_frame(timecode, self.rate)
        return True

    def GetStartTimecode(self) -> str:
        return frame_to_timecode(self.start_frame, self.rate, self.drop)

    def GetCurrentTimecode(self) -> str:
        return frame_to_timecode(self.start_frame + self.playhead, self.rate, self.drop)

    def SetCurrentTimecode(self, timecode: str) -> bool:
        self.playhead = timecode_to_frame(timecode, self.rate) - self.start_frame
        return True

    def GetTrackCount(self, trackType: str) -> int:
        return len(self.tracks.get(trackType, []))

    def AddTrack(self, trackType: str, subTrackType: str | None = None) -> bool:
        if trackType not in self.tracks:
            return False
        self.tracks[trackType].append([])
        return True

    def DeleteTrack(self, trackType: str, trackIndex: int) -> bool:
        if not 1 <= trackIndex <= self.GetTrackCount(trackType):
            return False
        del self.tracks[trackType][trackIndex - 1]
        return True

    def GetIsTrackEnabled(self, trackType: str, trackIndex: int) -> bool:
        return 1 <= trackIndex <= self.GetTrackCount(trackType)

    def SetTrackName(self, trackType: str, trackIndex: int, name: str) -> bool:
        if not 1 <= trackIndex <= self.GetTrackCount(trackType):
            return False
        self.track_names[(trackType, trackIndex)] = name
        return True

    def GetTrackName(self, trackType: str, trackIndex: int) -> str:
        return self.track_names.get((trackType, trackIndex), "%s %d" % (trackType.title(), trackIndex))

    def GetItemListInTrack(self, trackType: str, index: int) -> list:
        if not 1 <= index <= self.GetTrackCount(trackType):
            return None
        return sorted(self.tracks[trackType][index - 1], key=lambda i: i.start)

    def DeleteClips(self, timelineItems: list, Bool: bool = False) -> bool:
        for track in (t for tracks in self.tracks.values() for t in tracks):
            track[:] = [i for i in track if i not in timelineItems]
        return True

    def AddMarker(self, frameId: float, color: str, name: str, note: str, duration: float,
                  customData: str | None = None) -> bool:
        frame = int(frameId)
        if frame in self.markers or color not in MARKER_COLORS or not 0 <= frame < self.GetEndFrame() - self.start_frame:
            return False
        self.markers[frame] = {"color": color, "duration": duration, "note": note, "name": name,
                               "customData": customData or ""}
        return True

    def GetMarkers(self) -> dict:
        return {float(f): dict(m) for f, m in self.markers.items()}

    def GetCurrentVideoItem(self):
        for track in reversed(self.tracks["video"]):
            for item in track:
                if item.start <= self.start_frame + self.playhead < item.start + item.duration:
                    return item
        return None

    def DetectSceneCuts(self) -> bool:
        self.project.resolve.studio_calls.append("Timeline.DetectSceneCuts")
        return True

    def CreateSubtitlesFromAudio(self, autoCaptionSettings: dict | None = None) -> bool:
        self.project.resolve.studio_calls.append("Timeline.CreateSubtitlesFromAudio")
        return False

    def place(self, info: dict) -> list:
        """One AppendToTimeline clip info (also used to build test edits the way a script would)."""
        item = info["mediaPoolItem"]
        if item.kind == "Subtitle":
            track = info.get("trackIndex", 1)
            if not 1 <= track <= self.GetTrackCount("subtitle"):
                return []  # the append "succeeds" and places nothing
            hh, mm, ss, ff = (int(x) for x in re.split(r"[:;]", self.GetStartTimecode()))
            hours = Fraction(hh * 3600 + mm * 60 + ss) + Fraction(ff, round(self.rate))  # the start timecode as a clock
            cues = []
            for cue in item.cues:
                a = self.start_frame + round((Fraction(cue.start.total_seconds()).limit_denominator(1000) - hours) * self.rate)
                b = self.start_frame + round((Fraction(cue.end.total_seconds()).limit_denominator(1000) - hours) * self.rate)
                cues.append((a, b, cue.content))
            existing = self.tracks["subtitle"][track - 1]
            if self.project.resolve.subtitle_append == "end":  # recordFrame ignored: after everything on the timeline
                at = self.GetEndFrame()
            else:
                at = info.get("recordFrame", max((i.start + i.duration for i in existing), default=self.start_frame))
            shift = int(at) - cues[0][0]  # the clip starts with its first subtitle
            made = [TimelineItem(self, "subtitle", item, a + shift, b - a, 0, text) for a, b, text in cues]
            existing.extend(made)
            return made
        kind = "audio" if item.kind == "Audio" or info.get("mediaType") == 2 else "video"
        track = info.get("trackIndex", 1)
        if not 1 <= track <= self.GetTrackCount(kind):
            return []
        first, last = info.get("startFrame", 0), info.get("endFrame", item.frames - 1)  # endFrame inclusive
        if not 0 <= first <= last < item.frames:
            return []
        duration = (last - first + 1) * self.rate / item.rate
        duration = math.floor(duration)  # mixed rates: Resolve floors (measured)
        existing = self.tracks[kind][track - 1]
        start = info.get("recordFrame", max((i.start + i.duration for i in existing), default=self.start_frame))
        if any(i.start < start + duration and start < i.start + i.duration for i in existing):
            return []  # an overlapping record: the earlier item wins
        made = TimelineItem(self, kind, item, int(start), int(duration), first)
        existing.append(made)
        return [made]


class TimelineItem(_Identified):
    def __init__(self, timeline, kind: str, media, start: int, duration: int, source_start: int, text: str = ""):
        super().__init__(timeline._api)
        self.timeline, self.kind, self.media = timeline, kind, media
        self.start, self.duration, self.source_start, self.text = start, duration, source_start, text
        self.color = ""
        self.markers = {}

    def AddMarker(self, frameId: float, color: str, name: str, note: str, duration: float,
                  customData: str | None = None) -> bool:
        """A marker on this clip: frameId counts from the media's first frame, not from the clip's in
        (GetLeftOffset() is the clip's in), as one public Resolve script measured (unverified)."""
        return _add_marker(self.markers, self.media.frames, frameId, color, name, note, duration, customData)

    def GetMarkers(self) -> dict:
        return {float(f): dict(m) for f, m in self.markers.items()}

    def GetName(self) -> str:
        return self.text or self.media.name

    def GetDuration(self, subframe_precision: bool = False) -> int:
        return self.duration

    def GetStart(self, subframe_precision: bool = False) -> int:
        return self.start

    def GetEnd(self, subframe_precision: bool = False) -> int:
        return self.start + self.duration

    def GetLeftOffset(self, subframe_precision: bool = False) -> int:
        if self.kind == "audio":  # timeline frames on an audio item (measured on Resolve 21.0.3)
            return int(round(self.source_start * self.timeline.rate / self.media.rate))
        return self.source_start

    def GetRightOffset(self, subframe_precision: bool = False) -> int:
        return self.media.frames - self.source_start - self.duration

    def GetSourceStartFrame(self) -> int:
        return self.source_start

    def GetSourceEndFrame(self) -> int:
        return self.source_start + self.duration

    def GetMediaPoolItem(self):
        return self.media if self.kind != "subtitle" else None

    def GetTrackTypeAndIndex(self) -> list:
        for index, track in enumerate(self.timeline.tracks[self.kind], 1):
            if self in track:
                return [self.kind, index]
        return [self.kind, 0]

    def SetClipColor(self, colorName: str) -> bool:
        if colorName not in CLIP_COLORS:
            return False
        self.color = colorName
        return True

    def GetClipColor(self) -> str:
        return self.color
