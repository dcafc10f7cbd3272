"""Regenerates api_versions.json, the Resolve scripting API by version, from Blackmagic's README.txt files.

Usage: python tests/data/resolve_api/make_table.py BMD_DOC [OUT]
BMD_DOC is a checkout of https://github.com/WheheoHu/bmd_doc (copies of the README that ships with
each Resolve release, as `_README_API/<major>_<minor>_<patch>/README.txt`); beta copies are skipped.
For every `Class.Method` the table gives the first release whose README lists it in the API section
("since"), the first that lists it as deprecated, the first that no longer lists it ("gone"), each
change of its parameter names ("parameters") and, for file imports, the first release naming each
format ("formats"). The fake Resolve of tests/hosts/resolve answers per version from this table.
"""
from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
SOURCE_REPO = "https://github.com/WheheoHu/bmd_doc"
_VERSION_DIR = re.compile(r"^(\d+)_(\d+)_(\d+)$")
_HEADER_RULE = re.compile(r"^-{4,}\s*$")
_CLASS = re.compile(r"^([A-Z][A-Za-z]+)\s*(#.*)?$")
_METHOD = re.compile(r"^  ([A-Z]\w*)\(")
_FORMATS = re.compile(r"\(((?:[A-Z]{2,}/)+[A-Z]{2,})\)")


def _sections(lines: list[str]) -> dict[str, list[str]]:
    """{section title: its lines}; a title is a line underlined with dashes."""
    found, title = {}, ""
    for i, line in enumerate(lines):
        if i + 1 < len(lines) and _HEADER_RULE.match(lines[i + 1]) and line.strip():
            title = line.strip()
            found[title] = []
        elif not _HEADER_RULE.match(line):
            found.setdefault(title, []).append(line)
    return found


def _params(text: str) -> list[str]:
    """Parameter names of `Method(a, {b}, [c], d=None, ...)`: a, b, c, d, ... ("..." or "items...": any
    number of arguments)."""
    names = []
    for part in text.split(","):
        name = re.sub(r"=.*$", "", part).strip(" []{}\t")
        if name:
            names.append(name)
    return names


def methods(lines: list[str]) -> dict[str, dict]:
    """{"Class.Method": {"parameters": [[names] per listed overload], "text": description}} of a section."""
    found, cls, i = {}, None, 0
    while i < len(lines):
        line = lines[i]
        header = _CLASS.match(line)
        if header:
            cls = header.group(1)
        elif cls and _METHOD.match(line):
            name = _METHOD.match(line).group(1)
            signature = line[line.index("(") + 1:]
            while ")" not in signature and i + 1 < len(lines):  # ArchiveProject(projectName,\n filePath, ...)
                i += 1
                signature += " " + lines[i].strip()
            params, _, rest = signature.partition(")")
            entry = found.setdefault("%s.%s" % (cls, name), {"parameters": [], "text": ""})
            overload = _params(params)
            if overload not in entry["parameters"]:
                entry["parameters"].append(overload)
            entry["text"] += rest
        i += 1
    return found


def read_readme(text: str) -> tuple[dict, dict]:
    """(API methods, deprecated methods) of one README."""
    parts = _sections(text.replace("\r\n", "\n").split("\n"))
    api = next(v for k, v in parts.items() if k in ("DaVinci Resolve API", "Basic Resolve API"))
    return methods(api), methods(parts.get("Deprecated Resolve API Functions", []))


def _key(version: str) -> tuple:
    return tuple(int(p) for p in version.split("."))


def table(readmes: dict[str, str]) -> dict:
    """The table from {version "19.0.2": README text}."""
    since, deprecated, gone, parameters, formats = {}, {}, {}, {}, {}
    listed_before = set()
    for version in sorted(readmes, key=_key):
        api, old = read_readme(readmes[version])
        for name, entry in api.items():
            since.setdefault(name, version)
            history = parameters.setdefault(name, {})
            if not history or list(history.values())[-1] != entry["parameters"]:
                history[version] = entry["parameters"]
            for match in _FORMATS.finditer(entry["text"]):
                for fmt in match.group(1).split("/"):
                    formats.setdefault(name, {}).setdefault(fmt, version)
        for name in old:
            deprecated.setdefault(name, version)
        for name in listed_before - set(api) - set(old):
            gone.setdefault(name, version)
        for name in set(api) | set(old):
            gone.pop(name, None)  # listed again later: not gone
        listed_before |= set(api) | set(old)
    return {"versions": sorted(readmes, key=_key), "since": dict(sorted(since.items())),
            "deprecated": dict(sorted(deprecated.items())), "gone": dict(sorted(gone.items())),
            "parameters": {k: v for k, v in sorted(parameters.items()) if len(v) > 1},
            "formats": dict(sorted(formats.items()))}


def readmes_in(checkout: Path) -> dict[str, Path]:
    found = {}
    for path in sorted((checkout / "_README_API").glob("*/README.txt")):
        m = _VERSION_DIR.match(path.parent.name)
        if m:  # 18_5__B is a beta
            found[".".join(str(int(g)) for g in m.groups())] = path
    return found


def main(argv: list[str]) -> int:
    if not argv or not Path(argv[0]).is_dir():
        print("usage: make_table.py BMD_DOC_CHECKOUT [OUT.json]", file=sys.stderr)
        return 2
    checkout = Path(argv[0])
    out = Path(argv[1]) if len(argv) > 1 else HERE / "api_versions.json"
    files = readmes_in(checkout)
    if not files:
        print("make_table.py: no _README_API/<version>/README.txt in %s" % checkout, file=sys.stderr)
        return 2
    try:
        commit = subprocess.run(["git", "-C", str(checkout), "rev-parse", "HEAD"], capture_output=True, text=True,
                                check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        commit = None
    data = {"source": {"repository": SOURCE_REPO, "commit": commit,
                       "paths": [p.relative_to(checkout).as_posix() for p in files.values()]}}
    data.update(table({v: p.read_text(encoding="utf-8") for v, p in files.items()}))
    tmp = out.with_name(out.name + ".tmp")
    tmp.write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")
    tmp.replace(out)
    print("%s: %d methods from %d READMEs" % (out, len(data["since"]), len(files)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
