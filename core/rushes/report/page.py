"""The HTML of a report page and of an output folder's index: self-contained (no script, no network;
a strict Content-Security-Policy says so to the browser), each annotation type rendered in one function."""
from __future__ import annotations

import base64
import hashlib
import html
from typing import Any, Iterable
from urllib.parse import quote

from ..annotations import Caption, Marker, Range
from .layout import Layout, MediaView, Sample, SetView, Stretch, TrackView, path_points
from .pictures import Picture

MAX_LANES = 16  # lanes of the timeline strip for ranges (one per name) and for tracks
# the annotation colours (rushes.annotations.COLORS) as a browser shows them
PALETTE = {"red": "#e5484d", "green": "#30a46c", "blue": "#3e63dd", "cyan": "#05a2c2", "yellow": "#f5d90a",
           "pink": "#d6409f", "purple": "#8e4ec6", "fuchsia": "#c700c7", "rose": "#e93d82",
           "lavender": "#b8a7ea", "sky": "#68ddfd", "mint": "#70e1c8", "lemon": "#d4e157", "sand": "#c2a887",
           "cocoa": "#8d6e63", "cream": "#f3e5c0", "": "#8b8d98"}
TRACK_COLORS = ("#ffb224", "#3dd68c", "#52a9ff", "#ff6369", "#bf7af0", "#4ccce6", "#f76b15", "#d6e33a")

STYLE = """
:root { color-scheme: dark; --bg: #18191b; --panel: #212225; --line: #363a3f; --text: #edeef0;
  --muted: #a0a3a9; --accent: #52a9ff; }
* { box-sizing: border-box; }
body { margin: 0; background: var(--bg); color: var(--text); font: 14px/1.45 system-ui, sans-serif; }
header, main > section, footer { padding: .6em 1.2em; }
header { border-bottom: 1px solid var(--line); }
h1 { font-size: 1.35em; margin: 0 0 .2em; } h2 { font-size: 1.15em; margin: 1.2em 0 .4em; }
h3 { font-size: 1em; margin: 1em 0 .4em; color: var(--muted); font-weight: 600; }
a { color: var(--accent); }
.meta, .note, figcaption, .muted { color: var(--muted); font-size: .9em; }
code { overflow-wrap: anywhere; }
dl.params { display: grid; grid-template-columns: max-content 1fr; gap: 0 1em; margin: .3em 0; }
dl.params dt { color: var(--muted); } dl.params dd { margin: 0; overflow-wrap: anywhere; }
ol.cards { list-style: none; margin: 0; padding: 0; display: grid; gap: .8em;
  grid-template-columns: repeat(auto-fill, minmax(min(100%, 330px), 1fr)); }
ol.cards.wide { grid-template-columns: 1fr; }
.card { background: var(--panel); border: 1px solid var(--line); border-radius: 6px; padding: .5em; }
.thumbs { display: flex; gap: .4em; overflow-x: auto; }
figure { margin: 0; }
img { display: block; max-width: 100%; height: auto; background: #000; }
.thumbs figure { flex: 1 1 0; min-width: 0; max-width: 320px; }
.thumbs img { width: 100%; }
.missing { display: grid; place-items: center; background: #000; color: var(--muted); min-height: 4em;
  padding: .5em; font-size: .85em; }
.timeline { display: grid; grid-template-columns: minmax(5em, 12em) 1fr; gap: 2px .6em; align-items: center;
  margin: .4em 0; }
.timeline .lane { font-size: .85em; color: var(--muted); overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
.timeline svg { width: 100%; height: 14px; display: block; background: var(--panel); }
table { border-collapse: collapse; font-size: .9em; }
td, th { border-bottom: 1px solid var(--line); padding: .15em .6em; text-align: left; vertical-align: top; }
.overlay { position: relative; display: inline-block; max-width: 100%; }
.overlay svg { position: absolute; inset: 0; width: 100%; height: 100%; }
.overlay .blank { background: #000; }
.samples { display: grid; gap: .8em; grid-template-columns: repeat(auto-fill, minmax(min(100%, 480px), 1fr)); }
ol.crops { list-style: none; padding: 0; margin: .6em 0; display: flex; flex-wrap: wrap; gap: .6em; }
ol.crops li { background: var(--panel); border: 1px solid var(--line); border-radius: 6px; padding: .4em; max-width: 16em; }
ol.crops ul { margin: .2em 0 0; padding-left: 1.1em; font-size: .85em; }
ol.captions { list-style: none; padding: 0; margin: 0; }
ol.captions li { border-bottom: 1px solid var(--line); }
ol.captions a, ol.captions .line { display: grid; grid-template-columns: 7.5em 8em 1fr; gap: .6em; padding: .25em .2em;
  color: inherit; text-decoration: none; }
ol.captions a:hover, ol.captions a:focus { background: var(--panel); }
.speaker { color: var(--accent); font-weight: 600; overflow-wrap: anywhere; }
.text { white-space: pre-line; }
.tc { font-variant-numeric: tabular-nums; color: var(--muted); }
.shown { display: none; }
.shown:target { display: flex; position: fixed; inset: 0; background: rgba(0, 0, 0, .85); z-index: 10;
  align-items: center; justify-content: center; flex-direction: column; gap: .5em; padding: 1em; }
.shown:target img { max-height: 80vh; width: auto; }
.shown .close { color: var(--text); }
.pairs { display: flex; flex-wrap: wrap; gap: .8em; }
.pair { display: flex; gap: .3em; background: var(--panel); padding: .4em; border-radius: 6px; flex-wrap: wrap; }
.pair figure { max-width: 320px; }
ul.runs { list-style: none; padding: 0; display: grid; gap: .6em; }
"""
_STYLE_HASH = base64.b64encode(hashlib.sha256(STYLE.encode("utf-8")).digest()).decode()
# what the page may load: its own pictures and sound beside it, its one style (and a blank icon, so a
# browser asks a server for none); no script, no network
POLICY = (f"default-src 'none'; img-src 'self' data:; media-src 'self'; style-src 'sha256-{_STYLE_HASH}'; "
          "base-uri 'none'; form-action 'none'")


