"""The kinds of input an operator may read, and the file extensions each is known by, in one place.

Below every layer that needs them: operators check their `inputs` against these, media opens by
them, output folders and publishing tell pictures from movies and sound by them.
"""
from __future__ import annotations

# Input kinds an operator may accept, and the file extensions a host's file browser should offer.
INPUT_KINDS: dict[str, tuple[str, ...]] = {
    "movie": (".mov", ".mp4", ".m4v", ".mxf", ".mkv", ".avi", ".webm", ".mts"),
    "sequence": (".exr", ".dpx", ".tif", ".tiff", ".png", ".jpg", ".jpeg", ".tga", ".cin", ".hdr"),
    "image": (".exr", ".dpx", ".tif", ".tiff", ".png", ".jpg", ".jpeg", ".tga", ".bmp", ".hdr", ".cin"),
    "audio": (".wav", ".bwf", ".aif", ".aiff", ".flac", ".mp3", ".m4a", ".aac", ".ogg", ".opus"),
    "text": (".txt", ".fountain"),
    "edit": (".otio",),  # an edit whose clips name their media and source ranges
}
