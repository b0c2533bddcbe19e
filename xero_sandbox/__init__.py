"""A local server that behaves like Xero (identity + Accounting API) for tests, demos and benchmarks.

Not part of the connector wheel. See `Sandbox` (Python) and `python -m xero_sandbox --help` (CLI).
"""

from .options import SandboxOptions
from .sandbox import Sandbox
from .store import SandboxError
from .streams import STREAMS

__all__ = ["Sandbox", "SandboxError", "SandboxOptions", "STREAMS"]
