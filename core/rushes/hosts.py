"""Host-side tooling from plug-ins: the verbs of `rushes hosts HOST VERB`, with no host known here.

A host application's package (add-on packaging, exports in a host's model format, writers of
its scene files) implements the ``rushes_hosts`` hook and returns a ``HostTools``: the host's
name and its verbs, each with its own arguments and a function to run. The CLI lists them and
dispatches to them; the core imports nothing of any host.
"""
from __future__ import annotations

import argparse
from dataclasses import dataclass
from typing import Callable

from .errors import ParameterError


def _no_arguments(parser: argparse.ArgumentParser) -> None:
    pass


@dataclass(frozen=True)
class HostCommand:
    """One verb of a host: ``rushes hosts HOST NAME [arguments]``.

    ``arguments(parser)`` adds the verb's argparse arguments; ``run(args)`` does the work and
    returns the exit status, raising ``rushes.errors.RushesError`` for mistakes a user can fix.
    Import heavy dependencies inside ``run``: listing hosts must stay cheap.
    """

    name: str
    help: str
    run: Callable[[argparse.Namespace], int]
    arguments: Callable[[argparse.ArgumentParser], None] = _no_arguments

    def parser(self, host: str) -> argparse.ArgumentParser:
        parser = argparse.ArgumentParser(prog=f"rushes hosts {host} {self.name}", description=self.help)
        self.arguments(parser)
        return parser


@dataclass(frozen=True)
class HostTools:
    """What one host package contributes: the host's name, a one-line summary and its verbs."""

    name: str
    summary: str
    commands: tuple[HostCommand, ...] = ()

    def command(self, name: str) -> HostCommand:
        for command in self.commands:
            if command.name == name:
                return command
        known = ", ".join(c.name for c in self.commands) or "none"
        raise ParameterError(f"host {self.name!r} has no command {name!r} (known: {known})")


def host_tools() -> dict[str, HostTools]:
    """Every host's tools from every package registered under the ``rushes`` entry point group."""
    from .operators import plugin_manager

    found: dict[str, HostTools] = {}
    for batch in plugin_manager().hook.rushes_hosts():
        for tools in batch:
            held = found.setdefault(tools.name, tools)
            if held is not tools:  # another package adds verbs to a host: merge, first of a name wins
                names = {c.name for c in held.commands}
                extra = tuple(c for c in tools.commands if c.name not in names)
                found[tools.name] = HostTools(held.name, held.summary, held.commands + extra)
    return dict(sorted(found.items()))


def get_host(name: str) -> HostTools:
    hosts = host_tools()
    if name not in hosts:
        raise ParameterError(f"no tools for host {name!r} are installed (installed: {', '.join(hosts) or 'none'})")
    return hosts[name]


def run_command(host: str, verb: str, argv: list[str]) -> int:
    """Parse `argv` with the verb's own arguments and run it."""
    command = get_host(host).command(verb)
    return command.run(command.parser(host).parse_args(argv))
