"""Scale-out on a Ray cluster: each job spec of a batch becomes a Ray task, and a sequence or movie
job of an operator that can run frame ranges (gan.upscale) is split into chunks of frames; results
land in the same output layout as a local run.

Point it at a studio cluster with `--ray-address ray://head:10001` (or RAY_ADDRESS); without an
address a local Ray instance is started for the run. Every node needs rushes installed and the
media paths mounted at the same place; the model cache (RUSHES_CACHE) may be shared or per node —
each node fetches and verifies the pinned artifacts itself.
"""
from __future__ import annotations

import os
from typing import Any, Callable

from .spec import JobSpec, absolute_paths, needs_device, validate_spec


def _run_spec(spec_json: dict[str, Any], cache_dir: str | None, chunk: bool = False,
              gpu: bool = False) -> dict[str, Any]:
    """Runs inside a Ray worker process; a chunk leaves the result files to the driver.

    A task given a GPU by Ray sees only that one (Ray sets CUDA_VISIBLE_DEVICES), as cuda:0.
    """
    from ..errors import RushesError
    from ..modelstore import ModelStore
    from ..runner import run

    spec = JobSpec.from_json(spec_json)
    try:
        out = run(spec.operator, spec.input, spec.out, spec.params,
                  models=ModelStore(cache_dir=cache_dir) if cache_dir else ModelStore(),
                  frame_range=spec.frame_range, write_results=not chunk,
                  device="cuda:0" if gpu else "cpu", timeout=spec.timeout, media=spec.media)
    except RushesError as exc:
        return {"input": spec.input, "state": "failed", "error": exc.line()}
    return {"input": spec.input, "state": "done", "out_dir": str(out.out_dir),
            "files": [str(p) for p in out.files], "result": out.to_json()}


def split(spec: JobSpec, chunk_frames: int) -> list[JobSpec]:
    """Frame-range chunks of a job whose operator runs ranges and whose result kind can merge
    chunks (Frames); other jobs stay whole."""
    from ..interchange import kind
    from ..media import ImageSequence, MediaSpec, Movie
    from ..operators import get_operator
    from ..runner import combine_ranges

    cls = get_operator(spec.operator)
    if not cls.frame_ranges or chunk_frames <= 0 or not hasattr(kind(cls.result).cls, "merge"):
        return [spec]
    values = cls.resolve_params(spec.params)
    op = cls()
    op.media = MediaSpec.from_json(spec.media)
    media = op.open_input(spec.input, values)
    if not isinstance(media, (ImageSequence, Movie)):
        return [spec]
    whole = (media.first_frame, media.first_frame + media.frame_count)  # half-open, like every range
    start, end = combine_ranges(whole, combine_ranges(op.media.frame_range, spec.frame_range))
    return [JobSpec(spec.operator, spec.input, spec.out, spec.params, (a, min(a + chunk_frames, end)),
                    spec.priority, spec.timeout, spec.media) for a in range(start, end, chunk_frames)]


def _merge(spec: JobSpec, parts: list[dict[str, Any]]) -> dict[str, Any]:
    """One job's chunk results -> its result, with the result files written once, here."""
    from pathlib import Path

    from ..interchange import kind, result_json, write_result
    from ..operators import get_operator
    from ..runner import output_folder, result_names, run_envelope

    failed = [p for p in parts if p["state"] != "done"]
    if failed:
        return {"input": spec.input, "state": "failed", "error": failed[0]["error"]}
    if len(parts) == 1 and parts[0]["files"]:
        return parts[0]
    cls = get_operator(spec.operator)
    result_cls = kind(cls.result).cls  # operators that run frame ranges return a kind that can merge
    merged = result_cls.merge([result_cls.from_json(p["result"]) for p in parts])
    from ..media import MediaSpec

    values = cls.resolve_params(spec.params)
    op = cls()
    from ..runner import combine_ranges

    given = MediaSpec.from_json(spec.media)
    op.media = given.with_range(combine_ranges(given.frame_range, spec.frame_range))
    media = op.open_input(spec.input, values)
    output = output_folder(cls, media, values, spec.input, spec.out, op.media)
    output.plan(result_names(cls))
    models: dict[str, list[str]] = {}
    for p in parts:
        models.update({m["id"]: m["artifact_sha256"] for m in p["result"].get("models", [])})
    envelope = run_envelope(cls, values, models, media, op.media,
                            op.outputs(media, values, op.media.frame_range) + result_names(cls))
    files = write_result(merged, cls.result, output, cls.output_stem, envelope)
    output.finish("done")
    return {"input": spec.input, "state": "done", "out_dir": spec.out, "files": [str(f) for f in files],
            "result": result_json(merged, envelope), "chunks": len(parts)}


def run_on_ray(specs: list[JobSpec], address: str | None = None, num_cpus: int | None = None,
               progress: Callable[[float, str], None] | None = None,
               chunk_frames: int = 0) -> list[dict[str, Any]]:
    """Run a batch of jobs as Ray tasks and gather their results, one per spec, in the order given.

    Every spec is validated before anything is sent, its relative paths (input, output folder, path
    parameters) made absolute here, where they were given. With `chunk_frames`, jobs of operators that
    can run frame ranges are split into chunks of that many frames. A task that fails on bad input
    reports it in its result; a task lost with its node is retried by Ray (max_retries=2).
    """
    import ray

    specs = [absolute_paths(spec) for spec in specs]
    for spec in specs:
        validate_spec(spec)
    plan = [(n, part) for n, spec in enumerate(specs) for part in split(spec, chunk_frames)]
    chunked = {n for n, _ in plan if sum(1 for m, _ in plan if m == n) > 1}
    started_here = not ray.is_initialized()
    if started_here:
        address = address or os.environ.get("RAY_ADDRESS")
        ray.init(address=address, num_cpus=None if address else num_cpus, include_dashboard=False,
                 log_to_driver=False, configure_logging=False)
    try:
        task = ray.remote(num_cpus=1, max_retries=2)(_run_spec)
        # network jobs take a whole GPU when the cluster has GPUs: Ray then runs one per GPU
        gpus = ray.cluster_resources().get("GPU", 0) > 0
        cache = os.environ.get("RUSHES_CACHE")
        refs = []
        for n, part in plan:
            gpu = gpus and needs_device(part)
            refs.append(task.options(num_gpus=1 if gpu else 0).remote(part.to_json(), cache, n in chunked, gpu))
        order = {ref: i for i, ref in enumerate(refs)}
        parts: list[dict[str, Any] | None] = [None] * len(refs)
        pending = list(refs)
        while pending:
            done, pending = ray.wait(pending, num_returns=1)
            for ref in done:
                parts[order[ref]] = ray.get(ref)
            if progress:
                finished = len(refs) - len(pending)
                progress(finished / len(refs), f"ray: {finished}/{len(refs)} tasks")
        return [_merge(spec, [p for (m, _), p in zip(plan, parts) if m == n and p is not None])
                for n, spec in enumerate(specs)]
    finally:
        if started_here:
            ray.shutdown()
