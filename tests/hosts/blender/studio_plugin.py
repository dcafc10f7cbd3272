"""A studio's own rushes operator (studio.slate) for the Blender tests, as a package pip would install."""
from __future__ import annotations

import textwrap
from pathlib import Path

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
    (site / f"{MODULE}.py").write_text(textwrap.dedent(STUDIO))
    dist = site / f"{MODULE}-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: studio-ops\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text(f"[rushes]\n{MODULE} = {MODULE}\n")
    return site
