"""Workspace > Scripts > rushes > Open Report: the last rushes action's report page in the web browser."""
import os
import sys

LIB = None  # the folder holding rushes_resolve; `rushes hosts install resolve` writes it here
if LIB is None:  # run from a source checkout: hosts/davinci/scripts/rushes/ -> hosts/davinci/
    LIB = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
if LIB not in sys.path:
    sys.path.insert(0, LIB)

from rushes_resolve import menu  # noqa: E402

menu.open_report()
