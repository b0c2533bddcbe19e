"""The README's command-line sequence against the sandbox, as a user types it, never loses the refresh token.

The commands are read from the README's "Against the local sandbox" block, not copied here, and run in its
order with `bash` in a folder of their own: the real `source-xero` command, the sandbox over HTTP on
127.0.0.1, no environment variable but the sandbox's address. The sandbox keeps a rotated-away refresh
token usable for 60 s only (Xero: 30 minutes), and its clock moves 20 minutes on between two commands and an
hour after the last one, so each command can only sign in with the token the one before it left in the
config file.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import List

from xero_sandbox import Sandbox

ROOT = Path(__file__).resolve().parent.parent
GRACE_SECONDS = 60
BETWEEN_COMMANDS = 20 * 60
AN_HOUR = 60 * 60


def readme_sandbox_commands() -> List[str]:
    """The `source-xero ...` lines of the README's sandbox block, comments removed."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("### Against the local sandbox", 1)[1]
    block = re.search(r"```bash\n(.*?)```", section, flags=re.DOTALL)
    assert block, "the README's sandbox section has no bash block"
    commands = [line.split("  #", 1)[0].strip() for line in block.group(1).splitlines() if line.startswith("source-xero ")]
    assert [c.split()[1] for c in commands] == ["check", "discover", "read"], commands
    return commands


def _run(command: str, folder: Path, env: dict) -> subprocess.CompletedProcess:
    return subprocess.run(["bash", "-c", f"set -o pipefail; {command}"], cwd=folder, env=env, capture_output=True,
                          text=True, timeout=300)


def _messages(stdout: str, kind: str) -> list:
    return [m for m in (json.loads(line) for line in stdout.splitlines() if line.startswith("{")) if m["type"] == kind]


def test_the_readme_command_line_sequence_keeps_the_token_usable_an_hour_later_without_any_setting(tmp_path):
    commands = readme_sandbox_commands()
    folder = tmp_path / "user"
    folder.mkdir()
    (folder / "scripts").symlink_to(ROOT / "scripts")  # the README's commands run from the repository root
    with Sandbox(seed=42, scale=1, rate_limits=False, refresh_grace=GRACE_SECONDS) as sandbox:
        credentials = sandbox.connector_config()["credentials"]
        config_path = folder / "sandbox-config.json"
        config_path.write_text(json.dumps({"credentials": {key: credentials[key] for key in (
            "auth_type", "client_id", "client_secret", "refresh_token")}}))
        bin_folder = str(Path(sys.executable).parent)  # `source-xero` and `python` as in the activated .venv
        env = {key: value for key, value in os.environ.items() if key != "SOURCE_XERO_WRITE_BACK_CONFIG"}
        env.update(PATH=f"{bin_folder}:{env.get('PATH', '')}", XERO_API_BASE_URL=sandbox.url,
                   XERO_IDENTITY_BASE_URL=sandbox.url)

        tokens_seen = [credentials["refresh_token"]]
        for command in commands:
            done = _run(command, folder, env)
            assert done.returncode == 0, f"{command}\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
            token = json.loads(config_path.read_text())["credentials"]["refresh_token"]
            if token != tokens_seen[-1]:
                tokens_seen.append(token)
            if command.split()[1] == "read":
                assert any(m["record"]["stream"] == "invoices" for m in _messages(done.stdout, "RECORD"))
            sandbox.advance_clock(BETWEEN_COMMANDS)

        sandbox.advance_clock(AN_HOUR)
        later = _run("source-xero check --config sandbox-config.json", folder, env)
        [status] = _messages(later.stdout, "CONNECTION_STATUS")
        assert status["connectionStatus"]["status"] == "SUCCEEDED", status
        # check and read each rotated the token, and each new one was in the file for the next command
        assert len(tokens_seen) >= 3
