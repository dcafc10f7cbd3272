"""The `rushes` command: list operators, run one on a file, manage models."""
from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from . import extras
from .errors import ParameterError, RushesError, UnknownOperatorError


def _parse_params(pairs: list[str]) -> dict[str, str]:
    params = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise ParameterError(f"--param {pair!r} is not KEY=VALUE")
        params[key.strip()] = value
    return params


def _cmd_ops(args: argparse.Namespace) -> int:
    from .operators import discover

    ops = discover()
    if args.json:
        from .operators import describe_all

        print(json.dumps(describe_all(), indent=2))
        return 0
    width = max((len(n) for n in ops), default=10)
    for name, op in ops.items():
        print(f"{name:<{width}}  {op.summary}")
        if op.unavailable():  # listed all the same: the line says which extra to install
            print(f"{'':<{width}}    {op.unavailable()}")
        for p in op.params:
            rng = f" {{{', '.join(p.choices)}}}" if p.choices else (
                f" [{p.min:g}..{p.max:g}]" if p.min is not None and p.max is not None else "")
            print(f"{'':<{width}}    {p.name}={p.default}{rng}  {p.help}")
    return 0


def _media(args: argparse.Namespace) -> dict | None:
    """The media description from --rate, --start-timecode, --frame-range, --ocio, --colorspace,
    --on-bad-frame and --audio-stream (docs/contract.md); None when none was given."""
    given = {"rate": args.rate, "start_timecode": args.start_timecode, "frame_range": args.frame_range,
             "ocio_config": args.ocio, "colorspace": args.colorspace, "on_bad_frame": args.on_bad_frame,
             "audio_stream": args.audio_stream}
    given = {k: v for k, v in given.items() if v is not None}
    if not given:
        return None
    from .media.description import MediaSpec

    return MediaSpec.from_json(given).to_json()


def _add_media_arguments(p: argparse.ArgumentParser) -> None:
    media = p.add_argument_group("media description (the same for every operator; default: the file's own)")
    media.add_argument("--rate", help="frame rate: 24, 23.976 (= 24000/1001), 25, 29.97, 24000/1001")
    media.add_argument("--start-timecode", metavar="HH:MM:SS:FF", help="start timecode of a movie or audio file")
    media.add_argument("--frame-range", metavar="START:END",
                       help="source frames to work on, END exclusive (1001:1101 is 100 frames)")
    media.add_argument("--ocio", metavar="CONFIG", help="OpenColorIO config (default: $OCIO, else the built-in one)")
    media.add_argument("--colorspace", help="colour space of the pictures (default: the file's tag, else linear "
                                            "for float files, sRGB for integer files)")
    media.add_argument("--on-bad-frame", choices=("stop", "skip", "hold"),
                       help="a missing, empty or unreadable frame: stop (default), skip it, or hold the previous")
    media.add_argument("--audio-stream", type=int, metavar="N", help="which audio stream (0: the first)")


