"""The core imports in one direction: no import circle, and no module imports one from a layer above.

The graph is read from the source (ast), one node per module of core/rushes (a package is its
``__init__``). An edge is every import of a rushes module written anywhere in a file: at module
level, inside functions (the deferred imports that keep listing operators cheap) and under
``if TYPE_CHECKING:`` — stricter than what runs at import time, so a deferred import cannot hide
a circle that bites when the function is first called. ``from .x import y`` is an edge to
``rushes.x.y`` when that is a module, else to ``rushes.x``. Importing ``a.b.c`` is not counted as
importing ``a`` and ``a.b``, though Python runs their ``__init__`` first: a package re-exporting
from below it is how packages are made. Names given as text and imported later
(``"rushes.interchange.cuts:to_otio"``, a converter's entry) are data, not edges.
"""
from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

CORE = Path(__file__).parents[1] / "core" / "rushes"

# Lowest first. A module may import its own layer and those below, never one above. A name is a
# module or a package (with everything in it); each module of the core is in exactly one layer.
LAYERS: list[tuple[str, ...]] = [
    # what every layer may name: errors, the version, input kinds, the annotation schema, the
    # hook specifications (they import nothing of rushes), progress events, JSON schemas
    ("rushes.errors", "rushes.version", "rushes.kinds", "rushes.annotations", "rushes.hookspecs",
     "rushes.progress", "rushes.schemas"),
    # file safety, compute devices, extras, discovery, result kinds
    ("rushes.files", "rushes.devices", "rushes.extras", "rushes.plugins", "rushes.results"),
    # media I/O, output folders, the model store, host-side installers
    ("rushes.media", "rushes.outputs", "rushes.modelstore", "rushes.hosts"),
    # writers of result files (they read timecode and sequence patterns from media)
    ("rushes.interchange",),
    # the operator contract
    ("rushes.operators",),
    # the operators themselves, and the module registering them
    ("rushes.detect", "rushes.faces", "rushes.mattes", "rushes.pose", "rushes.gan", "rushes.speech",
     "rushes.builtin"),
    # report pages of a run's results (it reads media and the operators' input kinds)
    ("rushes.report",),
    ("rushes.runner",),
    ("rushes.jobs",),
    ("rushes.publish",),
    # the front doors: the package's own names (rushes.Operator, rushes.run) and the command
    ("rushes", "rushes.cli"),
]


def module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def import_graph(root: Path = CORE) -> dict[str, set[str]]:
    """Every module of the package at `root`, and the modules of that package it imports."""
    top = root.name
    paths = {module_name(p, root): p for p in sorted(root.rglob("*.py"))}
    graph: dict[str, set[str]] = {}
    for name, path in paths.items():
        package = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
        found: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            if isinstance(node, ast.Import):
                found |= {a.name for a in node.names}
            elif isinstance(node, ast.ImportFrom):
                base = (package[:len(package) - node.level + 1] if node.level else []) + \
                    ([node.module] if node.module else [])
                target = ".".join(base)
                found |= {f"{target}.{a.name}" if f"{target}.{a.name}" in paths else target for a in node.names}
        graph[name] = {t for t in found if t == top or t.startswith(top + ".")}
        unknown = graph[name] - set(paths)
        assert not unknown, f"{name} imports {sorted(unknown)}, which are not modules of {top}"
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import circle as a path (first module repeated at the end), or None."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return path[path.index(nxt):] + [nxt]
            if nxt not in state:
                found = visit(nxt)
                if found:
                    return found
        path.pop()
        state[node] = 2
        return None

    for start in sorted(graph):
        if start not in state:
            found = visit(start)
            if found:
                return found
    return None


def layer_of(module: str) -> int:
    """The layer whose longest matching name holds `module`."""
    best = max(((len(name), index) for index, names in enumerate(LAYERS) for name in names
                if module == name or module.startswith(name + ".") and name != "rushes"),
               default=None)
    assert best is not None, f"{module} is in no layer of tests/test_imports.py: declare where it belongs"
    return best[1]


GRAPH = import_graph()


