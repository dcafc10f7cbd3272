"""Neither the fake `nuke` nor the plug-in may invent Nuke API: every name and signature is
checked against the types-nuke stubs; the plug-in folder is standard library only, parses as
Python 3.9 (Nuke 14), imports under `python -I -S`, and passes mypy against the stubs."""
from __future__ import annotations

import ast
import inspect
import os
import subprocess
import sys
from pathlib import Path

import pytest

import nuke as fake

FAKE = Path(__file__).resolve().parent / "fake"
PLUGIN = Path(__file__).resolve().parents[3] / "hosts" / "nuke" / "plugin"


def stub_dir() -> Path:
    import site

    for base in site.getsitepackages():
        found = Path(base) / "nuke-stubs"
        if found.is_dir():
            return found
    pytest.fail("types-nuke is not installed (pyproject's test extra pins it)")


def stub_surface() -> tuple[dict, dict, set]:
    """Module functions (name -> [param lists]), classes (name -> (bases, {method: [param lists]}))
    and other names (constants), from every .pyi of nuke-stubs."""
    functions: dict[str, list] = {}
    classes: dict[str, tuple] = {}
    names: set[str] = set()
    for pyi in stub_dir().glob("*.pyi"):
        tree = ast.parse(pyi.read_text())
        for item in tree.body:
            if isinstance(item, ast.FunctionDef):
                functions.setdefault(item.name, []).append(item.args)
            elif isinstance(item, ast.ClassDef):
                methods: dict[str, list] = {}
                for sub in item.body:
                    if isinstance(sub, ast.FunctionDef):
                        methods.setdefault(sub.name, []).append(sub.args)
                    elif isinstance(sub, ast.AnnAssign) and isinstance(sub.target, ast.Name):
                        methods.setdefault(sub.target.id, [])
                classes[item.name] = ([b.id for b in item.bases if isinstance(b, ast.Name)], methods)
            elif isinstance(item, ast.AnnAssign) and isinstance(item.target, ast.Name):
                names.add(item.target.id)
    return functions, classes, names


def stub_method(classes: dict, cls: str, name: str) -> list | None:
    """A method's overloads on a stub class or its bases (None: not there)."""
    if cls not in classes:
        return None
    bases, methods = classes[cls]
    if name in methods:
        return methods[name]
    for base in bases:
        found = stub_method(classes, base, name)
        if found is not None:
            return found
    return None


def fits(fake_fn, overloads: list, skip_self: bool) -> str | None:
    """None when the fake's parameters are, in order and by name, those of one stub overload
    (or the stub takes *args); else what differs."""
    params = [p for p in inspect.signature(fake_fn).parameters.values()
              if p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]
    mine = [p.name for p in params]
    if skip_self and mine and mine[0] in ("self", "cls"):
        mine = mine[1:]
    for args in overloads:
        if args.vararg is not None:
            return None
        theirs = [a.arg for a in args.posonlyargs + args.args + args.kwonlyargs]
        if skip_self and theirs and theirs[0] in ("self", "cls", "type"):
            theirs = theirs[1:]
        if all(n in theirs for n in mine) and mine == [n for n in theirs if n in mine]:
            return None
    return f"fake {mine} vs stub {[[a.arg for a in o.args] for o in overloads]}"


def test_every_name_and_signature_of_the_fake_is_in_the_stubs():
    functions, classes, names = stub_surface()
    problems = []
    for name, value in vars(fake).items():
        if name.startswith("_") or inspect.ismodule(value) or name in ("annotations",):
            continue
        if getattr(value, "__module__", "nuke") not in ("nuke",) and not isinstance(value, (bool, int, float, str)):
            continue  # typing imports
        if inspect.isclass(value):
            if name not in classes:
                problems.append(f"class nuke.{name} is not in types-nuke")
                continue
            for attr, member in inspect.getmembers(value):
                if attr.startswith("_") and attr not in ("__getitem__",):
                    continue
                if not callable(member):
                    continue
                overloads = stub_method(classes, name, attr)
                if overloads is None:
                    problems.append(f"nuke.{name}.{attr} is not in types-nuke")
                elif overloads and (why := fits(member, overloads, skip_self=True)):
                    problems.append(f"nuke.{name}.{attr}: {why}")
        elif callable(value):
            if name not in functions:
                problems.append(f"nuke.{name}() is not in types-nuke")
            elif why := fits(value, functions[name], skip_self=False):
                problems.append(f"nuke.{name}(): {why}")
        elif name not in names:
            problems.append(f"nuke.{name} is not in types-nuke")
    assert not problems, "\n".join(problems)


def plugin_files() -> list[Path]:
    return sorted(PLUGIN.rglob("*.py"))


def test_every_nuke_name_the_plugin_uses_is_in_the_stubs_and_the_fake():
    functions, classes, names = stub_surface()
    used = set()
    for path in plugin_files():
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "nuke":
                used.add(node.attr)
    assert {"ProgressTask", "executeInMainThread", "nodePaste", "createNode", "toNode", "selectedNodes",
            "root", "menu", "toolbar"} <= used
    unknown = sorted(n for n in used if n not in functions and n not in classes and n not in names)
    assert not unknown, f"the plug-in uses names types-nuke does not have: {unknown}"
    missing = sorted(n for n in used if not hasattr(fake, n))
    assert not missing, f"the fake lacks: {missing}"


def test_the_plugin_folder_is_standard_library_python_3_9():
    allowed = set(sys.stdlib_module_names) | {"nuke", "rushes_nuke"}
    for path in plugin_files():
        text = path.read_text()
        assert text.lstrip().startswith('"""'), f"{path}: first line must be a docstring saying what it is for"
        tree = ast.parse(text, feature_version=(3, 9))  # Nuke 14's Python
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                roots = [a.name.split(".")[0] for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                roots = [(node.module or "").split(".")[0]]
            else:
                continue
            assert set(roots) <= allowed, f"{path}: imports {roots}"
    kit = PLUGIN / "rushes_nuke" / "rushes_hostkit"
    assert kit.is_symlink() and not os.path.isabs(os.readlink(kit))
    assert kit.resolve() == (PLUGIN.parents[1] / "kit" / "rushes_hostkit").resolve()


def test_the_plugin_imports_under_isolated_python_with_only_the_fake(tmp_path):
    code = ("import sys; sys.path[:0] = [%r, %r]; import init, menu, rushes_nuke.jobs, rushes_nuke.menus;"
            "import nuke; assert nuke.menu('Nuke').findItem('rushes/Refresh operators');"
            "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('torch', 'rushes', 'numpy'));"
            "assert not bad, bad; print('ok')") % (str(FAKE), str(PLUGIN))
    env = {"HOME": str(tmp_path), "PATH": "/nonexistent",
           "RUSHES_STATE": "/nonexistent/rushes-state"}
    proc = subprocess.run([sys.executable, "-I", "-S", "-c", code], capture_output=True, text=True, env=env,
                          cwd=str(PLUGIN))
    assert proc.returncode == 0 and proc.stdout.strip() == "ok", proc.stderr


def test_mypy_against_types_nuke():
    mypy = pytest.importorskip("mypy.api", reason="mypy is not installed in this environment")
    # the job client is the core's own file (checked with the core); mypy 2 checks 3.10 at the oldest,
    # 3.9 syntax is checked above
    files = [str(p) for p in plugin_files()]
    out, err, status = mypy.run(["--python-version", "3.10", "--ignore-missing-imports", "--no-error-summary",
                                 "--follow-imports", "silent", *files])
    assert status == 0, out + err
