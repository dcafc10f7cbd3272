"""The rushes actions on the editor's Resolve timeline (standard library only): markers at cuts,
subtitles, scratch voice, upscaled and anonymized clips, face markers.

Each takes the `resolve` object and keyword parameters, so the same code runs from Workspace >
Scripts, from external scripting (Studio) and in tests. Keywords every action takes:

- `out`: folder for the results (default OUTPUT_ROOT/<project>/<timeline>/<action>, with
  OUTPUT_ROOT from `settings["output_root"]`, else ~/rushes/resolve);
- `client` (a rushes_client.WorkerClient), else `state_dir`, `executable`, `start_worker`: the
  worker running for that state folder, or one started from the rushes executable;
- `log`: called with each message line (default: print, which is Resolve's console);
- any other keyword is a parameter of the rushes operator the action runs (checked by the worker).

Calls a Resolve release does not have (context.API_NEEDS, from each release's scripting README) are
never made there: what that leaves out is one log line naming the release needed.

Nothing here changes the user's edit: clips are never moved or trimmed, existing markers, tracks
and timelines are kept, and Resolve's destructive DetectSceneCuts is never called. Each returns a
summary dict; a missing project, timeline or clip, a stopped worker or a failed job is one
ResolveActionError with a message that says what to do.
"""
from __future__ import annotations

import json
import os
from fractions import Fraction

from . import frames
from . import otio
from .context import (CLIP_COLORS, MARKER_COLORS, ClipUse, ResolveActionError, TimelineClock, Worker, bin_named,
                      clips_on, current, edition, folder_of, folders, import_into, output_folder, safe_name,
                      timeline_names, unique_name, write_text)

BIN = "rushes"
DONE = "rushes:"  # customData prefix of the markers rushes adds


class _Session(object):
    """One action run: the checked Resolve state, the output folder and the worker."""

    def __init__(self, resolve, action: str, options: dict):
        self.log = options.pop("log", None) or print
        settings = options.pop("settings", None) or {}
        out = options.pop("out", None)
        client = options.pop("client", None)
        state_dir = options.pop("state_dir", None) or settings.get("state_dir")
        executable = options.pop("executable", None) or settings.get("rushes_executable")
        start = options.pop("start_worker", settings.get("start_worker", True))
        self.params = options  # what is left goes to the operator
        self.edition = edition(resolve)
        self.project, self.pool, self.timeline = current(resolve)
        self.clock = TimelineClock(self.project, self.timeline)
        self.out = output_folder(out, self.project, self.timeline, action, settings)
        self._worker_args = (client, state_dir, executable, start)
        self.worker = None
        self.action = action

    def connect(self) -> Worker:
        if self.worker is None:
            self.worker = Worker(*self._worker_args)
        return self.worker

    def job(self, operator: str, path: str, folder: str, media: dict | None = None, params: dict | None = None) -> dict:
        spec = {"operator": operator, "input": path, "out": os.path.join(self.out, folder),
                "params": dict(params if params is not None else self.params)}
        if media:
            spec["media"] = media
        return self.connect().run(spec, "%s on %s" % (operator, os.path.basename(path)), self.log)

    def close(self) -> None:
        if self.worker is not None:
            self.worker.close()


def _run(action: str, resolve, options: dict, body):
    session = _Session(resolve, action, options)
    try:
        return body(session)
    finally:
        session.close()


def _check_color(color: str, allowed: tuple, what: str) -> str:
    if color not in allowed:
        raise ResolveActionError("%s %r is not one Resolve takes (%s)" % (what, color, ", ".join(allowed)))
    return color


def _video_jobs(s: _Session, operator: str, folder: str, uses: list, params: dict | None = None) -> list:
    """One job per clip (the same media and range once): [(ClipUse, result JSON)]."""
    done, out = {}, []
    for n, use in enumerate(uses, 1):
        key = (use.input, use.source_in, use.source_out)
        if key not in done:
            media = {"rate": frames.rate_text(use.rate), "frame_range": [use.source_in, use.source_out]}
            if use.start_timecode:
                media["start_timecode"] = use.start_timecode
            sub = "%s/%02d_%s_%d-%d" % (folder, n, safe_name(os.path.splitext(os.path.basename(use.path))[0]),
                                        use.source_in, use.source_out)
            done[key] = s.job(operator, use.input, sub, media, params)["result"]
        out.append((use, done[key]))
    return out


