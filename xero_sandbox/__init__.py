"""A local server that behaves like Xero (identity + Accounting API) for tests, demos and benchmarks.

Not part of the connector wheel. See `Sandbox` (Python) and `python -m xero_sandbox --help` (CLI).
"""

from .options import ALL_READ_SCOPES, GRANULAR_READ_SCOPES, SandboxOptions
from .sandbox import Sandbox
from .store import SandboxError
from .streams import STREAMS

__all__ = ["ALL_READ_SCOPES", "GRANULAR_READ_SCOPES", "Sandbox", "SandboxError", "SandboxOptions", "STREAMS"]
