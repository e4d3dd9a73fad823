"""A real HTTP receiver for the tests: each path answers from its script, and keeps what it got."""

from __future__ import annotations

import threading
from collections import defaultdict
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from .smtp import free_port


class Receiver:
    """An HTTP server answering each path from its script (the last answer repeats), keeping what came."""

    def __init__(self, scripts: dict[str, list[tuple[int, dict[str, str]]]]) -> None:
        self.scripts = scripts
        self.got: dict[str, list[tuple[dict[str, str], bytes]]] = defaultdict(list)
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["content-length"]))
                seen = receiver.got[self.path]
                seen.append(({k.lower(): v for k, v in self.headers.items()}, body))
                script = receiver.scripts[self.path]
                status, headers = script[min(len(seen), len(script)) - 1]
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("content-length", "0")
                self.end_headers()

            def log_message(self, *args) -> None:
                pass

        self.port = free_port()
        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def close(self) -> None:
        self.server.shutdown()