def _add_markers(s: _Session, events: dict, color: str, name: str, kind: str) -> dict:
    """Markers at timeline frames (relative to the start) -> {"added", "ours", "kept", "refused"}.

    A frame with a marker already is left as it is: the user's marker is kept, one rushes added
    before is counted as already there; AddMarker refusing a frame (False) is reported, not fatal."""
    existing = s.timeline.GetMarkers() or {}
    taken = {int(round(float(f))): m for f, m in existing.items()}
    report = {"added": [], "ours": [], "kept": [], "refused": []}
    for frame in sorted(events):
        note = "; ".join(events[frame])
        held = taken.get(frame)
        if held is not None:
            ours = str(held.get("customData") or "").startswith(DONE)
            report["ours" if ours else "kept"].append(frame)
            continue
        if s.timeline.AddMarker(frame, color, name, note, 1, "%s%s" % (DONE, kind)):
            report["added"].append(frame)
        else:
            report["refused"].append(frame)
    if report["kept"]:
        s.log("rushes: kept %d marker(s) already on the timeline at %s" % (
            len(report["kept"]), ", ".join(s.clock.timecode(f) for f in report["kept"][:5])))
    if report["refused"]:
        s.log("rushes: Resolve refused a marker at %s" % ", ".join(s.clock.timecode(f) for f in report["refused"][:5]))
    return report


def _video_clips(s: _Session) -> list:
    uses = clips_on(s.timeline, "video", s.clock, s.edition)
    if not uses:
        raise ResolveActionError("timeline %r has no video clips with media on enabled tracks" % s.clock.name)
    return uses


def markers_at_cuts(resolve, color: str = "Cyan", name: str = "cut", otio_timeline: bool = False, **options) -> dict:
    """Shots detected in each video clip of the current timeline (in the part of the source it plays)
    -> timeline markers at the cuts; with `otio_timeline`, also an .otio with one clip per shot,
    imported as a new timeline (a unique name; the current timeline stays current)."""
    _check_color(color, MARKER_COLORS, "marker colour")

    def body(s: _Session) -> dict:
        uses = _video_clips(s)
        s.log("rushes: finding cuts in %d clip(s) of %r (%s)" % (len(uses), s.clock.name, s.edition))
        events, shots = {}, []
        for use, result in _video_jobs(s, "detect.shots", "shots", uses):
            inside = [c for c in result["cuts"] if use.source_in < c < use.source_out]
            for cut in inside:
                frame = use.to_record(cut)
                events.setdefault(frame, []).append("%s: cut at source frame %d (%s)" % (use.name, cut, "detect.shots"))
            bounds = [use.source_in] + inside + [use.source_out]
            shots.append((use, list(zip(bounds, bounds[1:]))))
        report = _add_markers(s, events, color, name, "cut")
        summary = {"markers": sorted(events), "report": report, "out": s.out, "timeline": None, "otio": None}
        if otio_timeline:
            summary.update(_shots_timeline(s, shots))
        s.log("rushes: %d cut marker(s) added to %r%s" % (len(report["added"]), s.clock.name,
                                                           " and timeline %r made" % summary["timeline"]
                                                           if summary["timeline"] else ""))
        return summary

    return _run("markers_at_cuts", resolve, options, body)


