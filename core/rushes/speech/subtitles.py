"""Subtitles from timed words: reading-friendly cues, balanced line breaks, frame-snapped timing.

Timing is computed in frames of the media's exact rate (24000/1001 stays exact over hours): a
subtitle starts on the frame of its first word's onset and ends on the frame after its last word,
then is held for the minimum duration and kept a gap of frames clear of the next one.
"""
from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from ..results import Subtitle, Word, seconds_to_frame

SENTENCE_END = (".", "?", "!", "…", "。", "？", "！")
# words ending in a full stop that do not end a sentence
ABBREVIATIONS = {"mr", "mrs", "ms", "dr", "st", "jr", "sr", "prof", "mt", "vs", "etc", "no", "vol", "fig",
                 "gen", "col", "capt", "lt", "sgt", "rev", "hon", "messrs", "mme", "mlle", "m"}


def ends_sentence(word: str) -> bool:
    word = word.strip().rstrip("\"'”’»)")
    if not word.endswith(SENTENCE_END):
        return False
    stem = word.rstrip(".").lower()
    return not (word.endswith(".") and (stem in ABBREVIATIONS or (len(stem) == 1 and stem.isalpha())))


@dataclass(frozen=True)
class SubtitleStyle:
    max_chars: int = 42  # per line (Netflix-style English: 42)
    max_lines: int = 2
    min_duration: float = 0.833  # seconds (20 frames at 24 fps)
    max_duration: float = 7.0  # seconds
    gap_frames: int = 2  # frames left clear between two subtitles
    max_pause: float = 1.0  # a pause this long between words starts a new subtitle


def build_subtitles(words: list[Word], rate: Fraction, style: SubtitleStyle, first_frame: int = 0) -> list[Subtitle]:
    """Group words into subtitles and time them on frames."""
    groups: list[list[Word]] = []
    for word in words:
        if not word.text.strip():
            continue
        current = groups[-1] if groups else None
        if current is None or _starts_new(current, word, style):
            groups.append([word])
        else:
            current.append(word)
    frame = lambda t: seconds_to_frame(t, rate, first_frame)  # noqa: E731
    min_frames = max(1, round(style.min_duration * rate))
    cues = []
    for group in groups:
        start = frame(group[0].start)
        end = max(frame(group[-1].end), start + 1)
        cues.append([start, end, wrap(" ".join(w.text.strip() for w in group), style.max_chars, style.max_lines)])
    for i, cue in enumerate(cues):
        limit = cues[i + 1][0] - style.gap_frames if i + 1 < len(cues) else None
        if cue[1] - cue[0] < min_frames:
            cue[1] = cue[0] + min_frames
        if limit is not None and cue[1] > limit:
            cue[1] = max(limit, cue[0] + 1)
    return [Subtitle(a, b, lines) for a, b, lines in cues]


def _starts_new(group: list[Word], word: Word, style: SubtitleStyle) -> bool:
    last = group[-1]
    if ends_sentence(last.text):
        return True
    if word.start - last.end >= style.max_pause:
        return True
    if word.end - group[0].start > style.max_duration:
        return True
    text = " ".join(w.text.strip() for w in [*group, word])
    return len(wrap(text, style.max_chars, style.max_lines)) > style.max_lines or \
        any(len(line) > style.max_chars for line in wrap(text, style.max_chars, style.max_lines))


def wrap(text: str, max_chars: int, max_lines: int) -> list[str]:
    """Break `text` into the fewest lines of at most `max_chars`, as even as possible.

    With several layouts of the same line count, the one whose longest line is shortest wins
    (ties go to a longer bottom line, the subtitling convention). A single word longer than a line
    stays whole on its own line. Returns more than `max_lines` lines only when the text cannot fit.
    """
    words = text.split()
    if not words:
        return []
    if len(text) <= max_chars:
        return [" ".join(words)]
    for count in range(2, max(max_lines, 1) + 1):
        best = _best_split(words, count, max_chars)
        if best is not None:
            return best
    lines, line = [], ""
    for w in words:  # does not fit in max_lines: fill lines greedily
        if line and len(line) + 1 + len(w) > max_chars:
            lines.append(line)
            line = w
        else:
            line = f"{line} {w}" if line else w
    return [*lines, line]


def _best_split(words: list[str], count: int, max_chars: int) -> list[str] | None:
    best, best_key = None, None
    for cuts in _cut_points(len(words), count):
        bounds = [0, *cuts, len(words)]
        lines = [" ".join(words[a:b]) for a, b in zip(bounds, bounds[1:])]
        longest = max(len(line) for line in lines)
        if longest > max_chars:
            continue
        key = (longest, -len(lines[-1]))
        if best_key is None or key < best_key:
            best, best_key = lines, key
    return best


def _cut_points(n: int, count: int, start: int = 1):
    if count == 1:
        yield ()
        return
    for cut in range(start, n - count + 2):
        for rest in _cut_points(n, count - 1, cut + 1):
            yield (cut, *rest)
