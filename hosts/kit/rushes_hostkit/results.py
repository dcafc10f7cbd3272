"""A finished job's result files as hosts pick them: the one of a kind to show (an .srt, an .otio)
and the job's report page, from the result's `outputs` (paths relative to its output folder)."""
from __future__ import annotations

import os
from typing import Any, Dict, List, Optional


def _job_result(status: Any) -> Dict[str, Any]:
    """A job's result ({out_dir, files, result}) from its status, or the result itself when given."""
    if not isinstance(status, dict):
        return {}
    if isinstance(status.get("out_dir"), str):
        return status
    inner = status.get("result")
    return inner if isinstance(inner, dict) and isinstance(inner.get("out_dir"), str) else {}


def outputs(status: Any) -> List[Dict[str, Any]]:
    """The result's files as the core describes them: each {path, kind, ...}, path relative to out_dir.
    Takes a job's status, its result ({out_dir, files, result}) or a result JSON itself."""
    if not isinstance(status, dict):
        return []
    result = _job_result(status).get("result")
    listed = (result if isinstance(result, dict) else status).get("outputs")
    return [e for e in listed or [] if isinstance(e, dict) and isinstance(e.get("path"), str)]


def first(status: Any, kind: str) -> Optional[str]:
    """The first result file of `kind` (its format, e.g. "srt", "otio", "html"; or "movie", "image
    sequence", ...) as a path relative to the output folder; None when the result has none."""
    return next((e["path"] for e in outputs(status) if e.get("kind") == kind), None)


def media_path(out_dir: str, path: str) -> str:
    """A result file's path as a host opens it: as given when absolute (a Media annotation may name a
    file elsewhere), else in the job's output folder `out_dir`."""
    return path if os.path.isabs(path) else os.path.join(out_dir, path)


def report_page(status: Any) -> Optional[str]:
    """The job's report page, the absolute path of `<stem>.html` in its output folder (the page the
    worker serves at /v1/jobs/ID/report): the stem of its result JSON, listed among its outputs and
    there on disk. None when the job is not done or has no page (an older rushes, a page removed)."""
    if isinstance(status, dict) and status.get("state") not in (None, "done"):
        return None
    job = _job_result(status)
    stems = [os.path.splitext(os.path.basename(str(f)))[0] for f in job.get("files") or [] if str(f).endswith(".json")]
    if not stems:
        return None
    name = stems[0] + ".html"
    if name not in {e["path"] for e in outputs(job)}:
        return None
    page = os.path.join(job["out_dir"], name)
    return page if os.path.isfile(page) else None