def _shots_timeline(s: _Session, shots: list) -> dict:
    """Write <out>/<timeline> shots.otio (one clip per shot, at the clips' record frames) and import it."""
    taken = timeline_names(s.project)
    name = unique_name(taken, "%s shots" % s.clock.name)
    tracks = {}
    for use, ranges in shots:
        tracks.setdefault(use.track, []).append((use, ranges))
    items_per_track = []
    for track in range(1, max(tracks) + 1):
        items, at = [], 0
        for use, ranges in sorted(tracks.get(track, []), key=lambda u: u[0].record_in):
            if use.record_in > at:
                items.append(otio.gap(use.record_in - at, s.clock.rate))
            for k, (a, b) in enumerate(ranges, 1):
                items.append(otio.clip("%s shot %d" % (use.name, k), use.path, a, b - a, use.rate, use.first,
                                       use.media_frames))
            at = use.record_out
        items_per_track.append(items)
    os.makedirs(s.out, exist_ok=True)
    path = otio.write(os.path.join(s.out, safe_name(name) + ".otio"),
                      otio.timeline(name, items_per_track, s.clock.rate, s.clock.start_frame))
    otio_import = "MediaPool.ImportTimelineFromFile(OTIO)"
    if not s.edition.has(otio_import):
        s.log("rushes: %s: import %s with File > Import > Timeline" % (s.edition.needs(otio_import), path))
        return {"timeline": None, "otio": path}
    original = s.timeline
    folder = bin_named(s.pool, BIN)
    before = s.pool.GetCurrentFolder()
    s.pool.SetCurrentFolder(folder)  # the source clips the import adds land in the rushes bin
    try:
        made = s.pool.ImportTimelineFromFile(path, {"timelineName": name, "importSourceClips": True,
                                                    "sourceClipsPath": os.path.dirname(shots[0][0].path)})
    finally:
        if before:
            s.pool.SetCurrentFolder(before)
        s.project.SetCurrentTimeline(original)
    if not made:
        raise ResolveActionError("markers are placed, but Resolve did not import %s as a timeline "
                                 "(import it with File > Import > Timeline)" % path)
    return {"timeline": name, "otio": path}


def face_markers(resolve, color: str = "Pink", name: str = "face", **options) -> dict:
    """Faces detected and tracked in each video clip's used range -> timeline markers on the frames
    where a face track starts and on its last frame; faces sharing a frame share one marker."""
    _check_color(color, MARKER_COLORS, "marker colour")

    def body(s: _Session) -> dict:
        uses = _video_clips(s)
        s.log("rushes: finding faces in %d clip(s) of %r" % (len(uses), s.clock.name))
        events, tracks = {}, []
        for use, result in _video_jobs(s, "detect.faces", "faces", uses):
            for track in result["tracks"]:
                first, last = max(track["first_frame"], use.source_in), min(track["end_frame"], use.source_out) - 1
                if last < first:
                    continue
                start, end = use.to_record(first), use.to_record(last)
                tracks.append({"clip": use.name, "id": track["id"], "record": [start, end + 1],
                               "source": [first, last + 1]})
                events.setdefault(start, []).append("%s: face %d starts" % (use.name, track["id"]))
                events.setdefault(end, []).append("%s: face %d ends" % (use.name, track["id"]))
        report = _add_markers(s, events, color, name, "face")
        s.log("rushes: %d face marker(s) added for %d face track(s)" % (len(report["added"]), len(tracks)))
        return {"markers": sorted(events), "tracks": tracks, "report": report, "out": s.out}

    return _run("face_markers", resolve, options, body)


