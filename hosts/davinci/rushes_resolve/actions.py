"""Runs any rushes operator on the editor's Resolve timeline and shows its result there through the
result's annotations (standard library only): `run_operator`, and six presets of it behind the
Workspace > Scripts entries (markers at cuts, subtitles, scratch voice, upscaled and anonymized clips,
face markers).

Each takes the `resolve` object and keywords, so the same code runs from Workspace > Scripts, from
external scripting (Studio) and in tests. Keywords every action takes:

- `out`: folder for the results (default OUTPUT_ROOT/<project>/<timeline>/<action or operator>, with
  OUTPUT_ROOT from `settings["output_root"]`, else ~/rushes/resolve);
- `client` (a rushes_client.WorkerClient), else `state_dir`, `executable`, `start_worker`: the
  worker running for that state folder, or one started from the rushes executable;
- `log`: called with each message line (default: print, which is Resolve's console);
- how the result is shown (SHOW): `targets`, `input`, `at`, `bin`, `marker_color`, `clip_color`,
  `suffix`, `otio_timeline`, `place_media` (see run_operator).

Which clips an operator runs on follows from the inputs the worker says it reads: sound (audio
clips), pictures (video clips), or only a file such as a script (`input`). What it shows is its
annotations, rendered by render.py one type at a time: no code here knows a result kind.

Calls a Resolve release does not have (context.API_NEEDS, from each release's scripting README) are
never made there: what that leaves out is one log line naming the release needed.

Nothing here changes the user's edit: clips are never moved or trimmed, existing markers, tracks
and timelines are kept, and Resolve's destructive DetectSceneCuts is never called. Each returns a
summary dict; a missing project, timeline or clip, a stopped worker or a failed job is one
ResolveActionError with a message that says what to do.
"""
from __future__ import annotations

import os

from . import frames
from . import render
from .rushes_hostkit import results
from .context import (CLIP_COLORS, MARKER_COLORS, ClipUse, ResolveActionError, TimelineClock, Worker, clips_on,
                      current, edition, frame_count, output_folder, safe_name)

BIN = render.BIN
SESSION = ("out", "client", "state_dir", "executable", "start_worker", "log", "settings")
SHOW = ("targets", "input", "at", "bin", "marker_color", "clip_color", "suffix", "otio_timeline", "place_media")
TARGETS = ("timeline", "playhead", "selected")
PICTURES = ("movie", "sequence", "image")
SETTINGS_HINT = 'the "run_operator" section of rushes_settings.json (in rushes_lib, beside rushes_resolve)'


class _Session(object):
    """One action run: the checked Resolve state, the output folder and the worker."""

    def __init__(self, resolve, options: dict):
        self.log = options.pop("log", None) or print
        self.settings = options.pop("settings", None) or {}
        self._out = options.pop("out", None)
        client = options.pop("client", None)
        state_dir = options.pop("state_dir", None) or self.settings.get("state_dir")
        executable = options.pop("executable", None) or self.settings.get("rushes_executable")
        start = options.pop("start_worker", self.settings.get("start_worker", True))
        self.edition = edition(resolve)
        self.project, self.pool, self.timeline = current(resolve)
        self.clock = TimelineClock(self.project, self.timeline)
        self.out = None
        self._worker_args = (client, state_dir, executable, start)
        self.worker = None
        self.reports = []  # each done job's report page, in the order they ran

    def output(self, action: str) -> str:
        self.out = output_folder(self._out, self.project, self.timeline, action, self.settings)
        return self.out

    def connect(self) -> Worker:
        if self.worker is None:
            self.worker = Worker(*self._worker_args)
        return self.worker

    def job(self, operator: str, path: str, folder: str, media: dict | None, params: dict) -> dict:
        spec = {"operator": operator, "input": path, "out": os.path.join(self.out, folder), "params": dict(params)}
        if media:
            spec["media"] = media
        result = self.connect().run(spec, "%s on %s" % (operator, os.path.basename(path)), self.log)
        page = results.report_page(result)
        if page and page not in self.reports:
            self.reports.append(page)
        return result

    def close(self) -> None:
        if self.worker is not None:
            self.worker.close()


