"""Publish and QC: pyblish-base plug-ins that collect, validate, extract and integrate plates.

    import rushes.publish
    rushes.publish.register()                    # or register(HOST), or by path:
    pyblish.api.register_plugin_path(rushes.publish.PLUGIN_PATH)

    report = rushes.publish.publish(["plates/"], "/shows/abc/publish", load_spec("project.toml"))

See docs/publish.md.
"""
from __future__ import annotations

from .integrate import verify
from .lib import HOSTS, PlateInvalid
from .pipeline import PLUGIN_PATH, PublishInterrupted, Report, all_plugins, deregister, publish, register, \
    write_report
from .spec import ProjectSpec, SpecError, load_spec

__all__ = ["HOSTS", "PLUGIN_PATH", "PlateInvalid", "ProjectSpec", "PublishInterrupted", "Report", "SpecError",
           "deregister", "load_spec", "all_plugins", "publish", "register", "verify", "write_report"]