def subtitles(resolve, bin: str = BIN, **options) -> dict:
    """Transcribe each audio clip of the current timeline (its source, within its in/out, at its record
    frames) -> one SRT at the timeline's rate and start timecode and a JSON beside it, placed on a new
    subtitle track (existing subtitle tracks are left as they are)."""

    def body(s: _Session) -> dict:
        uses = clips_on(s.timeline, "audio", s.clock, s.edition)
        if not uses:
            raise ResolveActionError("timeline %r has no audio clips with media on enabled tracks" % s.clock.name)
        s.log("rushes: transcribing %d audio clip(s) of %r" % (len(uses), s.clock.name))
        results, cues, clips = {}, {}, []
        media = {"rate": frames.rate_text(s.clock.rate), "start_timecode": "00:00:00:00"}
        for n, use in enumerate(uses, 1):
            if use.path not in results:  # the whole file once, at the timeline's rate, frames from its start
                sub = "transcripts/%02d_%s" % (len(results) + 1, safe_name(os.path.splitext(os.path.basename(use.path))[0]))
                results[use.path] = s.job("speech.transcribe", use.path, sub, media)
            result = results[use.path]
            clips.append(dict(use.describe(), transcript=os.path.join(result["out_dir"], "transcript.json")))
            for cue in result["result"]["subtitles"]:
                a, b = max(cue["start_frame"], use.source_in), min(cue["end_frame"], use.source_out)
                if b <= a:
                    continue
                start, end = use.to_record(a), use.to_record(b)
                cues.setdefault((start, end, tuple(cue["lines"])), use)
        if not cues:
            raise ResolveActionError("no speech found in the audio clips of %r" % s.clock.name)
        ordered = sorted(cues)
        stem = safe_name("%s subtitles" % s.clock.name)
        os.makedirs(s.out, exist_ok=True)
        srt_path = os.path.join(s.out, stem + ".srt")
        blocks = []
        for i, (start, end, lines) in enumerate(ordered, 1):
            a = frames.timeline_seconds(start, s.clock.rate, s.clock.start_timecode)
            b = frames.timeline_seconds(end, s.clock.rate, s.clock.start_timecode)
            blocks.append("%d\n%s --> %s\n%s" % (i, frames.srt_clock(a), frames.srt_clock(b), "\n".join(lines)))
        write_text(srt_path, "\n\n".join(blocks) + "\n")
        document = {
            "kind": "TimelineSubtitles", "timeline": s.clock.name, "rate": {"num": s.clock.rate.numerator,
                                                                             "den": s.clock.rate.denominator},
            "drop_frame": s.clock.drop, "start_timecode": s.clock.start_timecode, "start_frame": s.clock.start_frame,
            "srt": os.path.basename(srt_path), "clips": clips,
            "subtitles": [{"index": i, "start_frame": a, "end_frame": b, "start_timecode": s.clock.timecode(a),
                           "end_timecode": s.clock.timecode(b), "lines": list(lines), "clip": cues[(a, b, lines)].name}
                          for i, (a, b, lines) in enumerate(ordered, 1)]}
        json_path = write_text(os.path.join(s.out, stem + ".json"), json.dumps(document, indent=1, ensure_ascii=False) + "\n")
        track, placed = _place_subtitles(s, srt_path, bin, ordered[0][0])
        s.log("rushes: %d subtitle(s) written to %s%s" % (len(ordered), srt_path,
                                                         " and placed on subtitle track %d" % track if placed else ""))
        return {"srt": srt_path, "json": json_path, "count": len(ordered), "track": track if placed else None,
                "out": s.out}

    return _run("subtitles", resolve, options, body)


def _items(timeline, kind: str) -> dict:
    return {i: [item.GetUniqueId() for item in timeline.GetItemListInTrack(kind, i) or []]
            for i in range(1, int(timeline.GetTrackCount(kind) or 0) + 1)}


def _import_copy(s: _Session, srt_path: str) -> str:
    """A copy of the SRT beside it, under a name no media pool clip has: Resolve hands back the clip it
    already has for an SRT of a name it has seen, with that file's subtitles."""
    taken = {str(clip.GetName() or "").lower() for folder in folders(s.pool) for clip in folder.GetClipList() or []}
    stem, n = os.path.splitext(srt_path)[0], 1
    while True:
        copy = "%s_%d.srt" % (stem, n)
        if os.path.basename(copy).lower() not in taken and not os.path.exists(copy):
            break
        n += 1
    with open(srt_path, encoding="utf-8") as f:
        return write_text(copy, f.read())


