"""Running the operators a publish needs, through the backend the caller chose: in this process,
on the local worker (`rushes serve`, through the job client) or on Ray.

Every job writes into the publish's staging folder; a job asked twice (a validator's detect.shots
and the shot-list extract with the same settings) runs once.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Callable

from ..errors import RushesError

BACKENDS = ("local", "worker", "ray")


class JobFailed(RushesError):
    """A job of the publish failed on the backend (its own one-line error)."""


class PublishJobs:
    """Runs jobs for the plug-ins: `run(operator, input, out, params, media)` -> the result's JSON
    envelope and fields, with `out_dir` and `files`."""

    def __init__(self, staging: str | Path, backend: str = "local", models: Any = None,
                 state_dir: str | Path | None = None, ray_address: str | None = None,
                 progress: Callable[[str], None] | None = None):
        if backend not in BACKENDS:
            raise RushesError(f"unknown backend {backend!r} (choose {', '.join(BACKENDS)})")
        self.staging = Path(staging)
        self.backend = backend
        self.models = models
        self.state_dir = state_dir
        self.ray_address = ray_address
        self.progress = progress or (lambda message: None)
        self.done: dict[str, dict[str, Any]] = {}
        self._client = None
        self._started = None  # a worker this publish started, stopped by close()

    def folder(self, plate: str, step: str) -> Path:
        """The staging folder of one step of one plate."""
        from .integrate import folder_name

        return self.staging / folder_name(plate) / step

    def run(self, operator: str, input_path: str, out: str | Path, params: dict[str, Any] | None = None,
            media: dict[str, Any] | None = None) -> dict[str, Any]:
        from ..jobs.spec import JobSpec

        spec = JobSpec(operator, str(Path(input_path).absolute()), str(Path(out).absolute()), dict(params or {}),
                       media=media)
        key = json.dumps([operator, spec.input, spec.params, media], sort_keys=True, default=str)
        if key in self.done:
            return self.done[key]
        self.progress(f"{operator} on {Path(input_path).name} ({self.backend})")
        found = getattr(self, f"_{self.backend}")(spec)
        self.done[key] = found
        return found

    def _local(self, spec) -> dict[str, Any]:
        from ..modelstore import ModelStore
        from ..runner import run

        self.models = self.models or ModelStore()
        out = run(spec.operator, spec.input, spec.out, spec.params, models=self.models, media=spec.media)
        return {"out_dir": str(out.out_dir), "files": [str(p) for p in out.files], "result": out.to_json()}

    def _worker(self, spec) -> dict[str, Any]:
        from ..jobs.client import WorkerError, connect

        try:
            if self._client is None:
                self._client, self._started = connect(self.state_dir)
            job = self._client.submit(spec.to_json())
            status = self._client.wait(job, poll=2.0)
        except WorkerError as exc:
            raise JobFailed(str(exc)) from None
        if status["state"] != "done":
            raise JobFailed(f"{spec.operator} job {job} {status['state']}: "
                            f"{status.get('error') or status.get('message')}")
        return status["result"]

    def _ray(self, spec) -> dict[str, Any]:
        from ..jobs.ray_backend import run_on_ray

        found = run_on_ray([spec], address=self.ray_address)[0]
        if found["state"] != "done":
            raise JobFailed(found["error"])
        return found

    def close(self) -> None:
        """Stop a worker this publish started (one it found running is left alone)."""
        if self._started is not None:
            self._started.stop()
            self._started = None
