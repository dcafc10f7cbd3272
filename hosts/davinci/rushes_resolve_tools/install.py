"""`rushes hosts install resolve`: copies the Workspace > Scripts entries, the rushes_resolve package and
the job client into the per-user (or all-users) Resolve Scripts folder of this OS; re-running updates them."""
from __future__ import annotations

import json
import os
import shutil
import sys
from pathlib import Path

from rushes.errors import RushesError

SOURCE = Path(__file__).resolve().parent.parent  # hosts/davinci in a source checkout
MENU = "Utility"  # Workspace > Scripts on every page
LIB = "rushes_lib"  # beside the menu folders, which Resolve does not list
DEFAULT_SETTINGS = {
    "rushes_executable": None,
    "state_dir": None,
    "output_root": None,
    "start_worker": True,
    "markers_at_cuts": {"color": "Cyan", "otio_timeline": False},
    "subtitles": {},
    "scratch_voice": {"script_path": "", "at": "playhead"},
    "upscale_clips": {"color": "Orange", "encode": "prores"},
    "anonymize_clips": {"color": "Teal", "anonymize": "blur"},
    "face_markers": {"color": "Pink"},
}


def scripts_folder(system: str | None = None, all_users: bool = False, env: dict | None = None) -> Path:
    """Resolve's Fusion/Scripts folder for this OS (`system` as platform.system() names it)."""
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
        return Path("/opt/resolve/Fusion/Scripts")
    return home / ".local" / "share" / "DaVinciResolve" / "Fusion" / "Scripts"


def rushes_executable() -> str | None:
    found = shutil.which("rushes")
    beside = Path(sys.executable).with_name("rushes.exe" if os.name == "nt" else "rushes")
    return found or (str(beside) if beside.is_file() else None)


def install(scripts: Path, executable: str | None = None) -> dict:
    """Copy everything into `scripts` (a Resolve Scripts folder); returns what went where."""
    package, menu = SOURCE / "rushes_resolve", SOURCE / "scripts" / "rushes"
    if not package.is_dir() or not menu.is_dir():
        raise RushesError(f"{SOURCE}: the Resolve scripts are not in this rushes installation "
                          "(install rushes from a source checkout: pip install -e .)")
    lib, entries = scripts / LIB, scripts / MENU / "rushes"
    try:
        lib.mkdir(parents=True, exist_ok=True)
        target = lib / "rushes_resolve"
        if target.exists():
            shutil.rmtree(target)  # an update: no file of an older version stays behind
        # symlinks=False copies what a link points to: rushes_client.py is rushes' own job client
        shutil.copytree(package, target, symlinks=False, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        if entries.exists():
            shutil.rmtree(entries)
        entries.mkdir(parents=True)
        written = []
        for source in sorted(menu.glob("*.py")):
            text = source.read_text(encoding="utf-8")
            text = text.replace("LIB = None  #", f"LIB = {str(lib)!r}  #", 1)
            (entries / source.name).write_text(text, encoding="utf-8", newline="\n")
            written.append(entries / source.name)
        settings = lib / "rushes_settings.json"
        kept = _merge_settings(settings, executable)
    except OSError as exc:
        raise RushesError(f"{scripts}: cannot install the Resolve scripts there ({exc.strerror or exc})") from None
    return {"scripts": scripts, "entries": written, "lib": lib, "settings": settings, "kept_settings": kept}


def _merge_settings(path: Path, executable: str | None) -> bool:
    """Write the settings with defaults; an earlier file's values are kept (new keys added)."""
    data = json.loads(json.dumps(DEFAULT_SETTINGS))
    kept = False
    if path.exists():
        try:
            old = json.loads(path.read_text(encoding="utf-8"))
        except ValueError:
            old = None
        if isinstance(old, dict):
            kept = True
            for key, value in old.items():
                if isinstance(value, dict) and isinstance(data.get(key), dict):
                    data[key].update(value)
                else:
                    data[key] = value
    configured = data.get("rushes_executable")
    if executable and not (configured and os.path.isfile(configured)):
        data["rushes_executable"] = executable
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8", newline="\n")
    return kept