def test_the_graph_is_read_from_every_kind_of_import():
    # module level, relative; inside a function; absolute (the publish plug-ins); a package's own
    assert "rushes.operators" in GRAPH["rushes.runner"]
    assert "rushes.media" in GRAPH["rushes.operators"]  # Operator.open_input imports it when called
    assert "rushes.publish.lib" in GRAPH["rushes.publish.plugins.collect_plates"]
    assert "rushes.media.movie" in GRAPH["rushes.media"]
    assert "rushes.jobs.ray_backend" in GRAPH["rushes.cli"]  # inside an `if` inside a function


def test_a_circle_through_a_deferred_import_is_found(tmp_path):
    # the checker itself, on a real package written here: a imports b at the top, b imports a in a function
    pkg = tmp_path / "pkg"
    (pkg / "sub").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "sub" / "__init__.py").write_text("")
    (pkg / "a.py").write_text("from .sub.b import thing\n")
    (pkg / "sub" / "b.py").write_text("def thing():\n    from .. import a\n    return a\n")
    (pkg / "c.py").write_text("import pkg.a\nimport json\n")
    graph = import_graph(pkg)
    assert graph == {"pkg": set(), "pkg.sub": set(), "pkg.a": {"pkg.sub.b"}, "pkg.sub.b": {"pkg.a"},
                     "pkg.c": {"pkg.a"}}
    assert find_cycle(graph) == ["pkg.a", "pkg.sub.b", "pkg.a"]
    del graph["pkg.sub.b"]
    assert find_cycle(graph) is None


def test_no_import_circle():
    cycle = find_cycle(GRAPH)
    assert cycle is None, "import circle: " + " -> ".join(cycle or [])


def test_no_module_imports_from_a_layer_above():
    upward = sorted(f"{m} (layer {layer_of(m)}) -> {t} (layer {layer_of(t)})"
                    for m, targets in GRAPH.items() for t in targets if layer_of(t) > layer_of(m))
    assert upward == []


def test_every_module_is_in_one_layer():
    names = [name for names in LAYERS for name in names]
    assert len(names) == len(set(names))
    for module in GRAPH:
        layer_of(module)


def test_nothing_imports_the_command_or_the_package_front():
    # `rushes.cli` is the top; inside the core nothing imports `rushes` itself either (its
    # re-exports are for users and plug-ins), so no layer depends on the front door
    assert sorted(m for m, targets in GRAPH.items() if "rushes.cli" in targets) == []
    assert sorted(m for m, targets in GRAPH.items() if "rushes" in targets) == []


def test_the_contract_imports_nothing_of_rushes():
    assert GRAPH["rushes.hookspecs"] == set()
    assert GRAPH["rushes.kinds"] == set() and GRAPH["rushes.version"] == set()


def test_old_import_paths_still_work():
    # names third-party plug-ins and host tools import from where they used to live
    import rushes
    import rushes.files
    import rushes.kinds
    import rushes.operators
    import rushes.outputs
    import rushes.plugins
    from rushes import Operator, Param

    assert (Operator, Param) == (rushes.operators.Operator, rushes.operators.Param)
    assert rushes.operators.INPUT_KINDS is rushes.kinds.INPUT_KINDS
    assert rushes.operators.plugin_manager is rushes.plugins.plugin_manager
    assert rushes.operators.reset_discovery is rushes.plugins.reset_discovery
    for name in ("atomic_path", "os_problem", "sha256_file", "USER_FIXABLE"):
        assert getattr(rushes.outputs, name) is getattr(rushes.files, name), name
    assert rushes.__version__ == rushes.version.__version__ == "0.1.0"


@pytest.mark.parametrize("module", ["rushes.media", "rushes.outputs", "rushes.modelstore", "rushes.hosts",
                                    "rushes.interchange"])
def test_a_lower_layer_loads_no_operator_module(module):
    # at run time too: importing a layer below the operators loads none of them (the package
    # front loads rushes.operators itself, so only the operators' own modules can show it)
    code = (f"import sys, {module}; print(sorted(m for m in sys.modules if m.split('.')[:2] in "
            f"(['rushes', 'detect'], ['rushes', 'faces'], ['rushes', 'gan'], ['rushes', 'speech'], "
            f"['rushes', 'runner'], ['rushes', 'jobs'], ['rushes', 'publish'], ['rushes', 'cli'])))")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "[]"