def _place_subtitles(s: _Session, srt_path: str, bin: str, first: int):
    """The SRT onto a new subtitle track (Resolve's import recipe: add the track, import the SRT into
    the pool, append it with its first subtitle at `first`, a frame relative to the timeline start);
    checked afterwards, and undone where Resolve put it anywhere else (an append of a subtitle clip is
    reported to ignore recordFrame and land after the end of the timeline)."""
    timeline = s.timeline
    before = _items(timeline, "subtitle")
    manual = "import %s with File > Import > Subtitle (its first subtitle is at %s)" % (srt_path, s.clock.timecode(first))
    copy = _import_copy(s, srt_path)
    items = [item for item in import_into(s.pool, bin_named(s.pool, bin), [copy])
             if os.path.normcase(os.path.normpath(str(item.GetClipProperty("File Path") or ""))) ==
             os.path.normcase(os.path.normpath(copy))]
    if not items:
        s.log("rushes: Resolve did not import %s into the media pool; %s" % (os.path.basename(copy), manual))
        return None, False
    if not timeline.AddTrack("subtitle") or int(timeline.GetTrackCount("subtitle") or 0) != len(before) + 1:
        s.log("rushes: Resolve did not add a subtitle track; %s" % manual)
        return None, False
    track = len(before) + 1
    s.pool.AppendToTimeline([{"mediaPoolItem": items[0], "trackIndex": track,
                              "recordFrame": s.clock.start_frame + first}])
    strays = [item for i, old in before.items() for item in timeline.GetItemListInTrack("subtitle", i) or []
              if item.GetUniqueId() not in old]
    if strays:  # never over an existing subtitle track
        timeline.DeleteClips(strays, False)
    placed = timeline.GetItemListInTrack("subtitle", track) or []
    if not placed:
        timeline.DeleteTrack("subtitle", track)
        s.log("rushes: Resolve placed no subtitles on a new track; %s" % manual)
        return None, False
    landed = min(s.edition.whole_frames(item, "GetStart") for item in placed) - s.clock.start_frame
    if abs(landed - first) > 1:  # a frame either way is the SRT's millisecond rounding
        timeline.DeleteClips(placed, False)
        timeline.DeleteTrack("subtitle", track)
        s.log("rushes: Resolve put the first subtitle at %s, not at %s, so rushes removed them again; %s"
              % (s.clock.timecode(landed), s.clock.timecode(first), manual))
        return None, False
    return track, True


