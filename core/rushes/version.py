"""rushes' version, at the bottom of the import graph so every layer may name it in what it writes."""
from __future__ import annotations

__version__ = "0.1.0"
