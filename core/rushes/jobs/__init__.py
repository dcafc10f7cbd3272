"""Jobs: one job spec, run in this process, by a local worker the hosts talk to, or on a cluster."""
from __future__ import annotations

from .spec import JobSpec, validate_spec

__all__ = ["JobSpec", "validate_spec"]