def run_operator(resolve, operator=None, params: dict | None = None, **options) -> dict:
    """Run the worker's operator `operator` (its name, or its number in the list the worker gives,
    sorted by name) with `params` on the current timeline, and show its annotations.

    What it runs on: an operator that reads sound runs on each audio clip of the timeline
    (`targets="playhead"`: those under the playhead); one that reads pictures on each video clip
    (`targets`: "timeline", the default; "playhead", the clip under the playhead; "selected", the clips
    selected in the media pool, else the clip under the playhead), within the part of the source
    each clip plays; one that reads only other files (a script) on the file `input` (also taken from
    `params["input"]` where the operator has no parameter of that name), its result placed from `at`
    (the playhead, "start" or a timecode). A clip's job runs once for each media and range.

    How it shows (render.py): `marker_color` (a Resolve marker colour for every marker instead of the
    annotations' own), `clip_color` and `suffix` for media it imports (default Orange and the
    operator's name: "<clip> <suffix>"), `bin` (media pool bin, default "rushes"), `place_media`
    (False: into the media pool only), `otio_timeline` (True: also a new timeline of the video clips
    cut at the markers). Without `operator` it lists what the worker offers and runs nothing.
    """
    return _run(resolve, operator, params, None, options)


def _run(resolve, operator, params, action, options: dict) -> dict:
    unknown = sorted(set(options) - set(SESSION) - set(SHOW))
    if unknown:
        raise ResolveActionError("run_operator has no option %s (options: %s; the operator's own parameters go in "
                                 "params)" % (", ".join(repr(k) for k in unknown), ", ".join(SESSION + SHOW)))
    if params is not None and not isinstance(params, dict):
        raise ResolveActionError("params %r is not a set of operator parameters (a JSON object)" % (params,))
    show = {k: options.pop(k) for k in SHOW if k in options and options[k] is not None}
    targets = show.get("targets") or "timeline"
    if targets not in TARGETS:
        raise ResolveActionError("targets %r is not one rushes knows (%s)" % (targets, ", ".join(TARGETS)))
    render.check_color(show.get("marker_color"), MARKER_COLORS, "marker colour")  # before any work
    render.check_color(show.get("clip_color"), CLIP_COLORS, "clip colour")
    s = _Session(resolve, options)
    try:
        ops = s.connect().operators()
        if operator is None or str(operator).strip() == "":
            return _offer(s, ops)
        op = _pick(ops, operator)
        s.output(action or op["name"])
        params = dict(params or {})
        given = show.get("input")
        if given is None and "input" in params and "input" not in {p.get("name") for p in op.get("params", [])}:
            given = params.pop("input")
        canvas = render.Canvas(s, op, show)
        kinds = [i.get("kind") for i in op.get("inputs", [])]
        if given or not set(kinds) & set(PICTURES + ("audio",)):
            _on_file(s, canvas, op, given, params, show.get("at") or "playhead")
        elif "audio" in kinds:
            _on_sound(s, canvas, op, params, targets)
        else:
            _on_pictures(s, canvas, op, params, targets)
        return canvas.finish()
    finally:
        s.close()


def _offer(s: _Session, ops: list) -> dict:
    """The worker's operators, numbered, and how to choose one: nothing runs."""
    ordered = sorted(ops, key=lambda o: o["name"])
    s.log("rushes: the rushes worker offers %d operator(s); choose one by name or number as \"operator\" in %s, "
          "its parameters as \"params\":" % (len(ordered), SETTINGS_HINT))
    for n, op in enumerate(ordered, 1):
        reads = ", ".join(i.get("kind", "?") for i in op.get("inputs", []))
        params = ", ".join("%s=%r" % (p["name"], p.get("default")) for p in op.get("params", []))
        s.log("rushes: %2d. %s: %s (reads %s; parameters: %s)" % (n, op["name"], op.get("summary", ""), reads,
                                                                 params or "none"))
    return {"operators": [op["name"] for op in ordered], "out": None}


def _pick(ops: list, chosen) -> dict:
    ordered = sorted(ops, key=lambda o: o["name"])
    names = ", ".join("%d. %s" % (n, op["name"]) for n, op in enumerate(ordered, 1))
    if not isinstance(chosen, bool) and (isinstance(chosen, int) or str(chosen).strip().isdigit()):
        number = int(chosen)
        if 1 <= number <= len(ordered):
            return ordered[number - 1]
        raise ResolveActionError("the rushes worker has no operator number %d (it offers %s)" % (number, names))
    for op in ordered:
        if op["name"] == str(chosen).strip():
            return op
    raise ResolveActionError("the rushes worker has no operator %r (it offers %s)" % (chosen, names))


def _same(a, b) -> bool:
    return bool(a) and bool(b) and os.path.normcase(os.path.normpath(str(a))) == os.path.normcase(os.path.normpath(str(b)))


