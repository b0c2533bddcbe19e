"""`source-xero`, watched: what the platform would see of the demo's reads, besides the records PyAirbyte loads.

PyAirbyte runs this in place of `source-xero` (scripts/demo.py gives it as the local executable). It runs the real
command with the same arguments, passes every line on unchanged, and notes for each run: the moment each message
arrived, every stream's estimates (ESTIMATE trace messages) and records, and the streams shown RATE_LIMITED. The
notes go to the file named by DEMO_WATCH_FILE, one JSON object per run, for the demo to print.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path


def main() -> int:
    command = [str(Path(sys.executable).parent / "source-xero"), *sys.argv[1:]]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    assert process.stdout is not None
    started = last = time.monotonic()
    longest, records, estimates, limited, waits = 0.0, {}, {}, set(), 0
    for line in process.stdout:
        sys.stdout.write(line)
        now = time.monotonic()
        longest, last = max(longest, now - last), now
        if '"type": "RECORD"' in line[:40] or '"type":"RECORD"' in line[:40]:
            stream = json.loads(line)["record"]["stream"]
            records[stream] = records.get(stream, 0) + 1
            continue
        sys.stdout.flush()
        if '"TRACE"' not in line and '"LOG"' not in line:
            continue
        message = json.loads(line)
        trace = message.get("trace") or {}
        if trace.get("type") == "ESTIMATE":
            told = estimates.setdefault(trace["estimate"]["name"], {})
            told.setdefault("first", trace["estimate"]["row_estimate"])  # the one before the stream's first record
            told["last"] = trace["estimate"]["row_estimate"]
        elif trace.get("type") == "STREAM_STATUS" and trace["stream_status"].get("reasons"):
            limited.add(trace["stream_status"]["stream_descriptor"]["name"])
        elif message.get("type") == "LOG" and " waits " in message["log"]["message"]:
            waits += 1
    sys.stdout.flush()
    code = process.wait()
    notes = os.environ.get("DEMO_WATCH_FILE")
    if notes and "read" in sys.argv[1:2]:
        run = {"seconds": round(time.monotonic() - started, 1), "longest_silence": round(longest, 1), "records": records,
               "estimates": estimates, "rate_limited": sorted(limited), "long_waits": waits}
        with open(notes, "a") as out:
            out.write(json.dumps(run) + "\n")
    return code


if __name__ == "__main__":
    sys.exit(main())
