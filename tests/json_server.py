"""A JSON HTTP server on a loopback port, for tests that stand in for a remote endpoint."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

# answer(method, path, headers, request body or None) -> (status, response body)
Answer = Callable[[str, str, object, object], tuple[int, object]]


class JsonServer:
    """Serves GET and POST on 127.0.0.1 (a free port) by calling `answer`; `url` is its base."""

    def __init__(self, answer: Answer):
        class Handler(BaseHTTPRequestHandler):
            def _reply(self):
                length = int(self.headers.get("Content-Length") or 0)
                request = json.loads(self.rfile.read(length)) if length else None
                status, body = answer(self.command, self.path, self.headers, request)
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = _reply

            def log_message(self, *args):
                pass

        self.http = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = "http://127.0.0.1:%d" % self.http.server_address[1]
        threading.Thread(target=self.http.serve_forever, daemon=True).start()

    def close(self):
        self.http.shutdown()
        self.http.server_close()