def _show(canvas: render.Canvas, status: dict, input_path: str, place_for) -> None:
    """The annotation sets of a job's result on `input_path`, each at `place_for(set)`."""
    result = status.get("result") or {}
    block = result.get("annotations")
    if not isinstance(block, dict):
        raise ResolveActionError("the %s result has no annotations: the rushes worker is older than these scripts "
                                 "(update rushes, then restart `rushes serve`)" % canvas.operator)
    sets = [x for x in block.get("sets") or [] if isinstance(x, dict)]
    mine = [x for x in sets if _same((x.get("source") or {}).get("path"), input_path)]
    if not mine and len(sets) == 1:  # one source: the input, whatever the worker calls it (a sequence's pattern)
        mine = sets
    for other in sets:
        if all(other is not x for x in mine):
            canvas.skip("on a source no clip plays", len(other.get("items") or []))
    for x in mine:
        canvas.show(place_for(x), list(x.get("items") or []), status.get("out_dir") or "")


def _media_for(op: dict, media: dict) -> dict:
    """The job's media description, with only the fields the operator takes."""
    wanted = set(op.get("media") or ())
    return {k: v for k, v in media.items() if k in wanted}


def _on_pictures(s: _Session, canvas: render.Canvas, op: dict, params: dict, targets: str) -> None:
    if targets == "selected":
        chosen = _selected(s)
    elif targets == "playhead":
        chosen = _under_playhead(s)
        if not chosen:
            raise ResolveActionError("no clip under the playhead of %r: put the playhead over a video clip" % s.clock.name)
    else:
        uses = clips_on(s.timeline, "video", s.clock, s.edition)
        if not uses:
            raise ResolveActionError("timeline %r has no video clips with media on enabled tracks" % s.clock.name)
        chosen = [(use.media, use) for use in uses]
    s.log("rushes: %s on %d clip(s) of %r (%s)" % (op["name"], len(chosen), s.clock.name, s.edition))
    ranged = bool((op.get("capabilities") or {}).get("frame_ranges"))
    done = {}
    for n, (item, use) in enumerate(chosen, 1):
        span = use if use is not None else _PoolRange(s, item)
        media = {"rate": frames.rate_text(span.rate)}
        if span.start_timecode:
            media["start_timecode"] = span.start_timecode
        if ranged and not getattr(span, "whole", False):  # all of a clip: no range, so a movie is encoded as well
            media["frame_range"] = [span.source_in, span.source_out]
        media = _media_for(op, media)
        key = (span.input, tuple(media.get("frame_range") or ()))
        if key not in done:
            sub = "%s/%02d_%s_%d-%d" % (canvas.stem, n, safe_name(os.path.splitext(os.path.basename(span.path))[0]),
                                        span.source_in, span.source_out)
            done[key] = s.job(op["name"], span.input, sub, media, params)
        place = render.Place.clip(use) if use is not None else render.Place.pool(item, span)
        _show(canvas, done[key], span.input, lambda x: place)


def _on_sound(s: _Session, canvas: render.Canvas, op: dict, params: dict, targets: str) -> None:
    """Each audio clip's whole file once, at the timeline's rate from the head of the file (an audio
    clip's in-point counts timeline frames), shown where each clip plays it."""
    uses = clips_on(s.timeline, "audio", s.clock, s.edition)
    where = "with media on enabled tracks"
    if targets != "timeline":
        at = _record_origin(s, "playhead")
        uses = [use for use in uses if use.record_in <= at < use.record_out]
        where = "under the playhead (%s)" % s.clock.timecode(at)
    if not uses:
        raise ResolveActionError("timeline %r has no audio clips %s" % (s.clock.name, where))
    s.log("rushes: %s on %d audio clip(s) of %r" % (op["name"], len(uses), s.clock.name))
    media = _media_for(op, {"rate": frames.rate_text(s.clock.rate), "start_timecode": "00:00:00:00"})
    done = {}
    for use in uses:
        if use.path not in done:
            sub = "%s/%02d_%s" % (canvas.stem, len(done) + 1, safe_name(os.path.splitext(os.path.basename(use.path))[0]))
            done[use.path] = s.job(op["name"], use.path, sub, media, params)
        place = render.Place.clip(use)
        _show(canvas, done[use.path], use.path, lambda x: place)


def _on_file(s: _Session, canvas: render.Canvas, op: dict, given, params: dict, at: str) -> None:
    """An operator run on a file, not on clips (a script): its result from `at` on the timeline."""
    reads = ", ".join("%s (%s)" % (i.get("kind"), " ".join(i.get("extensions", []))) for i in op.get("inputs", []))
    if not given:
        raise ResolveActionError("%s reads a file, %s: give its path as \"input\" in %s" % (op["name"], reads,
                                                                                           SETTINGS_HINT))
    path = os.path.abspath(os.path.expanduser(str(given)))
    if not os.path.isfile(path):
        raise ResolveActionError("no file at %r: give \"input\", the file %s reads: %s" % (str(given), op["name"], reads))
    origin = _record_origin(s, at)
    s.log("rushes: %s on %s, onto %r from %s" % (op["name"], os.path.basename(path), s.clock.name,
                                                 s.clock.timecode(origin)))
    status = s.job(op["name"], path, "%s_%s" % (canvas.stem, safe_name(os.path.splitext(os.path.basename(path))[0])),
                   None, params)
    _show(canvas, status, path, lambda x: render.Place.at(os.path.basename(path), origin, s.clock, x.get("source") or {}))


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


