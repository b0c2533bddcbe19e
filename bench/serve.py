"""The Xero sandbox as a subprocess for the benchmark, with per-stream sizes (`python -m xero_sandbox` has
--invoices and --scale only; the benchmark also sizes journals).

    python -m bench.serve --sizes invoices=10000,journals=5000 [--latency-ms 1500] [--no-rate-limits]

Prints the sandbox's JSON info line (url, credentials, tenants), flushed, then serves until SIGTERM/SIGINT.
"""

from __future__ import annotations

import argparse
import sys

from xero_sandbox import Sandbox
from xero_sandbox.__main__ import serve_until_stopped
from xero_sandbox.data import BASE_COUNTS


def parse_sizes(text: str) -> dict:
    sizes = {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        name, _, value = part.partition("=")
        sizes[name.strip()] = int(value)
    return sizes


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.serve", description=__doc__)
    parser.add_argument("--sizes", default="", help="stream=count,... (e.g. invoices=10000,journals=5000)")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--latency-ms", type=float, default=0.0)
    parser.add_argument("--no-rate-limits", action="store_true")
    parser.add_argument("--tenants", type=int, default=1, help="organisations connected to the OAuth grant")
    parser.add_argument("--tenant-scales", default="", help="per organisation, a factor on every size: 1,0.6,0.3")
    parser.add_argument("--build-all", action="store_true",
                        help="build every stream of every organisation before serving (many small organisations: scenario g)")
    args = parser.parse_args(argv)
    scales = tuple(float(v) for v in args.tenant_scales.split(",") if v.strip())
    sandbox = Sandbox(seed=args.seed, sizes=parse_sizes(args.sizes), latency_ms=args.latency_ms,
                      rate_limits=not args.no_rate_limits, tenants=args.tenants, tenant_scales=scales).start()
    # Build the big columns now, so the first timed call does not pay for them.
    for name in (BASE_COUNTS if args.build_all else parse_sizes(args.sizes)):
        for tenant in sandbox.tenant_ids:
            sandbox.store.state(name, tenant)
    return serve_until_stopped(sandbox)


if __name__ == "__main__":
    sys.exit(main())
