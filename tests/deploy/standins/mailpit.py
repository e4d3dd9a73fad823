#!/usr/bin/python3
"""A stand-in for Mailpit: SMTP on :1025, and on :8025 the part of Mailpit's API a test reads.

`/mailpit` serves; `/mailpit readyz` is the health check, as in Mailpit's image. The API:
GET /api/v1/messages (newest first: ID, Subject, To) and GET /api/v1/message/ID/raw.
"""

import email
import email.policy
import json
import signal
import sys
import threading
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

API = 8025
MESSAGES: list[bytes] = []


class Catch:
    async def handle_DATA(self, server, session, envelope):
        MESSAGES.append(envelope.original_content or envelope.content)
        return "250 OK"


def summary(number: int, raw: bytes) -> dict:
    message = email.message_from_bytes(raw, policy=email.policy.default)
    to = [{"Name": a.display_name, "Address": a.addr_spec} for a in message["To"].addresses]
    return {"ID": str(number), "Subject": str(message["Subject"]), "To": to}


class Api(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        parts = self.path.split("?")[0].strip("/").split("/")
        if parts == ["readyz"]:
            self.answer(b"ok", "text/plain")
        elif parts == ["api", "v1", "messages"]:
            listed = [summary(n, raw) for n, raw in enumerate(MESSAGES)][::-1]
            self.answer(json.dumps({"total": len(listed), "messages": listed}).encode(), "application/json")
        elif len(parts) == 5 and parts[:3] == ["api", "v1", "message"] and parts[4] == "raw":
            self.answer(MESSAGES[int(parts[3])], "message/rfc822")
        else:
            self.send_error(404)

    def answer(self, body: bytes, kind: str) -> None:
        self.send_response(200)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args) -> None:
        pass


def main() -> None:
    if sys.argv[1:] == ["readyz"]:
        urllib.request.urlopen(f"http://127.0.0.1:{API}/readyz", timeout=2)
        return
    from aiosmtpd.controller import Controller

    smtp = Controller(Catch(), hostname="0.0.0.0", port=1025)
    smtp.start()
    http = ThreadingHTTPServer(("0.0.0.0", API), Api)
    threading.Thread(target=http.serve_forever, daemon=True).start()
    # As PID 1 it would ignore SIGTERM without a handler of its own.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    threading.Event().wait()


if __name__ == "__main__":
    main()
