"""python -m xero_sandbox --port 0 [--scale N] [--seed S] [--latency-ms X|LOW-HIGH] [--no-rate-limits] ...

Prints ONE JSON line first (url, credentials, tenants), flushed, then serves until SIGTERM/SIGINT.
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading

from .control import info
from .options import GRANULAR_READ_SCOPES
from .sandbox import Sandbox


def _latency(text: str):
    if "-" in text:
        low, high = text.split("-", 1)
        return (float(low), float(high))
    return float(text)


def parse_args(argv):
    p = argparse.ArgumentParser(prog="python -m xero_sandbox", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--scale", type=float, default=1.0)
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--invoices", type=int, help="number of invoices (benchmark: 100000)")
    p.add_argument("--tenants", type=int, default=1, help="organisations connected to the OAuth grant")
    p.add_argument("--tenant-scales", default="", help="per tenant, a factor on every record count: 1,0.5,0.25")
    p.add_argument("--latency-ms", type=_latency, default=0, help="fixed ms, or LOW-HIGH")
    p.add_argument("--no-rate-limits", action="store_true")
    p.add_argument("--minute-limit", type=int, default=60)
    p.add_argument("--day-limit", type=int, default=5000)
    p.add_argument("--concurrent-limit", type=int, default=5)
    p.add_argument("--token-ttl", type=float, default=1800.0)
    p.add_argument("--refresh-grace", type=float, default=1800.0)
    p.add_argument("--high-volume-threshold", type=int, default=1000)
    p.add_argument("--ims-inclusive", action="store_true")
    p.add_argument("--journals-forbidden", action="store_true")
    p.add_argument("--retired", default="Employees", help="comma-separated resources answering 404 ('' for none)")
    p.add_argument("--scopes", help="space-separated scopes granted to the OAuth app; 'granular' for a new app's granular-only token")
    p.add_argument("--client-id")
    p.add_argument("--client-secret")
    p.add_argument("--refresh-token", help="the initial refresh token (default: derived from the seed)")
    p.add_argument("--fault-rate", type=float, default=0.0, help="random faults on this share of API calls")
    p.add_argument("--fault-kinds", default="", help="comma-separated fault kinds (default: all listed in faults.py)")
    p.add_argument("--fault-seed", type=int, default=0)
    p.add_argument("--slow-seconds", type=float, default=10.0)
    return p.parse_args(argv)


def build(args) -> Sandbox:
    options = dict(
        seed=args.seed, scale=args.scale, invoices=args.invoices, tenants=args.tenants,
        tenant_scales=tuple(float(v) for v in args.tenant_scales.split(",") if v.strip()), latency_ms=args.latency_ms,
        rate_limits=not args.no_rate_limits, minute_limit=args.minute_limit, day_limit=args.day_limit,
        concurrent_limit=args.concurrent_limit, token_ttl=args.token_ttl, refresh_grace=args.refresh_grace,
        high_volume_threshold=args.high_volume_threshold, ims_inclusive=args.ims_inclusive,
        journals_forbidden=args.journals_forbidden, retired=[r for r in args.retired.split(",") if r],
        client_id=args.client_id, client_secret=args.client_secret, initial_refresh_token=args.refresh_token,
        slow_seconds=args.slow_seconds,
    )
    if args.scopes:
        options["scopes"] = GRANULAR_READ_SCOPES if args.scopes == "granular" else args.scopes
    sandbox = Sandbox(host=args.host, port=args.port, **options)
    if args.fault_rate:
        kinds = [k for k in args.fault_kinds.split(",") if k] or None
        sandbox.faults(args.fault_rate, kinds, args.fault_seed)
    return sandbox


def serve_until_stopped(sandbox: Sandbox) -> int:
    """Print the started sandbox's info as one JSON line, serve until SIGTERM or SIGINT, then stop it."""
    stopping = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stopping.set())
    sys.stdout.write(json.dumps(info(sandbox)) + "\n")
    sys.stdout.flush()
    while not stopping.wait(0.5):
        pass
    sandbox.stop()
    return 0


def main(argv=None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    return serve_until_stopped(build(args).start())


if __name__ == "__main__":
    sys.exit(main())
