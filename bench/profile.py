"""cProfile of source-xero in-process over a one-stream full read (invoices by default; zero latency, rate
limits off): where the connector's CPU goes. The sandbox runs as a subprocess, so its work is not in the
profile; every thread of the connector is (the lead's parallel reader runs streams on worker threads).

    .venv/bin/python -m bench.profile [--invoices 10000] [--top 10]
    .venv/bin/python -m bench.profile --stream journals --journals 5000
    .venv/bin/python -m bench.profile --stream invoices,invoice_line_items     # a parent with its nested list
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import io
import json
import os
import pstats
import sys
import tempfile
import threading
import time
from pathlib import Path

from .connectors import airbyte_catalog
from .sandbox import SandboxProcess


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.profile", description=__doc__)
    parser.add_argument("--invoices", type=int, default=10_000, help="sandbox invoices (default 10,000)")
    parser.add_argument("--journals", type=int, default=5_000, help="sandbox journals (default 5,000, as in make bench)")
    parser.add_argument("--top", type=int, default=10)
    parser.add_argument("--stream", default="invoices",
                        help="the stream to read (any discovered one; default invoices), or several, comma-separated")
    parser.add_argument("--callers", default="", help="also print the callers of functions matching this regex")
    args = parser.parse_args(argv)

    from airbyte_cdk.entrypoint import launch
    from source_xero.source import SourceXero

    sizes = {"invoices": args.invoices, "journals": args.journals}
    with SandboxProcess(sizes) as sb, tempfile.TemporaryDirectory() as tmp:
        os.environ.update(XERO_API_BASE_URL=sb.url, XERO_IDENTITY_BASE_URL=sb.url)
        config = Path(tmp, "config.json")
        config.write_text(json.dumps(sb.control("connector_config", start_date="2000-01-01T00:00:00Z")))
        discovered = _discover(sb, Path(tmp))
        catalog = Path(tmp, "catalog.json")
        streams = [name.strip() for name in args.stream.split(",") if name.strip()]
        catalog.write_text(json.dumps(airbyte_catalog(discovered, streams)))
        config.write_text(json.dumps(sb.control("connector_config", start_date="2000-01-01T00:00:00Z")))

        profiles = []

        def start_thread_profile(*_):  # first profile event of a new thread: hand over to a cProfile
            profile = cProfile.Profile()
            profiles.append(profile)
            profile.enable()  # replaces this hook in this thread only

        main_profile = cProfile.Profile()
        threading.setprofile(start_thread_profile)
        started = time.perf_counter()
        cpu = time.process_time()
        main_profile.enable()
        try:
            with _stdout_to_devnull():
                launch(SourceXero(), ["read", "--config", str(config), "--catalog", str(catalog)])
        finally:
            main_profile.disable()
            threading.setprofile(None)
        wall, cpu = time.perf_counter() - started, time.process_time() - cpu
        calls = sb.api_calls()

    stats = pstats.Stats(main_profile)
    for profile in profiles:
        with contextlib.suppress(TypeError):
            stats.add(profile)
    size = f"{sizes[streams[0]]:,} {streams[0]}" if streams[0] in sizes else "sandbox scale 1"
    print(f"{args.stream}: {size}, {calls} API calls, wall {wall:.1f} s, CPU {cpu:.1f} s "
          f"(profiled: slower than unprofiled), {len(profiles)} extra threads profiled")
    for order in ("cumulative", "tottime"):
        text = io.StringIO()
        stats.stream = text
        stats.sort_stats(order).print_stats(args.top + 15 if order == "cumulative" else args.top)
        print(f"\n--- top by {order} ---")
        print(_trim(text.getvalue()))
    if args.callers:
        text = io.StringIO()
        stats.stream = text
        stats.sort_stats("cumulative").print_callers(args.callers)
        print(f"\n--- callers of {args.callers} ---")
        print(_trim(text.getvalue()))
    return 0


def _discover(sb: SandboxProcess, workdir: Path) -> dict:
    from .connectors import SourceXero as SourceXeroCommand

    return SourceXeroCommand(workdir).discover(sb)


@contextlib.contextmanager
def _stdout_to_devnull():
    """The CDK prints records through its own buffer to file descriptor 1: silence it at the fd level."""
    sys.stdout.flush()
    saved = os.dup(1)
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    try:
        yield
    finally:
        sys.stdout.flush()
        os.dup2(saved, 1)
        os.close(devnull)
        os.close(saved)


def _trim(text: str) -> str:
    lines = text.splitlines()
    start = next((i for i, line in enumerate(lines) if line.strip().startswith("ncalls")), 0)
    return "\n".join(line.replace(str(Path(sys.prefix)), "<venv>") for line in lines[start:] if line.strip())


if __name__ == "__main__":
    sys.exit(main())
