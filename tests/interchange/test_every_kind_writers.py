"""Writers for every result kind (kind "*"): a host's one writer from annotations writes a studio's
own kind too, is handed the envelope and the output folder, and yields to a kind's own writer."""
from __future__ import annotations

WRITERS = '''
from rushes.hookspecs import hookimpl


def every(result, envelope=None, out_dir=None):
    sets = result.annotation_sets(envelope["media"])
    return f"{result.kind_name()} by {envelope['operator']} in {out_dir.name}: {len(sets[0].items)} annotations\\n"


def cuts_own(result):
    return "the cuts' own\\n"


@hookimpl
def rushes_writers():
    return [("*", "every", f"{__name__}:every"), ("Cuts", "every", f"{__name__}:cuts_own"),
            ("*", "json", f"{__name__}:cuts_own")]
'''


def test_a_writer_for_every_kind_writes_a_studio_kind_and_yields_to_a_kinds_own(plugin_package, edit_clip,
                                                                                tmp_path):
    import rushes
    from fixtures import studio
    from rushes.interchange import kinds

    plugin_package(studio.MODULE, studio.SOURCE)
    writers = plugin_package("every_kind_writers", WRITERS)
    out = rushes.run("studio.breakdown", edit_clip[0], tmp_path / "break down", {"key": 3}).out_dir
    assert (out / "breakdown.every").read_text() == "Breakdown by studio.breakdown in break down: 6 annotations\n"
    assert kinds()["Cuts"].writer("every") is writers.cuts_own  # the kind's own, named after "*"'s
    assert kinds()["Frames"].writer("every") is writers.every
    assert '"kind": "Breakdown"' in (out / "breakdown.json").read_text()  # JSON stays the core's
