"""The one JSON error shape also for errors the HTTP servers answer before Flask sees a request.

werkzeug's request handler (`overt serve`) and gunicorn's worker (`backend/gunicorn_conf.py`) each
write their own HTML page for a request line that is too long or malformed; both answer JSON here.
"""

from __future__ import annotations

from gunicorn.util import write_nonblock
from werkzeug.serving import WSGIRequestHandler

from .errors import server_error_json


class JSONErrorRequestHandler(WSGIRequestHandler):
    """werkzeug's handler, answering protocol-level errors (414, 400, 431) as JSON."""

    def send_error(self, code: int, message: str | None = None, explain: str | None = None):
        self.log_error("code %d", code)  # the message may echo the request line: not logged
        body = server_error_json(code)
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD" and code >= 200 and code not in (204, 304):
            self.wfile.write(body)


def gunicorn_write_error(sock, status_int: int, reason: str, mesg: str) -> None:
    """Replace gunicorn.util.write_error: the same answer, as JSON."""
    body = server_error_json(status_int)
    head = (
        f"HTTP/1.1 {status_int} {reason}\r\nConnection: close\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
    )
    write_nonblock(sock, head.encode("latin1") + body)
