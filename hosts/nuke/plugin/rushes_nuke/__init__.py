"""rushes for Nuke: operators as nodes and menus, results as native nodes (standard library only).

Runs inside Nuke's own Python (Nuke 14-16: Python 3.9-3.11) and never imports torch or rushes:
jobs go to a rushes worker through the host kit's client (`rushes_hostkit.client`). For scripts and
`nuke -t`: ``rushes_nuke.jobs.run("detect.faces", nuke.toNode("Read1"))`` waits and returns the
nodes it made; farms can instead paste the faces.nk / shots.nk a run wrote with nuke.nodePaste().
"""

__version__ = "0.1.0"
