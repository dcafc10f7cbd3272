"""rushes plug-in, every Nuke mode (GUI, `nuke -t`, render nodes): nothing runs at start-up.

Nuke puts this folder on sys.path (NUKE_PATH or nuke.pluginAddPath), so scripts and farm jobs
can `import rushes_nuke`; the menus are built by menu.py, in the GUI only.
"""
import rushes_nuke  # noqa: F401  (cheap: the standard library only, no worker contacted)
