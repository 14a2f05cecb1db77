"""A tiny HTTP server on 127.0.0.1 for downloader tests: good, corrupt, truncated, missing and silent files."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Route:
    """What the server does for one path: send `body`, or only its first half ('truncate'), or wait ('hang')."""

    body: bytes = b""
    status: int = 200
    mode: str = "full"  # full | truncate | hang


@dataclass
class DataServer:
    """Serves `routes` (path -> Route); everything else is a 404. `requests` records each path asked for."""

    routes: dict[str, Route] = field(default_factory=dict)
    requests: list[str] = field(default_factory=list)
    server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        """Base URL, ending in '/'."""
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}/"

    def start(self) -> "DataServer":
        """Start serving in a daemon thread."""
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 - http.server's name
                owner.requests.append(self.path)
                route = owner.routes.get(self.path)
                if route is None:
                    self.send_error(404, "Not Found")
                    return
                if route.mode == "hang":
                    time.sleep(3)
                    return
                self.send_response(route.status)
                self.send_header("Content-Length", str(len(route.body)))
                self.end_headers()
                if route.mode == "truncate":
                    self.wfile.write(route.body[: len(route.body) // 2])
                    self.wfile.flush()
                    self.close_connection = True
                    return
                self.wfile.write(route.body)

            def log_message(self, *args):  # keep test output clean
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        """Stop serving and free the port."""
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()


def closed_port_url() -> str:
    """A URL on 127.0.0.1 where nothing listens (connection refused at once)."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/"
