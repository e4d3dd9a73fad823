"""A stand-in for Neutron that says every server has no ports (run by cloud.sh start).

Nova asks Neutron when it shows, lists in detail or deletes a server. The
test cloud has no networks, so every collection is empty; forewarn never
reads networks. It is left out of the catalog: Nova finds it by its
endpoint_override.
"""

from __future__ import annotations

import json
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Empty(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        path = self.path.split("?", 1)[0].rstrip("/")
        if path in ("", "/v2.0"):
            href = f"http://{self.headers.get('Host', '127.0.0.1:9696')}/v2.0/"
            body = {
                "versions": [{"id": "v2.0", "status": "CURRENT", "links": [{"rel": "self", "href": href}]}]
            }
        else:
            collection = path.rsplit("/", 1)[-1].removesuffix(".json")
            body = {collection: []}
        data = json.dumps(body).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: object) -> None:
        pass


if __name__ == "__main__":
    ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Empty).serve_forever()