def _under_playhead(s: _Session) -> list:
    """[(media pool item, ClipUse)] of the video clip under the playhead, or []."""
    item = s.timeline.GetCurrentVideoItem()
    if item and item.GetMediaPoolItem():
        use = ClipUse(item, "video", _track_of(s, item), s.clock, s.edition)
        if use.path:
            return [(use.media, use)]
    return []


def _track_of(s: _Session, item) -> int:
    wanted = item.GetUniqueId()
    for track in range(1, int(s.timeline.GetTrackCount("video") or 0) + 1):
        if any(other.GetUniqueId() == wanted for other in s.timeline.GetItemListInTrack("video", track) or []):
            return track
    return 1


def _selected(s: _Session) -> list:
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
    under = _under_playhead(s)
    if under:
        if not s.edition.has("MediaPool.GetSelectedClips"):
            s.log("rushes: %s: taking %r under the playhead" % (s.edition.needs("MediaPool.GetSelectedClips"),
                                                                 under[0][1].name))
        return under
    raise ResolveActionError("no clip chosen: " + hint)


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
        self.first = frames.timecode_to_frame(self.start_timecode, self.rate)
        count = frame_count(item)
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
        self.source_in, self.source_out = self.first + start, self.first + end
        self.whole = start == 0 and end == count


def _preset(action: str, operator: str, resolve, options: dict, params: dict | None = None, **show) -> dict:
    """`operator` with a preset's way of showing it (`show`, under the user's own keywords): the
    keywords that are neither session nor show options are the operator's parameters."""
    mine = {k: v for k, v in options.items() if k in SESSION or k in SHOW}
    merged = dict(params or {})
    merged.update({k: v for k, v in options.items() if k not in mine})
    show.update(mine)
    return _run(resolve, operator, merged, action, show)


def markers_at_cuts(resolve, color: str = "Cyan", otio_timeline: bool = False, **options) -> dict:
    """detect.shots on each video clip of the timeline -> a marker at each cut it finds there; with
    `otio_timeline`, also a new timeline of the clips cut at those markers (one clip per shot)."""
    return _preset("markers_at_cuts", "detect.shots", resolve, options, marker_color=color, otio_timeline=otio_timeline)


def face_markers(resolve, color: str = "Pink", **options) -> dict:
    """detect.faces on each video clip of the timeline -> a clip marker for each face as long as it is
    seen, and a marker where a face's expression changes."""
    return _preset("face_markers", "detect.faces", resolve, options, marker_color=color)


def subtitles(resolve, bin: str = BIN, **options) -> dict:
    """speech.transcribe on each audio clip of the timeline -> its subtitles, inside each clip's in/out
    at its record frames, in one SRT placed on a new subtitle track."""
    return _preset("subtitles", "speech.transcribe", resolve, options, bin=bin)


def scratch_voice(resolve, script_path: str = "", at: str = "playhead", bin: str = BIN, **options) -> dict:
    """speech.synthesize on a `CHARACTER: line` script -> the voiced lines on a new audio track from
    `at` (the playhead, "start" or a timecode), and each line as a subtitle with who speaks it."""
    if not script_path:
        raise ResolveActionError("no script file: give script_path, a text file of CHARACTER: line lines")
    return _preset("scratch_voice", "speech.synthesize", resolve, options, input=script_path, at=at, bin=bin)


def upscale_clips(resolve, color: str = "Orange", **options) -> dict:
    """gan.upscale (default encode="prores") on the selected media pool clips (or the clip under the
    playhead, its used range) -> a new clip "<clip> upscaled" beside each, coloured; the originals stay."""
    return _preset("upscale_clips", "gan.upscale", resolve, options, {"encode": "prores"}, targets="selected",
                   clip_color=color, suffix="upscaled")


def anonymize_clips(resolve, color: str = "Teal", **options) -> dict:
    """detect.faces with every face blurred on the selected media pool clips (or the clip under the
    playhead) -> a new clip "<clip> anonymized" beside each, coloured; the originals stay."""
    return _preset("anonymize_clips", "detect.faces", resolve, options, {"anonymize": "blur"}, targets="selected",
                   clip_color=color, suffix="anonymized")