def scratch_voice(resolve, script_path: str, at: str = "playhead", bin: str = BIN, **options) -> dict:
    """Synthesize a `CHARACTER: line` script -> one audio clip per line, imported into the rushes bin
    and placed on a new audio track, each at its record frame: `at` (the playhead, the timeline
    "start", or a timecode) plus the line's start in the voiced script."""

    def body(s: _Session) -> dict:
        path = os.path.abspath(os.path.expanduser(str(script_path or "")))
        if not script_path or not os.path.isfile(path):
            raise ResolveActionError("no script file at %r: give script_path, a text file of CHARACTER: line lines"
                                     % (script_path or ""))
        origin = _record_origin(s, at)
        s.log("rushes: voicing %s onto %r at %s" % (os.path.basename(path), s.clock.name, s.clock.timecode(origin)))
        result = s.job("speech.synthesize", path, "voice_" + safe_name(os.path.splitext(os.path.basename(path))[0]))
        out_dir, lines = result["out_dir"], result["result"]["lines"]
        if not lines:
            raise ResolveActionError("%s has no CHARACTER: line lines to voice" % path)
        wavs = [os.path.join(out_dir, line["file"]) for line in lines]
        imported = import_into(s.pool, bin_named(s.pool, bin), wavs)
        by_path = {os.path.normpath(str(item.GetClipProperty("File Path"))): item for item in imported}
        missing = [w for w in wavs if os.path.normpath(w) not in by_path]
        if missing:
            raise ResolveActionError("Resolve did not import %s" % ", ".join(os.path.basename(m) for m in missing))
        count = int(s.timeline.GetTrackCount("audio") or 0)
        if not s.timeline.AddTrack("audio", "mono") or int(s.timeline.GetTrackCount("audio") or 0) != count + 1:
            raise ResolveActionError("Resolve did not add an audio track to %r" % s.clock.name)
        track = count + 1
        s.timeline.SetTrackName("audio", track, "rushes voice")
        infos, placed = [], []
        for line, wav in zip(lines, wavs):
            item = by_path[os.path.normpath(wav)]
            try:
                clip_rate = frames.parse_rate(item.GetClipProperty("FPS"))[0]
            except (ValueError, ZeroDivisionError):
                clip_rate = s.clock.rate
            seconds = Fraction(str(line["end"])) - Fraction(str(line["start"]))
            length = max(1, int(-(-seconds * clip_rate // 1)))  # whole frames that hold the line
            record = origin + int(round(Fraction(str(line["start"])) * s.clock.rate))
            infos.append({"mediaPoolItem": item, "startFrame": 0, "endFrame": length - 1,  # endFrame is inclusive
                          "recordFrame": s.clock.start_frame + record, "trackIndex": track, "mediaType": 2})
            placed.append({"character": line["character"], "text": line["text"], "file": wav, "record_frame": record,
                           "record_timecode": s.clock.timecode(record), "frames": length})
        s.pool.AppendToTimeline(infos)
        landed = s.timeline.GetItemListInTrack("audio", track) or []
        if len(landed) != len(infos):
            raise ResolveActionError("Resolve placed %d of %d voice lines on audio track %d"
                                     % (len(landed), len(infos), track))
        s.log("rushes: %d voice line(s) on audio track %d of %r" % (len(infos), track, s.clock.name))
        return {"track": track, "lines": placed, "out": out_dir}

    return _run("scratch_voice", resolve, options, body)


def _record_origin(s: _Session, at: str) -> int:
    """Timeline frame (relative to the start) for `at`: "playhead", "start" or a timecode."""
    if at == "start":
        return 0
    text = s.timeline.GetCurrentTimecode() if at == "playhead" else at
    try:
        frame = frames.timecode_to_frame(text, s.clock.rate, s.clock.drop or frames.is_drop_frame(text))
    except (ValueError, TypeError):
        raise ResolveActionError("%r is not a timecode of %r (use playhead, start or HH:MM:SS:FF)" % (text, s.clock.name))
    if frame < s.clock.start_frame:
        raise ResolveActionError("%s is before the start of %r (%s)" % (text, s.clock.name, s.clock.start_timecode))
    return frame - s.clock.start_frame


def _targets(s: _Session) -> list:
    """(media pool item, ClipUse or None) for the selected media pool clips (None: their range is read
    later), else the current timeline's current video clip (its used range). Before 19.0.2 scripts
    cannot see the media pool selection: only the clip under the playhead."""
    chosen = []
    if s.edition.has("MediaPool.GetSelectedClips"):
        selected = s.pool.GetSelectedClips() or []
        selected = list(selected.values()) if isinstance(selected, dict) else list(selected)
        chosen = [(item, None) for item in selected if str(item.GetClipProperty("File Path") or "")]
        hint = "select clips in the media pool, or put the playhead over a clip on the timeline"
    else:
        hint = "put the playhead over a clip on the timeline (%s)" % s.edition.needs("MediaPool.GetSelectedClips")
    if chosen:
        return chosen
    current_item = s.timeline.GetCurrentVideoItem()
    if current_item and current_item.GetMediaPoolItem():
        use = ClipUse(current_item, "video", 0, s.clock, s.edition)
        if use.path:
            if not s.edition.has("MediaPool.GetSelectedClips"):
                s.log("rushes: %s: taking %r under the playhead" % (s.edition.needs("MediaPool.GetSelectedClips"), use.name))
            return [(use.media, use)]
    raise ResolveActionError("no clip chosen: " + hint)


def _new_media(s: _Session, operator: str, folder: str, defaults: dict, color: str, suffix: str) -> dict:
    _check_color(color, CLIP_COLORS, "clip colour")
    params = dict(defaults)
    params.update(s.params)
    made = []
    for n, (item, use) in enumerate(_targets(s), 1):
        if use is None:
            use = _pool_range(s, item)
        media = {"rate": frames.rate_text(use.rate)}
        if not getattr(use, "whole", False):  # all of a clip: no range, so a movie is encoded as well
            media["frame_range"] = [use.source_in, use.source_out]
        if use.start_timecode:
            media["start_timecode"] = use.start_timecode
        sub = "%s/%02d_%s_%d-%d" % (folder, n, safe_name(os.path.splitext(os.path.basename(use.path))[0]),
                                    use.source_in, use.source_out)
        s.log("rushes: %s on %s, frames %d-%d" % (operator, os.path.basename(use.path), use.source_in, use.source_out - 1))
        status = s.job(operator, use.input, sub, media, params)
        pictures = [o for o in status["result"]["outputs"] if o["kind"] == "movie"] or \
            [o for o in status["result"]["outputs"] if o["kind"] == "image sequence"]  # a movie where one was made
        if not pictures:
            raise ResolveActionError("%s on %s wrote no pictures" % (operator, os.path.basename(use.path)))
        picture = pictures[0]
        target = os.path.join(status["out_dir"], picture["path"])
        if picture["kind"] == "image sequence":
            a, b = picture["frame_range"]
            width = picture["path"].count("#")
            target = {"FilePath": target.replace("#" * width, "%%0%dd" % width), "StartIndex": a, "EndIndex": b - 1}
        items = import_into(s.pool, folder_of(s.pool, item), [target])
        if not items:
            raise ResolveActionError("Resolve did not import %s" % (target if isinstance(target, str) else target["FilePath"]))
        for new in items:
            new.SetClipColor(color)
            _rename(s, new, "%s %s" % (item.GetName(), suffix))
        made.append({"source": use.path, "frames": [use.source_in, use.source_out], "media": status["out_dir"],
                     "file": target if isinstance(target, str) else target["FilePath"],
                     "items": [new.GetName() for new in items]})
    s.log("rushes: %d new clip(s) in the media pool beside their originals" % len(made))
    return {"clips": made, "out": s.out}


def _rename(s: _Session, item, name: str) -> None:
    """Name a clip rushes imported: SetName from 20.2, the "Clip Name" property before."""
    if s.edition.has("MediaPoolItem.SetName"):
        done = item.SetName(name)
    else:
        done = item.SetClipProperty("Clip Name", name)
    if not done:
        s.log("rushes: Resolve did not rename %r to %r" % (item.GetName(), name))


class _PoolRange(object):
    """A media pool clip's range for a job: its marked in/out, else all of it."""

    def __init__(self, s: _Session, item):
        self.path, self.name = str(item.GetClipProperty("File Path") or ""), item.GetName()
        try:
            self.rate = frames.parse_rate(item.GetClipProperty("FPS"))[0]
        except (ValueError, ZeroDivisionError):
            self.rate = s.clock.rate
        tc = str(item.GetClipProperty("Start TC") or "00:00:00:00")
        self.start_timecode = tc if ":" in tc else "00:00:00:00"
        first = frames.timecode_to_frame(self.start_timecode, self.rate)
        total = str(item.GetClipProperty("Frames") or "")
        count = int(total) if total.isdigit() else None
        marks = {}
        if s.edition.has("MediaPoolItem.GetMarkInOut"):
            marks = (item.GetMarkInOut() or {}).get("video") or {}
        else:
            s.log("rushes: %s: using all of %r" % (s.edition.needs("MediaPoolItem.GetMarkInOut"), self.name))
        start = int(marks["in"]) if "in" in marks else 0
        end = int(marks["out"]) + 1 if "out" in marks else count  # a mark out is the last frame in
        if end is None:
            raise ResolveActionError("clip %r does not say how many frames it has: mark an in and out" % self.name)
        self.input = self.path
        self.source_in, self.source_out = first + start, first + end
        self.whole = start == 0 and end == count


def _pool_range(s: _Session, item) -> _PoolRange:
    return _PoolRange(s, item)


def upscale_clips(resolve, color: str = "Orange", **options) -> dict:
    """The selected media pool clips (or the clip under the playhead, its used range) upscaled by
    gan.upscale -> a new clip beside each original in its media pool folder, coloured; the
    originals are untouched. Operator parameters as keywords (model, scale, encode, ...)."""
    return _run("upscale_clips", resolve, options,
                lambda s: _new_media(s, "gan.upscale", "upscaled", {"encode": "prores"}, color, "upscaled"))


def anonymize_clips(resolve, color: str = "Teal", **options) -> dict:
    """The selected media pool clips (or the clip under the playhead, its used range) with every face
    blurred (detect.faces anonymize) -> a new clip beside each original, coloured; originals untouched."""
    return _run("anonymize_clips", resolve, options,
                lambda s: _new_media(s, "detect.faces", "anonymized", {"anonymize": "blur"}, color, "anonymized"))
