"""`rushes hosts install|uninstall resolve`: the Workspace > Scripts entries, the rushes_resolve package and
the host kit in it (the job client and what every host shares), copied into the per-user (or all-users)
Resolve Scripts folder of this OS, and taken away again.

Two folders there are rushes' own: ``Utility/rushes`` (the menu entries) and ``rushes_lib`` (the package
and the user's settings). Each records what install wrote in it (rushes.hosts.plan_install), so a
re-install replaces and an uninstall removes exactly those files; a folder of those names that rushes
did not make, a file in them it did not write, or a settings file that does not parse is refused with
one line before anything is written.
"""
from __future__ import annotations

import json
import os
import shutil
import sys
from pathlib import Path

from rushes.errors import RushesError
from rushes.hosts import Installed, package_files, plan_install, read_settings, uninstall_folder

SOURCE = Path(__file__).resolve().parent.parent  # hosts/davinci in a source checkout
MENU = "Utility"  # Workspace > Scripts on every page
LIB = "rushes_lib"  # beside the menu folders, which Resolve does not list
SETTINGS = "rushes_settings.json"
RUNTIME = ("rushes_resolve.log", "rushes_panel.json")  # what the actions write beside their settings
BY = "rushes hosts install resolve"
DEFAULT_SETTINGS = {
    "rushes_executable": None,
    "state_dir": None,
    "output_root": None,
    "start_worker": True,
    "run_operator": {"operator": "", "params": {}},
    "markers_at_cuts": {"color": "Cyan", "otio_timeline": False},
    "subtitles": {},
    "scratch_voice": {"script_path": "", "at": "playhead"},
    "upscale_clips": {"color": "Orange", "encode": "prores"},
    "anonymize_clips": {"color": "Teal", "anonymize": "blur"},
    "face_markers": {"color": "Pink"},
}


def scripts_folder(system: str | None = None, all_users: bool = False, env: dict | None = None,
                   linux_install: Path = Path("/opt/resolve")) -> Path:
    """Resolve's Fusion/Scripts folder for this OS (`system` as platform.system() names it). All
    users on Linux: under Resolve's own folder (`linux_install`), else under /home/resolve, where
    Resolve keeps them when it is not installed in /opt/resolve."""
    env = os.environ if env is None else env
    system = system or {"win32": "Windows", "darwin": "Darwin"}.get(sys.platform, "Linux")
    home = Path(env.get("HOME") or os.path.expanduser("~"))
    if system == "Darwin":
        base = Path("/Library") if all_users else home / "Library"
        return base / "Application Support" / "Blackmagic Design" / "DaVinci Resolve" / "Fusion" / "Scripts"
    if system == "Windows":
        if all_users:
            return Path(env.get("PROGRAMDATA", r"C:\ProgramData")) / "Blackmagic Design" / "DaVinci Resolve" / "Fusion" / "Scripts"
        appdata = env.get("APPDATA") or str(home / "AppData" / "Roaming")
        return Path(appdata) / "Blackmagic Design" / "DaVinci Resolve" / "Support" / "Fusion" / "Scripts"
    if all_users:
        return (linux_install if linux_install.is_dir() else Path("/home/resolve")) / "Fusion" / "Scripts"
    return home / ".local" / "share" / "DaVinciResolve" / "Fusion" / "Scripts"


def rushes_executable() -> str | None:
    found = shutil.which("rushes")
    beside = Path(sys.executable).with_name("rushes.exe" if os.name == "nt" else "rushes")
    return found or (str(beside) if beside.is_file() else None)


def _sources() -> tuple[Path, Path]:
    package, menu = SOURCE / "rushes_resolve", SOURCE / "scripts" / "rushes"
    if not package.is_dir() or not menu.is_dir():
        raise RushesError(f"{SOURCE}: the Resolve scripts are not in this rushes installation "
                          "(install rushes from a source checkout: pip install -e .)")
    return package, menu


def install(scripts: Path, executable: str | None = None) -> dict:
    """Copy everything into `scripts` (a Resolve Scripts folder); returns what went where."""
    package, menu = _sources()
    lib, entries = scripts / LIB, scripts / MENU / "rushes"
    code = package_files(package, "rushes_resolve/")
    for folder in (lib, entries):  # a folder rushes did not make is refused before its files are read
        Installed.read(folder, BY)
    earlier = read_settings(lib / SETTINGS)
    code[SETTINGS] = _settings(earlier, executable)
    menus = {}
    for source in sorted(menu.glob("*.py")):
        text = source.read_text(encoding="utf-8").replace("LIB = None  #", f"LIB = {str(lib)!r}  #", 1)
        menus[source.name] = text.encode("utf-8")
    # both folders are checked before either is written
    plans = [plan_install(lib, code, BY, merged=[SETTINGS], runtime=RUNTIME), plan_install(entries, menus, BY)]
    for plan in plans:
        plan.apply()
    return {"scripts": scripts, "entries": [entries / n for n in menus], "lib": lib, "settings": lib / SETTINGS,
            "kept_settings": earlier is not None}


def uninstall(scripts: Path) -> dict:
    """Remove what install put into `scripts`; the settings stay when they were changed since."""
    entries = uninstall_folder(scripts / MENU / "rushes", BY)
    lib = uninstall_folder(scripts / LIB, BY)
    return {"entries": entries, "lib": lib}


def _settings(earlier: dict | None, executable: str | None) -> bytes:
    """The settings with defaults; an earlier file's values are kept (new keys added)."""
    data = json.loads(json.dumps(DEFAULT_SETTINGS))
    for key, value in (earlier or {}).items():
        if isinstance(value, dict) and isinstance(data.get(key), dict):
            data[key].update(value)
        else:
            data[key] = value
    configured = data.get("rushes_executable")
    if executable and not (configured and os.path.isfile(configured)):
        data["rushes_executable"] = executable
    return (json.dumps(data, indent=2, ensure_ascii=False) + "\n").encode("utf-8")