def e(value: Any) -> str:
    return html.escape(str(value), quote=True)


def _document(title: str, body: str) -> str:
    return (f'<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
            f'<meta http-equiv="Content-Security-Policy" content="{e(POLICY)}">\n'
            f'<meta name="referrer" content="no-referrer">\n'
            f'<link rel="icon" href="data:,">\n'  # else a browser asks the server for /favicon.ico
            f'<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            f"<title>{e(title)}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n{body}\n</body>\n</html>\n")


class Page:
    """The page of one result: the layout in HTML, its pictures named under `folder` (`<stem>_pictures`)."""

    def __init__(self, layout: Layout, folder: str, written: set[str], problems: list[str] | None = None):
        self.layout = layout
        self.folder = folder
        self.written = written  # the pictures that exist (a frame past a movie's end has none)
        self.problems = problems or []  # what went wrong making them

    def img(self, picture: Picture | None, alt: str, missing: str = "no picture") -> str:
        if picture is None or picture.name not in self.written:
            return f'<div class="missing">{e(missing)}</div>'
        w, h = picture.size
        return (f'<img src="{e(quote(self.folder))}/{e(quote(picture.name))}" width="{w}" height="{h}" loading="lazy" '
                f'decoding="async" alt="{e(alt)}">')

    def html(self) -> str:
        doc, stem = self.layout.doc, self.layout.stem
        title = f"{stem} · {doc.get('operator', '')}"
        return _document(title, "\n".join([self.header(), "<main>", *(self.set_section(s) for s in self.layout.sets),
                                           self.nothing(), "</main>"]))

    def header(self) -> str:
        doc = self.layout.doc
        counts: dict[str, int] = {}
        for s in self.layout.sets:
            for name, n in (("markers", len(s.markers) + sum(1 for x in s.stretches if x.marker)
                             + sum(len(t.notes) for t in s.tracks)), ("ranges", len(s.ranges)),
                            ("tracks", len(s.tracks)), ("captions", len(s.captions)), ("media", len(s.media))):
                counts[name] = counts.get(name, 0) + n
        said = ", ".join(f"{n} {name if n != 1 or name == 'media' else name[:-1]}" for name, n in counts.items() if n) \
            or "no annotations"
        params = "".join(f"<dt>{e(k)}</dt><dd>{e(v)}</dd>" for k, v in (doc.get("params") or {}).items())
        outputs = ", ".join(f"<code>{e(o.get('path'))}</code>" for o in doc.get("outputs") or [] if isinstance(o, dict))
        notes = self.problems + [n for n in doc.get("notes") or [] if isinstance(n, str)]
        sheet = f'<a href="{e(quote(self.layout.stem))}_sheet.jpg">contact sheet</a>'
        said = " · ".join([e(said), f"rushes {e(doc.get('rushes_version', ''))}"]
                          + ([sheet] if self.layout.sheet_cells() else []))
        return "\n".join([
            "<header>", f"<h1>{e(doc.get('operator', 'result'))} <span class='muted'>{e(doc.get('kind', ''))}</span></h1>",
            f'<p class="meta" id="summary">{said}</p>',
            f'<details><summary class="meta">parameters</summary><dl class="params">{params}</dl></details>'
            if params else "",
            f'<p class="meta">Outputs: {outputs}</p>' if outputs else "",
            "".join(f'<p class="note">{e(n)}</p>' for n in notes[:20]), "</header>"])

    def nothing(self) -> str:
        if self.layout.sets:
            return ""
        return '<section><p class="muted">This result has no annotations: nothing to show.</p></section>'

    def set_section(self, s: SetView) -> str:
        src = s.source
        size = (src.width, src.height) if src.width and src.height else \
            ((s.reel.width, s.reel.height) if s.reel else None)
        clock = "milliseconds" if s.millis else \
            (f"{float(src.rate):.3f}".rstrip("0").rstrip(".") + " fps" if src.rate else "")
        facts = [f"{size[0]}×{size[1]}" if size else "", clock,
                 f"starts {src.start_timecode}" if src.start_timecode else "",
                 f"frames {s.span[0]}–{s.span[1] - 1}" if s.span and not s.millis else ""]
        parts = [f'<section class="set" id="set-{s.number}" data-set="{s.number}">',
                 f"<h2>{e(src.path)}</h2>", f'<p class="meta">{e(" · ".join(f for f in facts if f))}</p>']
        if s.problem:
            parts.append(f'<p class="note">No pictures: {e(s.problem)}</p>')
        if s.stretches:
            parts.append(self.stretches(s))
        if s.markers:
            parts.append(self.markers(s))
        parts.append(self.timeline(s))
        if s.ranges:
            parts.append(self.ranges(s))
        if s.tracks:
            parts.append(self.tracks(s))
        if s.captions:
            parts.append(self.captions(s))
        if s.media:
            parts.append(self.media(s))
        parts.append("</section>")
        return "\n".join(parts)

    # -- Marker: a thumbnail of its frame; markers alone cut the source into stretches -----------
    def stretches(self, s: SetView) -> str:
        cards = "\n".join(self.stretch(s, n, x) for n, x in enumerate(s.stretches, 1))
        return (f'<h3><span class="count">{len(s.stretches)}</span> stretch{"es" if len(s.stretches) != 1 else ""} '
                f"(the source cut at each marker)</h3>\n<ol class=\"cards\">\n{cards}\n</ol>")

    def stretch(self, s: SetView, n: int, x: Stretch) -> str:
        name = x.marker.name if x.marker else "start"
        figures = "".join(f"<figure>{self.img(p, f'{name}, {label} frame {frame}')}"
                          f"<figcaption>{label} · {frame} {e(s.timecode(frame))}</figcaption></figure>"
                          for label, frame, p in x.pictures)
        color = x.marker.color if x.marker else ""
        note = f' <span class="note">{e(x.marker.note)}</span>' if x.marker and x.marker.note else ""
        return (f'<li class="card stretch" id="s{s.number}-stretch-{n}" data-start="{x.start}" data-end="{x.end}" '
                f'data-color="{e(color)}"><div class="thumbs">{figures}</div>'
                f"<p><strong>{n}. {e(name)}</strong>{note}</p>"
                f'<p class="meta">{x.start}–{x.end - 1} · {e(s.length(x.start, x.end))} · {e(s.timecode(x.start))}</p></li>')

    def markers(self, s: SetView) -> str:
        cards = "\n".join(self.marker(s, m, p) for m, p in s.markers)
        return f'<h3>{len(s.markers)} marker{"s" if len(s.markers) != 1 else ""}</h3>\n<ol class="cards">\n{cards}\n</ol>'

    def marker(self, s: SetView, m: Marker, p: Picture | None) -> str:
        note = f' <span class="note">{e(m.note)}</span>' if m.note else ""
        return (f'<li class="card marker" data-frame="{m.frame}" data-color="{e(m.color)}">'
                f"{self.img(p, f'{m.name}, frame {m.frame}', s.problem or 'no picture')}"
                f"<p><strong>{e(m.name)}</strong>{note}</p>"
                f'<p class="meta">frame {m.frame} · {e(s.timecode(m.frame))}</p></li>')

    # -- Range (and the others' places in time): bars on a timeline strip ---------------------
    def timeline(self, s: SetView) -> str:
        if s.span is None:
            return ""
        a, b = s.span
        total = max(1, b - a)

        def x(frame: int) -> float:
            return round(1000 * (frame - a) / total, 2)

        lanes: list[tuple[str, str]] = []
        if s.stretches:
            rects = "".join(f'<rect x="{x(st.start)}" width="{max(0.5, x(st.end) - x(st.start))}" height="14" '
                            f'fill="{"#3a3f47" if n % 2 else "#4b525c"}"><title>{e((st.marker.name if st.marker else "start"))}: '
                            f"{st.start}–{st.end - 1} ({e(s.length(st.start, st.end))})</title></rect>"
                            for n, st in enumerate(s.stretches))
            lanes.append(("stretches", rects))
        ticks = [(m.frame, m.name, m.color) for m, _ in s.markers] + \
                [(st.start, st.marker.name, st.marker.color) for st in s.stretches if st.marker] + \
                [(m.frame, m.name, m.color) for t in s.tracks for m in t.notes]
        if ticks:
            lanes.append(("markers", "".join(f'<rect x="{x(f)}" width="1.5" height="14" fill="{PALETTE.get(c, PALETTE[""])}">'
                                             f"<title>{e(name)}: {f}</title></rect>" for f, name, c in ticks)))
        names: dict[str, list[Range]] = {}
        for r in s.ranges:
            names.setdefault(r.name if len(names) < MAX_LANES or r.name in names else "other ranges", []).append(r)
        for name, ranges in names.items():
            lanes.append((name, "".join(self.bar(s, x, r.start, r.end, r.name, r.color) for r in ranges)))
        for t in s.tracks[:MAX_LANES]:
            lo, hi = t.span
            lanes.append((t.track.name, self.bar(s, x, lo, hi, t.track.name, "", TRACK_COLORS[(t.number - 1) % 8])))
        if s.captions:
            lanes.append(("captions", "".join(self.bar(s, x, c.start, c.end, c.text[:60], "cyan") for c, _ in s.captions)))
        if s.media:
            lanes.append(("media", "".join(self.bar(s, x, m.media.first, m.media.last + 1, m.media.path, "purple")
                                           for m in s.media)))
        rows = "".join(f'<div class="lane" title="{e(name)}">{e(name)}</div>'
                       f'<svg viewBox="0 0 1000 14" preserveAspectRatio="none" role="img" aria-label="{e(name)}">'
                       f"{svg}</svg>" for name, svg in lanes)
        return f'<h3>Timeline <span class="muted">{a}–{b - 1}</span></h3><div class="timeline">{rows}</div>'

    def bar(self, s: SetView, x: Any, start: int, end: int, name: str, color: str, fill: str = "") -> str:
        left = x(start)
        return (f'<rect class="bar" x="{left}" width="{max(0.8, round(x(end) - left, 2))}" y="2" height="10" rx="2" '
                f'fill="{fill or PALETTE.get(color, PALETTE[""])}"><title>{e(name)}: {start}–{end - 1} '
                f"({e(s.length(start, end))})</title></rect>")

    def ranges(self, s: SetView) -> str:
        rows = "".join(f'<tr class="range" data-start="{r.start}" data-end="{r.end}"><td>{e(r.name)}</td>'
                       f"<td>{r.start}</td><td>{r.end - 1}</td><td>{e(s.timecode(r.start))}</td>"
                       f"<td>{e(s.length(r.start, r.end))}</td><td>{e(r.note)}</td></tr>" for r in s.ranges)
        table = (f"<table><thead><tr><th>name</th><th>first</th><th>last</th><th>starts</th><th>length</th>"
                 f"<th>note</th></tr></thead><tbody>{rows}</tbody></table>")
        head = f'{len(s.ranges)} range{"s" if len(s.ranges) != 1 else ""}'
        if len(s.ranges) > 50:  # long lists stay out of the way until asked for
            return f"<details><summary><h3>{head}</h3></summary>{table}</details>"
        return f"<h3>{head}</h3>{table}"

    # -- Track: drawn over a frame it is in (boxes, paths, a skeleton through parents), a crop each --
    def tracks(self, s: SetView) -> str:
        samples = "\n".join(self.sample(s, x) for x in s.samples)
        crops = "\n".join(self.crop(s, t) for t in s.tracks)
        return (f'<h3>{len(s.tracks)} track{"s" if len(s.tracks) != 1 else ""}</h3>\n<div class="samples">{samples}</div>\n'
                f'<ol class="crops">{crops}</ol>')

    def sample(self, s: SetView, x: Sample) -> str:
        width = s.reel.width if s.reel else (s.source.width or max(max(p[0] for p in t.track.points.values())
                                                                     for t in x.tracks) + 1)
        height = s.reel.height if s.reel else (s.source.height or max(max(p[1] for p in t.track.points.values())
                                                                       for t in x.tracks) + 1)
        picture = self.img(x.picture, f"frame {x.frame} with its tracks") if x.picture else \
            f'<svg class="blank" viewBox="0 0 {width} {height}" width="{min(640, width)}"></svg>'
        by_name = {t.track.name: t for t in s.tracks}
        shapes = []
        stroke = max(1.0, width / 400)
        for t in x.tracks:
            color = TRACK_COLORS[(t.number - 1) % len(TRACK_COLORS)]
            points = " ".join(f"{px:.1f},{py:.1f}" for px, py in path_points(t.track))
            shapes.append(f'<polyline points="{points}" fill="none" stroke="{color}" stroke-width="{stroke:.1f}" '
                          f'stroke-opacity=".7"/>')
            parent = by_name.get(t.track.parent or "")
            px, py = t.track.points[x.frame]
            if parent is not None and x.frame in parent.track.points:
                qx, qy = parent.track.points[x.frame]
                shapes.append(f'<line class="bone" x1="{qx:.1f}" y1="{qy:.1f}" x2="{px:.1f}" y2="{py:.1f}" '
                              f'stroke="#ffffff" stroke-width="{2 * stroke:.1f}"/>')
            box = (t.track.boxes or {}).get(x.frame)
            if box is not None:
                shapes.append(f'<rect class="box" x="{box[0]:.1f}" y="{box[1]:.1f}" width="{box[2] - box[0]:.1f}" '
                              f'height="{box[3] - box[1]:.1f}" fill="none" stroke="{color}" stroke-width="{2 * stroke:.1f}"/>')
            shapes.append(f'<circle cx="{px:.1f}" cy="{py:.1f}" r="{3 * stroke:.1f}" fill="{color}"/>'
                          f'<text x="{px + 4 * stroke:.1f}" y="{py - 4 * stroke:.1f}" fill="{color}" '
                          f'font-size="{12 * stroke:.1f}">{e(t.track.name)}</text>')
        overlay = (f'<svg viewBox="0 0 {width} {height}" preserveAspectRatio="none" aria-hidden="true">'
                   f"{''.join(shapes)}</svg>")
        names = ", ".join(t.track.name for t in x.tracks)
        return (f'<figure class="sample" data-frame="{x.frame}"><div class="overlay">{picture}{overlay}</div>'
                f"<figcaption>frame {x.frame} · {e(s.timecode(x.frame))} · {e(names)}</figcaption></figure>")

    def crop(self, s: SetView, t: TrackView) -> str:
        lo, hi = t.span
        notes = "".join(f"<li>{m.frame} {e(s.timecode(m.frame))}: {e(m.name.split(': ', 1)[1])}"
                        f"{' — ' + e(m.note) if m.note else ''}</li>" for m in t.notes)
        parent = f'<p class="meta">hangs from {e(t.track.parent)}</p>' if t.track.parent else ""
        return (f'<li class="track" data-track="{e(t.track.name)}">'
                f"{self.img(t.crop, f'{t.track.name} at frame {t.crop_frame}', s.problem or 'no picture')}"
                f"<p><strong>{e(t.track.name)}</strong></p>"
                f'<p class="meta">{lo}–{hi - 1} · {e(s.length(lo, hi))}</p>{parent}'
                f"{'<ul>' + notes + '</ul>' if notes else ''}</li>")

    # -- Caption: the text in time order; a click shows its frame --------------------------------
    def captions(self, s: SetView) -> str:
        lines, frames = [], []
        for n, (c, p) in enumerate(s.captions, 1):
            cells = (f'<span class="tc">{e(s.timecode(c.start) or c.start)}</span>'
                     f'<span class="speaker">{e(c.speaker)}</span><span class="text">{e(c.text)}</span>')
            if p is not None and p.name in self.written:
                target = f"s{s.number}-caption-{n}"
                lines.append(f'<li class="caption" data-start="{c.start}"><a href="#{target}">{cells}</a></li>')
                frames.append(self.caption_frame(s, c, p, target))
            else:
                lines.append(f'<li class="caption" data-start="{c.start}"><span class="line">{cells}</span></li>')
        return (f'<h3 id="s{s.number}-captions">{len(s.captions)} caption{"s" if len(s.captions) != 1 else ""}</h3>'
                f'<ol class="captions">{"".join(lines)}</ol>{"".join(frames)}')

    def caption_frame(self, s: SetView, c: Caption, p: Picture, target: str) -> str:
        who = f"{c.speaker}: " if c.speaker else ""
        return (f'<div class="shown" id="{target}" data-frame="{c.start}"><a class="close" href="#s{s.number}-captions">'
                f"{self.img(p, f'frame {c.start}')}</a><p>{e(who + c.text)}</p>"
                f'<p class="meta">frame {c.start} · {e(s.timecode(c.start))} · <a class="close" '
                f'href="#s{s.number}-captions">close</a></p></div>')

    # -- Media: the result's pictures beside the source's, at the same frames -------------------
    def media(self, s: SetView) -> str:
        return f"<h3>{len(s.media)} media</h3>" + "\n".join(self.medium(s, m) for m in s.media)

    def medium(self, s: SetView, m: MediaView) -> str:
        md = m.media
        name = f'<a href="{e(quote(m.href))}">{e(md.path)}</a>' if m.href else f"<code>{e(md.path)}</code>"
        head = (f'<div class="media" data-role="{e(md.role)}"><p><strong>{e(md.role)}</strong> {name} '
                f'<span class="meta">{md.first}–{md.last}{" · " + e(md.colorspace) if md.colorspace else ""}</span></p>')
        if md.role == "audio":
            player = f'<audio controls preload="none" src="{e(quote(m.href))}"></audio>' if m.href else ""
            return f"{head}{player}</div>"
        if m.problem:
            head += f'<p class="note">No pictures of it: {e(m.problem)}</p>'
        pairs = "".join(f'<div class="pair" data-frame="{frame}"><figure>{self.img(before, f"source, frame {frame}", s.problem or "no picture")}'
                        f"<figcaption>source · {frame}</figcaption></figure><figure>"
                        f"{self.img(after, f'{md.role}, frame {frame}', m.problem or 'no picture')}"
                        f"<figcaption>{e(md.role)} · {frame} {e(s.timecode(frame))}</figcaption></figure></div>"
                        for frame, before, after in m.pairs)
        return f'{head}<div class="pairs">{pairs}</div></div>'


def index_html(folder_name: str, runs: Iterable[dict[str, Any]]) -> str:
    """The index of an output folder: every run's page, newest first, with what it holds."""
    items = []
    for run in runs:
        page = run.get("page")
        link = f'<a href="{e(quote(page))}">{e(page)}</a>' if page else '<span class="muted">no page</span>'
        items.append(f'<li class="card run" data-page="{e(page or "")}"><p><strong>{e(run["operator"])}</strong> '
                     f'<span class="muted">{e(run["kind"])}</span> · {link}</p>'
                     f'<p class="meta">{e(run["source"])} · {e(run["said"])}{" · " + e(run["when"]) if run.get("when") else ""}</p></li>')
    body = (f"<header><h1>rushes results</h1><p class=\"meta\">{e(folder_name)}</p></header>\n<main><section>"
            f'<ul class="runs">{"".join(items) or "<li class=muted>No results.</li>"}</ul></section></main>')
    return _document(f"rushes results · {folder_name}", body)
