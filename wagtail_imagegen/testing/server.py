"""Serving a FakeImageAPI on a loopback port from a background thread, for tests, benchmarks and the CLI."""

from __future__ import annotations

import ipaddress
import select
import socket
import socketserver
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any
from wsgiref.simple_server import ServerHandler, WSGIRequestHandler, WSGIServer

from .fake_api import SHOULD_STOP_KEY, FakeImageAPI
from .faults import DropConnection

LOOPBACK_NAMES = frozenset({"localhost"})
POLL_SECONDS = 0.05
JOIN_SECONDS = 5.0


@dataclass(frozen=True)
class ServedFakeAPI:
    """A running fake: `base_url` is what an OpenAI client takes (http://127.0.0.1:PORT/v1)."""

    api: FakeImageAPI
    host: str
    port: int

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    @property
    def base_url(self) -> str:
        return f"{self.url}/v1"


@contextmanager
def serve_fake_api(
    api: FakeImageAPI | None = None, *, host: str = "127.0.0.1", port: int = 0
) -> Iterator[ServedFakeAPI]:
    """Serve `api` (a fresh FakeImageAPI by default) on `host`:`port` (0 picks a free port) until exit."""
    require_loopback(host)
    api = api if api is not None else FakeImageAPI()
    server = _ThreadedWSGIServer((host, port), _RequestHandler)
    server.set_app(api)
    thread = threading.Thread(target=server.serve_forever, args=(POLL_SECONDS,), name="fake-image-api", daemon=True)
    thread.start()
    try:
        yield ServedFakeAPI(api, host, server.server_port)
    finally:
        server.stopping.set()  # ends hangs and latency sleeps within one slice
        server.shutdown()
        server.server_close()
        thread.join(JOIN_SECONDS)


def require_loopback(host: str) -> None:
    """The fake is for tests: never listen beyond this machine."""
    try:
        loopback = host in LOOPBACK_NAMES or ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = False
    if not loopback:
        raise ValueError(f"the fake image API only binds loopback addresses, not {host!r}")


class _ThreadedWSGIServer(socketserver.ThreadingMixIn, WSGIServer):
    daemon_threads = True  # a request thread never keeps the process (or server_close) waiting
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], handler: type[WSGIRequestHandler]) -> None:
        self.address_family = socket.AF_INET6 if ":" in address[0] else socket.AF_INET
        self.stopping = threading.Event()
        super().__init__(address, handler)

    def server_bind(self) -> None:
        # HTTPServer.server_bind looks the host name up (getfqdn), which can reach DNS; loopback needs none.
        socketserver.TCPServer.server_bind(self)
        self.server_name, self.server_port = str(self.server_address[0]), int(self.server_address[1])
        self.setup_environ()


class _ServerHandler(ServerHandler):
    def handle_error(self) -> None:
        if isinstance(sys.exc_info()[1], DropConnection):
            return  # send nothing; the server closes the socket when the handler returns
        super().handle_error()


class _RequestHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the stdlib's signature
        """Quiet: tests read `api.requests`, not the console."""

    def get_environ(self) -> dict[str, Any]:
        environ = super().get_environ()
        environ[SHOULD_STOP_KEY] = self._should_stop
        return environ

    def _should_stop(self) -> bool:
        return self.server.stopping.is_set() or _client_gone(self.connection)  # type: ignore[attr-defined]

    def handle(self) -> None:
        """WSGIRequestHandler.handle, with a ServerHandler that can leave a request unanswered."""
        self.raw_requestline = self.rfile.readline(65537)
        if len(self.raw_requestline) > 65536:
            self.send_error(414)
            return
        if not self.parse_request():
            return
        handler = _ServerHandler(self.rfile, self.wfile, self.get_stderr(), self.get_environ(), multithread=True)
        handler.request_handler = self  # type: ignore[attr-defined]
        handler.run(self.server.get_app())  # type: ignore[attr-defined]


def _client_gone(connection: socket.socket) -> bool:
    """True once the client has closed its end (readable, yet nothing to read)."""
    try:
        readable, _, _ = select.select([connection], [], [], 0)
        return bool(readable) and connection.recv(1, socket.MSG_PEEK) == b""
    except (OSError, ValueError):
        return True
