"""The host kit: what every rushes host adapter shares, in one place (standard library only).

It runs inside a host application's own Python (Blender, Nuke, Resolve) and never imports rushes
or anything outside the standard library. Each host package holds it as its own subpackage
``rushes_hostkit``: in a source checkout a link to hosts/kit/rushes_hostkit, in what
`rushes hosts package|install HOST` writes a real copy of it. A host keeps only its UI and its
annotation renderer.

- client: the job client (a link to rushes' own core/rushes/jobs/client.py): connect to the worker
  or start one, submit, follow, cancel.
- jobs: follow a job to its end (progress, cancel) and say why it did not finish.
- params: an operator parameter's `enabled_if`, evaluated the same way in every host.
- cache: the worker's operator list kept in a file, so a host builds its menus before a worker runs.
- folders: the default output folder, one rule for every host's layout (safe names, never a
  folder rushes did not make).
- results: a finished job's files as hosts pick them: the first of a kind, and its report page.
"""

__all__ = ["cache", "client", "folders", "jobs", "params", "results"]
