"""Make the configured catalog `source-xero read --catalog` takes, from what `source-xero discover` prints.

    source-xero discover --config secrets/config.json | python scripts/configured_catalog.py > secrets/catalog.json
    source-xero discover --config secrets/config.json | python scripts/configured_catalog.py invoices contacts > ...

Every stream (or the streams named), incremental where the stream supports it (deduplicated by its primary
key), else full refresh. The Airbyte platform builds this file itself from the streams chosen in its UI.
"""

from __future__ import annotations

import json
import sys
from typing import Any, Iterable, List, Mapping, TextIO


def discovered_catalog(lines: Iterable[str]) -> Mapping[str, Any]:
    """The CATALOG message among discover's output lines (log lines and other messages are skipped)."""
    for line in lines:
        line = line.strip()
        if not line.startswith("{"):
            continue
        message = json.loads(line)
        if message.get("type") == "CATALOG":
            catalog: Mapping[str, Any] = message["catalog"]
            return catalog
    raise SystemExit("no CATALOG message in the input: pipe the output of `source-xero discover` into this script")


def configured(catalog: Mapping[str, Any], names: List[str]) -> dict:
    streams = {stream["name"]: stream for stream in catalog["streams"]}
    unknown = sorted(set(names) - set(streams))
    if unknown:
        raise SystemExit(f"discover has no stream named {', '.join(unknown)}; it has: {', '.join(sorted(streams))}")
    chosen = []
    for name in names or list(streams):
        stream = streams[name]
        incremental = "incremental" in stream.get("supported_sync_modes", [])
        entry = {
            "stream": stream,
            "sync_mode": "incremental" if incremental else "full_refresh",
            "destination_sync_mode": "append_dedup" if incremental else "overwrite",
        }
        if stream.get("source_defined_primary_key"):
            entry["primary_key"] = stream["source_defined_primary_key"]
        if incremental and stream.get("default_cursor_field"):
            entry["cursor_field"] = stream["default_cursor_field"]
        chosen.append(entry)
    return {"streams": chosen}


def main(argv: List[str], source: TextIO = sys.stdin, out: TextIO = sys.stdout) -> None:
    json.dump(configured(discovered_catalog(source), argv), out, indent=2)
    out.write("\n")


if __name__ == "__main__":
    main(sys.argv[1:])
