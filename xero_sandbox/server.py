"""The socket: a threading HTTP/1.1 server handing every request to the App, and the broken
deliveries faults need (reset, truncated)."""

from __future__ import annotations

import socket
import struct
import sys
import time
import traceback
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, unquote, urlsplit

from .app import App
from .request import Request
from .response import ENDLESS, RESET, TRICKLE, TRUNCATED, Response


class SandboxServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(self, app: App, host: str = "127.0.0.1", port: int = 0):
        self.app = app
        super().__init__((host, port), _Handler)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go out in two writes: no 40 ms delayed-ACK stall

    def version_string(self) -> str:
        return "XeroSandbox/1.0"

    def log_message(self, format, *args):  # quiet: the App keeps its own (redacted) call log
        pass

    def _dispatch(self) -> None:
        parts = urlsplit(self.path)
        query = dict(parse_qsl(parts.query, keep_blank_values=True))
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        request = Request(self.command, unquote(parts.path), query, self.headers, body)
        try:
            response = self.server.app.handle(request)
        except Exception:  # a sandbox bug must show, not hang the client
            traceback.print_exc(file=sys.stderr)
            response = Response.json(500, {"Type": None, "Title": "Sandbox error", "Status": 500, "Detail": "see sandbox stderr"})
        self._write(response)

    do_GET = do_POST = do_PUT = do_DELETE = _dispatch

    def _write(self, response: Response) -> None:
        if response.delivery == RESET:
            self.close_connection = True
            # linger 0: close() sends a TCP RST instead of a polite FIN
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.connection.close()
            return
        self.send_response(response.status)
        for name, value in response.headers.items():
            self.send_header(name, value)
        if response.delivery == ENDLESS:
            self._write_endless(response)
            return
        if response.delivery == TRUNCATED:
            self.close_connection = True
            self.send_header("Content-Length", str(len(response.body) + 4096))
            self.send_header("Connection", "close")
        else:
            self.send_header("Content-Length", str(len(response.body)))
        self.end_headers()
        try:
            if response.delivery == TRICKLE:
                for index in range(len(response.body)):
                    self.wfile.write(response.body[index:index + 1])
                    self.wfile.flush()
                    time.sleep(response.pause)
            else:
                self.wfile.write(response.body)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    def _write_endless(self, response: Response) -> None:
        """No Content-Length, then the body and filler records for as long as the client reads (or the
        sandbox stops): an answer that never ends."""
        self.close_connection = True
        self.send_header("Connection", "close")
        self.end_headers()
        filler = b'{"Name":"' + b"x" * 65000 + b'"},'
        try:
            self.wfile.write(response.body)
            while not getattr(self.server, "stopping", False):
                self.wfile.write(filler)
        except (BrokenPipeError, ConnectionResetError, OSError):
            pass