def _cmd_run(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from .modelstore import ModelStore
    from .runner import run

    params = _parse_params(args.param or [])
    media = _media(args)
    bar = None  # created on the first report, so argument errors print nothing but the error

    def progress(fraction: float, message: str) -> None:
        nonlocal bar
        if args.quiet:
            return
        if bar is None:
            bar = tqdm(total=100, unit="%", file=sys.stderr, leave=False,
                       bar_format="{desc} {percentage:3.0f}%|{bar}| {elapsed}<{remaining}")
        bar.set_description_str(message[:60], refresh=False)
        bar.update(round(fraction * 100) - bar.n)

    # One input writes into --out; several write into --out/<input name>/ each.
    outs = [Path(args.out)] if len(args.input) == 1 else [Path(args.out) / _stem(i) for i in args.input]
    try:
        if args.backend == "ray":
            extras.require("rushes run --backend ray", "ray")
            from .jobs.ray_backend import run_on_ray
            from .jobs.spec import JobSpec

            specs = [JobSpec(args.operator, str(Path(i).resolve()), str(o.resolve()), params, media=media)
                     for i, o in zip(args.input, outs)]
            results = run_on_ray(specs, address=args.ray_address, progress=progress, chunk_frames=args.chunk)
            failed = [r for r in results if r["state"] != "done"]
            for r in failed:
                print(f"rushes: error: {r['error']}", file=sys.stderr)
            done = [r for r in results if r["state"] == "done"]
            for r in done:
                print(f"rushes: {args.operator} wrote its results to {r['out_dir']}")
            return 2 if failed else 0
        models = ModelStore(wheelhouse=args.wheelhouse)
        failed = 0
        for source, out_dir in zip(args.input, outs):
            try:
                out = run(args.operator, source, out_dir, params, progress=progress, models=models, media=media)
            except RushesError as exc:
                if len(args.input) == 1 or isinstance(exc, (ParameterError, UnknownOperatorError)):
                    raise  # the same for every input: say it once
                failed += 1
                if bar is not None:
                    bar.close()
                    bar = None
                print(f"rushes: error: {exc.line()}", file=sys.stderr)
                continue
            summary = f" ({out.result.summary()})"
            if bar is not None:
                bar.close()
                bar = None
            names = ", ".join(p.name for p in out.files)
            page = out.out_dir.resolve() / f"{out.files[0].stem}.html" if out.files else None  # the JSON's stem
            seen = f"; see {page}" if page is not None and page.is_file() else ""
            print(f"rushes: {out.operator} wrote {names} to {out.out_dir.resolve()}{summary}{seen}")
        if failed:
            print(f"rushes: {failed} of {len(args.input)} inputs failed (see above)", file=sys.stderr)
            return 2
    finally:
        if bar is not None:
            bar.close()
    return 0


def _stem(path: str) -> str:
    """Folder name for one input's results: a movie's stem, a sequence's name before its frame token."""
    from .media import parse_pattern

    pattern = parse_pattern(path)
    if pattern is None:
        return Path(path).stem
    return pattern.prefix.rstrip("._- ") or Path(path).stem


def _cmd_models(args: argparse.Namespace) -> int:
    from .modelstore import ModelStore

    store = ModelStore(wheelhouse=args.wheelhouse)
    ids = args.ids or list(store.manifests)
    if args.action == "list":
        for mid in ids:
            m = store.manifest(mid)
            print(f"{mid:<16} {store.status(mid):<9} {m.requirement:<30} {m.license:<8} {m.title}")
        return 0
    if args.action == "path":
        if len(ids) != 2:
            raise ParameterError("usage: rushes models path MODEL FILE")
        print(store.path(ids[0], ids[1], progress=lambda msg: print(f"rushes: {msg}", file=sys.stderr)))
        return 0
    if args.action == "fetch":
        for mid in ids:
            entry = store.ensure(mid, progress=lambda msg: print(f"rushes: {msg}", file=sys.stderr))
            print(f"rushes: {mid} ready in {entry}")
        return 0
    bad = 0
    for mid in ids:
        verdict = store.verify(mid)
        bad += not verdict.endswith(": ready")
        print(verdict)
    return 1 if bad else 0


def _cmd_hosts(args: argparse.Namespace) -> int:
    """List the host tools plug-ins add, or run one verb with its own arguments (rushes.hosts)."""
    from .hosts import get_host, host_tools, run_command

    tools = host_tools()
    verbs = {command.name for t in tools.values() for command in t.commands}
    if args.host and args.host not in tools and args.host in verbs:  # `rushes hosts VERB [HOST]`
        if args.verb:
            return run_command(args.verb, args.host, args.args)
        print(f"rushes hosts {args.host} HOST [ARGS...]  (`rushes hosts {args.host} HOST --help`: its arguments)")
        for name, host in tools.items():
            for command in host.commands:
                if command.name == args.host:
                    print(f"    rushes hosts {args.host} {name}  {command.help}")
        return 0
    if args.host and args.verb:
        return run_command(args.host, args.verb, args.args)
    hosts = [get_host(args.host)] if args.host else list(tools.values())
    if not hosts:
        print("rushes: no host tools are installed")
    for host in hosts:
        print(f"{host.name}  {host.summary}")
        for command in host.commands:
            print(f"    rushes hosts {host.name} {command.name}  {command.help}")
    return 0


def _cmd_serve(args: argparse.Namespace) -> int:
    from .jobs.server import make_server
    from .modelstore import ModelStore

    server = make_server(args.host, args.port, args.state, [Path(r) for r in args.root or []] or None,
                         args.slots, args.allow_remote, ModelStore(wheelhouse=args.wheelhouse),
                         job_timeout=args.job_timeout, crash_log=True)
    w = server.worker
    print(f"rushes: worker listening on {server.url}; {w.slots} job slot(s), network jobs one at a time on "
          f"{', '.join(w.devices)}; jobs in {server.store.path} (Ctrl-C stops)", flush=True)
    for job in w.given_up:  # the last worker died running them: say so once, here
        record = server.store.get(job)
        print(f"rushes: job {job} failed: {record.error if record else 'not run again'}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.worker.stop()
        server.server_close()
        server.store.close()
        _forget_worker(server)
    print("rushes: worker stopped; unfinished jobs resume on the next start")
    return 0


def _client(args: argparse.Namespace):
    from .jobs.client import WorkerClient

    return WorkerClient.from_state(args.state)


def _cmd_submit(args: argparse.Namespace) -> int:
    spec = {"operator": args.operator, "input": str(Path(args.input).resolve()),
            "out": str(Path(args.out).resolve()), "params": _parse_params(args.param or []),
            "priority": args.priority}
    if args.timeout is not None:
        spec["timeout"] = args.timeout
    if (media := _media(args)) is not None:
        spec["media"] = media
    client = _client(args)
    job = client.submit(spec)
    print(job)
    if not args.wait:
        return 0
    status = client.wait(job)
    if status["state"] != "done":
        print(f"rushes: error: job {job} {status['state']}: {status.get('error') or status['message']}",
              file=sys.stderr)
        return 2
    print(f"rushes: job {job} wrote its results to {status['result']['out_dir']}")
    return 0


def _cmd_jobs(args: argparse.Namespace) -> int:
    client = _client(args)
    if args.id:
        print(json.dumps(client.status(args.id), indent=2))
        return 0
    if not 1 <= args.limit <= 500:
        raise ParameterError(f"--limit {args.limit} must be from 1 to 500")
    jobs = client.list(limit=args.limit, before=args.before)
    for job in jobs:
        spec = job["spec"]
        print(f"{job['id']}  {job['state']:<9} {job['progress'] * 100:5.1f}%  {spec['operator']:<14} "
              f"{Path(spec['input']).name}  {job['error'] or job['message']}")
    if len(jobs) == args.limit:  # maybe more: how to see them
        print(f"rushes: the newest {args.limit} shown; older ones: rushes jobs --before {jobs[-1]['id']}",
              file=sys.stderr)
    return 0


def _cmd_cancel(args: argparse.Namespace) -> int:
    print(f"{args.id}: {_client(args).cancel(args.id)}")
    return 0


def _cmd_panel(args: argparse.Namespace) -> int:
    """Print the link to the running worker's panel (the token in its fragment) and open the panel in a
    browser through a page only this user can read: the browser's command line, which any local user
    can see, holds that page's path, never the token."""
    import webbrowser

    from .jobs.client import WorkerError, default_state_dir, running_worker

    client = running_worker(args.state)
    if client is None:
        raise WorkerError(f"no rushes worker running for {args.state or default_state_dir()} "
                          "(start one with `rushes serve`)")
    print(client.panel_url(), flush=True)
    if not args.print and not webbrowser.open(client.panel_page()):
        print("rushes: no browser to open here; open the link above in one", file=sys.stderr)
    return 0


def _cmd_publish(args: argparse.Namespace) -> int:
    """Publish plates headless (collect, validate, extract, integrate), or --verify a publish."""
    extras.require("rushes publish", "publish")
    if args.backend == "ray":
        extras.require("rushes publish --backend ray", "ray")
    from . import publish

    if args.verify:
        if args.paths or args.to:
            raise ParameterError("--verify takes one published version folder and nothing else")
        problems = publish.verify(args.verify)
        for line in problems:
            print(f"rushes: {line}")
        print(f"rushes: {args.verify}: " + (f"{len(problems)} problem(s)" if problems
                                            else "every file as published, nothing added"))
        return 1 if problems else 0
    if not args.paths or not args.to:
        raise ParameterError("usage: rushes publish PATH... --to PUBLISH_ROOT [--spec project.toml] "
                             "[--backend local|worker|ray]")
    spec = publish.load_spec(args.spec)
    quiet = args.quiet or not sys.stderr.isatty()

    def published(folders: dict[str, str]) -> str:
        return ", ".join(f"{name} -> {folder}" for name, folder in folders.items())

    try:
        report = publish.publish(args.paths, args.to, spec, backend=args.backend, repair=args.repair,
                                 state_dir=args.state, ray_address=args.ray_address,
                                 progress=None if quiet else (lambda m: print(f"rushes: {m}", file=sys.stderr)))
    except publish.PublishInterrupted as exc:  # the interrupt waited for the claim: all of it landed
        print(f"rushes: interrupted after publishing {published(exc.published)}; report.json not written",
              file=sys.stderr)
        return 130
    print(report.text())
    try:
        where = publish.write_report(report, args.to)
    except RushesError as exc:  # the report above is the truth; report.json must not claim otherwise
        done = f"published: {published(report.published)}" if report.published else "nothing was published"
        print(f"rushes: error: report.json not written: {exc.line()}; {done}", file=sys.stderr)
        return 2
    print(f"rushes: report written to {where}")
    return 0 if report.status == "passed" else 1


def _cmd_report(args: argparse.Namespace) -> int:
    """Make the pages of every result in an output folder (and below it) again, and its index."""
    from .report import INDEX, rebuild

    pages = rebuild(args.out_dir, frames_per_stretch=args.frames_per_stretch)
    for page in pages:
        print(f"rushes: {page}")
    print(f"rushes: {len(pages)} page(s); open {Path(args.out_dir).resolve() / INDEX}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    from .version import __version__

    parser = argparse.ArgumentParser(prog="rushes", description="AI operators for film post-production")
    parser.add_argument("--version", action="version", version=f"rushes {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    ops = sub.add_parser("ops", help="list operators and their parameters")
    ops.add_argument("--json", action="store_true", help="machine-readable, with each parameter schema")
    ops.set_defaults(func=_cmd_ops)

    run = sub.add_parser("run", help="run an operator on a movie, sequence, image or audio file")
    run.add_argument("operator", help="operator name, e.g. detect.shots")
    run.add_argument("input", nargs="+", help="movie file(s), or sequence pattern(s) such as plate.####.exr")
    run.add_argument("--out", required=True, help="output folder")
    run.add_argument("--param", "-p", action="append", metavar="KEY=VALUE", help="operator parameter")
    run.add_argument("--quiet", "-q", action="store_true", help="no progress bar")
    run.add_argument("--from", dest="wheelhouse", type=Path, help="offline wheelhouse folder for model artifacts")
    run.add_argument("--backend", choices=("local", "ray"), default="local",
                     help="local: in this process; ray: one Ray task per input (docs/jobs.md)")
    run.add_argument("--ray-address", help="existing Ray cluster, e.g. ray://head:10001 (default: RAY_ADDRESS, "
                                            "else a local Ray instance)")
    run.add_argument("--chunk", type=int, default=0, metavar="FRAMES",
                     help="ray: split sequence/movie jobs of frame-range operators (gan.upscale) into chunks")
    _add_media_arguments(run)
    run.set_defaults(func=_cmd_run)

    models = sub.add_parser("models", help="list, fetch or verify models; path MODEL FILE prints a cached file")
    models.add_argument("action", choices=("list", "fetch", "verify", "path"))
    models.add_argument("ids", nargs="*", help="model ids (default: all)")
    models.add_argument("--from", dest="wheelhouse", type=Path,
                        help="offline wheelhouse folder holding the pinned artifacts (or RUSHES_WHEELHOUSE)")
    models.set_defaults(func=_cmd_models)

    hosts = sub.add_parser("hosts", help="host-side tools from installed host packages; alone: list them",
                           description="rushes hosts [HOST [VERB [ARGS...]]]: with no HOST, every host and its "
                                       "verbs; `rushes hosts HOST VERB --help` shows a verb's arguments; "
                                       "`rushes hosts VERB HOST` works too (e.g. `rushes hosts install HOST`, "
                                       "`rushes hosts uninstall HOST`); `rushes hosts VERB`: the hosts that have it")
    hosts.add_argument("host", nargs="?", help="host name (see `rushes hosts`)")
    hosts.add_argument("verb", nargs="?", help="what to do")
    hosts.add_argument("args", nargs=argparse.REMAINDER, help="the verb's own arguments")
    hosts.set_defaults(func=_cmd_hosts)

    serve = sub.add_parser("serve", help="run the local worker that hosts submit jobs to")
    serve.add_argument("--host", default="127.0.0.1", help="loopback address to listen on")
    serve.add_argument("--port", type=int, default=8765)
    serve.add_argument("--root", action="append", help="allowed output root (repeat); default: anywhere")
    serve.add_argument("--slots", type=int, default=None,
                       help="jobs run at once (default: one per CPU core; network jobs also one per device)")
    serve.add_argument("--job-timeout", type=float, default=None, metavar="SECONDS",
                       help="stop and fail jobs that run longer (a job's own timeout wins)")
    serve.add_argument("--allow-remote", action="store_true", help="allow a non-loopback address")
    serve.add_argument("--from", dest="wheelhouse", type=Path, help="offline wheelhouse for model artifacts")
    serve.set_defaults(func=_cmd_serve)

    submit = sub.add_parser("submit", help="queue a job on the local worker")
    submit.add_argument("operator")
    submit.add_argument("input")
    submit.add_argument("--out", required=True)
    submit.add_argument("--param", "-p", action="append", metavar="KEY=VALUE")
    submit.add_argument("--priority", type=int, default=0)
    submit.add_argument("--timeout", type=float, default=None, metavar="SECONDS",
                        help="stop and fail the job if it runs longer")
    submit.add_argument("--wait", action="store_true", help="wait for the job and print where its results are")
    _add_media_arguments(submit)
    submit.set_defaults(func=_cmd_submit)

    jobs = sub.add_parser("jobs", help="list the worker's newest jobs, or show one with its result")
    jobs.add_argument("id", nargs="?")
    jobs.add_argument("--limit", type=int, default=50, metavar="N", help="how many jobs to list (default 50, "
                                                                         "at most 500)")
    jobs.add_argument("--before", metavar="ID", help="list the jobs older than this one")
    jobs.set_defaults(func=_cmd_jobs)

    cancel = sub.add_parser("cancel", help="cancel a job")
    cancel.add_argument("id")
    cancel.set_defaults(func=_cmd_cancel)

    panel = sub.add_parser("panel", help="open the running worker's panel (a web page on loopback) in a browser")
    panel.add_argument("--print", action="store_true", help="only print its link (it holds the worker's token)")
    panel.set_defaults(func=_cmd_panel)

    pub = sub.add_parser("publish", help="check, process and publish plates into versioned folders (pyblish)",
                         description="rushes publish PATH... --to PUBLISH_ROOT: collect the plates, validate them "
                                     "against the project spec, extract what it asks for and publish each plate "
                                     "into PUBLISH_ROOT/<plate>/vNNN (docs/publish.md). Exit 1 when a check fails "
                                     "(nothing is published).")
    pub.add_argument("paths", nargs="*", metavar="PATH", help="plate folders, movies or sequence patterns")
    pub.add_argument("--to", metavar="PUBLISH_ROOT", help="publish root folder")
    pub.add_argument("--spec", type=Path, metavar="project.toml", help="project spec (TOML; docs/publish.md)")
    pub.add_argument("--backend", choices=("local", "worker", "ray"), default="local",
                     help="where operators run: local (in this process), worker (rushes serve), ray")
    pub.add_argument("--repair", action="store_true", help="run the repair of each failed check, then go on")
    pub.add_argument("--verify", metavar="PUBLISHED_FOLDER", help="re-hash a published version against its manifest")
    pub.add_argument("--ray-address", help="ray: existing cluster (default: RAY_ADDRESS, else a local instance)")
    pub.add_argument("--state", type=Path, help="worker: its state folder (token, job database); RUSHES_STATE")
    pub.add_argument("--quiet", "-q", action="store_true", help="no progress lines")
    pub.set_defaults(func=_cmd_publish)

    report = sub.add_parser("report", help="make the HTML pages of the results in an output folder again",
                            description="rushes report OUT_DIR: the page (<stem>.html, its pictures and contact "
                                        "sheet) of every result in OUT_DIR and the output folders below it, from "
                                        "the results' annotations and their source media, and an index.html "
                                        "listing them (docs/report.md). Pictures already there are kept.")
    report.add_argument("out_dir", metavar="OUT_DIR", help="an output folder of rushes run (or one above several)")
    report.add_argument("--frames-per-stretch", type=int, choices=(1, 3), default=1,
                        help="pictures of each stretch between markers (each shot): 1 = its first frame "
                             "(default, as a run makes), 3 = its first, middle and last")
    report.set_defaults(func=_cmd_report)

    for p in (serve, submit, jobs, cancel, panel):
        p.add_argument("--state", type=Path, help="worker state folder (token, job database); RUSHES_STATE")
    return parser


def _forget_worker(server) -> None:
    """Remove worker.json when it still names this worker, so hosts do not try a dead address."""
    info = server.store.path.parent / "worker.json"
    try:
        if json.loads(info.read_text(encoding="utf-8")).get("pid") == os.getpid():
            info.unlink()
    except (OSError, ValueError):
        pass


def _worker_error() -> type[Exception]:
    """The job client's error type, imported only when needed: its HTTP modules slow every command."""
    from .jobs.client import WorkerError

    return WorkerError


def _stop_on_sigterm() -> None:
    """SIGTERM stops a run the way Ctrl-C does: temporaries removed, the manifest says where it stopped."""
    import signal

    def handler(signum, frame):
        raise KeyboardInterrupt

    try:
        signal.signal(signal.SIGTERM, handler)
    except ValueError:  # not the main thread (rushes.cli.main called from a host's thread)
        pass


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    _stop_on_sigterm()
    try:
        return args.func(args)
    except RushesError as exc:
        print(f"rushes: error: {exc.line()}", file=sys.stderr)
        return 2
    except _worker_error() as exc:  # evaluated only when something was raised
        print(f"rushes: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("rushes: interrupted; temporary files removed, earlier results kept (a rerun resumes)",
              file=sys.stderr)
        return 130
    except BrokenPipeError:
        # the reader went away (`rushes jobs | head`): nothing more to say on stdout
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        print("rushes: output closed early (broken pipe)", file=sys.stderr)
        return 2
    except Exception as exc:  # an internal error: one line, the traceback only on request
        from .files import USER_FIXABLE, os_problem

        if isinstance(exc, OSError) and exc.errno in USER_FIXABLE:  # a full disk, a name too long, permissions
            where = f"{exc.filename}: " if exc.filename else ""
            print(f"rushes: error: {where}{os_problem(exc)}", file=sys.stderr)
            return 2
        if os.environ.get("RUSHES_DEBUG"):
            raise
        print(f"rushes: internal error: {type(exc).__name__}: {exc} (set RUSHES_DEBUG=1 for details)",
              file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
