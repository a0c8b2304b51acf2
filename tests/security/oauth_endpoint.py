"""A tiny OAuth 2 token endpoint on loopback: the client-credentials grant, answering unsigned
JWTs (which Kafka's default unsecured validator accepts) or the errors a real provider sends."""

from __future__ import annotations

import base64
import json
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


def unsigned_jwt(sub: str, lifetime_s: int) -> str:
    def part(value: object) -> str:
        raw = json.dumps(value, separators=(",", ":")).encode()
        return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()

    now = int(time.time())
    return f"{part({'alg': 'none'})}.{part({'sub': sub, 'iat': now, 'exp': now + lifetime_s})}."


class TokenEndpoint:
    """``url`` answers POSTs from ``client_id``/``client_secret`` with a token for ``sub``."""

    def __init__(
        self, client_id: str, client_secret: str, *, sub: str = "admin", lifetime_s: int = 3600
    ) -> None:
        self.client_id = client_id
        self.client_secret = client_secret
        self.sub = sub
        self.lifetime_s = lifetime_s
        self.requests: list[dict[str, Any]] = []
        # Status codes to answer with before answering normally (for retry tests).
        self.failures: list[int] = []
        endpoint = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                form = urllib.parse.parse_qs(self.rfile.read(length).decode())
                endpoint.requests.append(
                    {"form": form, "authorization": self.headers.get("Authorization")}
                )
                if endpoint.failures:
                    self._answer(endpoint.failures.pop(0), {"error": "temporarily_unavailable"})
                    return
                expected = base64.b64encode(
                    f"{endpoint.client_id}:{endpoint.client_secret}".encode()
                ).decode()
                if self.headers.get("Authorization") != f"Basic {expected}":
                    self._answer(
                        401, {"error": "invalid_client", "error_description": "bad credentials"}
                    )
                    return
                if form.get("grant_type") != ["client_credentials"]:
                    self._answer(400, {"error": "unsupported_grant_type"})
                    return
                token = unsigned_jwt(endpoint.sub, endpoint.lifetime_s)
                self._answer(
                    200,
                    {"access_token": token, "token_type": "Bearer", "expires_in": 3600},
                )

            def _answer(self, status: int, body: dict[str, Any]) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}/oauth2/token"

    def __enter__(self) -> TokenEndpoint:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)
