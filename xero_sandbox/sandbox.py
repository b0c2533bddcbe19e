"""`Sandbox`: the App on a real socket in a daemon thread, for pytest fixtures and scripts.

    with Sandbox(scale=1, seed=42).start() as sb:
        os.environ["XERO_API_BASE_URL"] = os.environ["XERO_IDENTITY_BASE_URL"] = sb.url
        config = sb.connector_config()
"""

from __future__ import annotations

import threading
from typing import Any, Optional

from .app import App
from .server import SandboxServer


class Sandbox(App):
    def __init__(self, host: str = "127.0.0.1", port: int = 0, **options: Any):
        super().__init__(**options)
        self._host, self._port = host, port
        self._server: Optional[SandboxServer] = None
        self._thread: Optional[threading.Thread] = None

    def start(self) -> "Sandbox":
        if self._server is None:
            self._server = SandboxServer(self, self._host, self._port)
            host, port = self._server.server_address[:2]
            self.url = f"http://{host}:{port}"
            self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                            name="xero-sandbox", daemon=True)
            self._thread.start()
        return self

    @property
    def port(self) -> int:
        return self._server.server_address[1] if self._server else self._port

    def stop(self) -> None:
        server, self._server = self._server, None
        if server is not None:
            server.stopping = True  # ends an 'endless' answer still being written
            server.shutdown()
            server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> "Sandbox":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
