"""`make bench`: the source-xero benchmark against the local Xero sandbox (see docs/benchmark.md)."""
