"""A studio's own rushes operator (studio.slate) for the Blender tests, as a package pip would install."""
from __future__ import annotations

from pathlib import Path

from fixtures import studio

MODULE = "studio_ops"
STUDIO = '''
    """A studio's own rushes operator: the slate's last frame as a cut."""
    from rushes import Operator, Param
    from rushes.hookspecs import hookimpl
    from rushes.results import Cuts

    class Slate(Operator):
        name = "studio.slate"
        summary = "Mark where the slate ends"
        inputs = ("movie",)
        result = "Cuts"
        output_stem = "slate"
        params = (Param("frames", int, 24, "Slate frames", "how long the slate runs", min=1, max=100),)

        def run(self, media, params, ctx):
            cut = media.first_frame + params["frames"]
            return Cuts(str(media.path), media.rate, media.first_frame, media.frame_count, [cut], [1.0], "slate")

    @hookimpl
    def rushes_operators():
        return [Slate]
'''


def write(site: Path) -> Path:
    """The package and its dist-info (entry point group `rushes`) in `site`, for a worker's PYTHONPATH."""
    return studio.write(site, MODULE, STUDIO)
