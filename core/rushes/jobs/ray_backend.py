"""Scale-out on a Ray cluster: each job spec of a batch becomes a Ray task; results land in the
same output layout as a local run.

Point it at a studio cluster with `--ray-address ray://head:10001` (or RAY_ADDRESS); without an
address a local Ray instance is started for the run. Every node needs rushes installed and the
media paths mounted at the same place; the model cache (RUSHES_CACHE) may be shared or per node —
each node fetches and verifies the pinned artifacts itself.
"""
from __future__ import annotations

import os
from typing import Any, Callable

from .spec import JobSpec, validate_spec


def _run_spec(spec_json: dict[str, Any], cache_dir: str | None) -> dict[str, Any]:
    """Runs inside a Ray worker process."""
    from ..errors import RushesError
    from ..modelstore import ModelStore
    from ..runner import run

    spec = JobSpec.from_json(spec_json)
    try:
        out = run(spec.operator, spec.input, spec.out, spec.params,
                  models=ModelStore(cache_dir=cache_dir) if cache_dir else ModelStore())
    except RushesError as exc:
        return {"input": spec.input, "state": "failed", "error": exc.line()}
    return {"input": spec.input, "state": "done", "out_dir": str(out.out_dir),
            "files": [str(p) for p in out.files], "result": out.result.to_json()}


def run_on_ray(specs: list[JobSpec], address: str | None = None, num_cpus: int | None = None,
               progress: Callable[[float, str], None] | None = None) -> list[dict[str, Any]]:
    """Run a batch of jobs as Ray tasks and gather their results, in the order given.

    Every spec is validated before anything is sent. A task that fails on bad input reports it
    in its result; a task lost with its node is retried by Ray (max_retries=2).
    """
    import ray

    for spec in specs:
        validate_spec(spec)
    started_here = not ray.is_initialized()
    if started_here:
        address = address or os.environ.get("RAY_ADDRESS")
        ray.init(address=address, num_cpus=None if address else num_cpus, include_dashboard=False,
                 log_to_driver=False, configure_logging=False)
    try:
        task = ray.remote(num_cpus=1, max_retries=2)(_run_spec)
        cache = os.environ.get("RUSHES_CACHE")
        refs = [task.remote(spec.to_json(), cache) for spec in specs]
        order = {ref: i for i, ref in enumerate(refs)}
        results: list[dict[str, Any] | None] = [None] * len(refs)
        pending = list(refs)
        while pending:
            done, pending = ray.wait(pending, num_returns=1)
            for ref in done:
                results[order[ref]] = ray.get(ref)
            if progress:
                finished = len(refs) - len(pending)
                progress(finished / len(refs), f"ray: {finished}/{len(refs)} jobs")
        return [r for r in results if r is not None]
    finally:
        if started_here:
            ray.shutdown()
