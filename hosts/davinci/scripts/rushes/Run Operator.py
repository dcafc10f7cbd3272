"""Workspace > Scripts > rushes > Run Operator: any operator the rushes worker offers (the one named in the
"run_operator" section of rushes_settings.json; without one, the list to choose from) on the current timeline."""
import os
import sys

LIB = None  # the folder holding rushes_resolve; `rushes hosts install resolve` writes it here
if LIB is None:  # run from a source checkout: hosts/davinci/scripts/rushes/ -> hosts/davinci/
    LIB = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
if LIB not in sys.path:
    sys.path.insert(0, LIB)

from rushes_resolve import menu  # noqa: E402

menu.run("run_operator", globals())
