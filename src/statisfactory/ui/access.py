"""Who may read the UI: with a token, every request shows it (an ``Authorization: Bearer``
header, ``?token=`` once, then the cookie that visit sets); without one (bound to the loopback
interface only), requests must name a loopback host, so that another web site cannot reach the
UI by pointing a name of its own at 127.0.0.1."""

from __future__ import annotations

import hmac
from typing import Any
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, RedirectResponse

COOKIE = "statisfactory_ui"
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1", "[::1]")
SECURITY_HEADERS = [
    (b"content-security-policy",
     b"default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
     b"frame-ancestors 'none'; base-uri 'none'; form-action 'self'"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
]  # fmt: skip


class AccessGate:
    """ASGI middleware: the token check (or the loopback host check), read-only methods, and
    headers that keep pages from running or embedding anything foreign."""

    def __init__(self, app: Any, token: str | None) -> None:
        self.app = app
        self.token = token

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        refusal = self._refusal(request)
        if refusal is not None:
            await refusal(scope, receive, send)
            return
        if self.token is not None and request.query_params.get("token"):
            # The token leaves the address bar (and the browser's history) for a cookie.
            query = [(k, v) for k, v in request.query_params.multi_items() if k != "token"]
            target = request.url.path + (f"?{urlencode(query)}" if query else "")
            response = RedirectResponse(target, status_code=303)
            response.set_cookie(COOKIE, self.token, httponly=True, samesite="strict")
            await response(scope, receive, send)
            return

        async def send_with_headers(message: dict) -> None:
            if message["type"] == "http.response.start":
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"], *SECURITY_HEADERS]
            await send(message)

        await self.app(scope, receive, send_with_headers)

    def _refusal(self, request: Request) -> PlainTextResponse | HTMLResponse | None:
        if request.method not in ("GET", "HEAD"):
            return PlainTextResponse("the UI is read-only", status_code=405)
        if self.token is None:
            host = (request.headers.get("host") or "").rsplit(":", 1)[0]
            if host not in LOOPBACK_HOSTS:
                return PlainTextResponse(
                    f"host {host!r} refused: open the UI at the address `statisfactory ui` "
                    "printed (127.0.0.1)",
                    status_code=403,
                )
            return None
        if not any(_same(given, self.token) for given in _presented(request)):
            if request.url.path.startswith("/api/"):
                return PlainTextResponse(
                    "a token is needed: the header `Authorization: Bearer TOKEN` with the token "
                    "`statisfactory ui` printed",
                    status_code=401,
                )
            return HTMLResponse(_ASK_TOKEN, status_code=401)
        return None


def _presented(request: Request) -> list[str]:
    """The tokens a request shows: header, query, cookie."""
    header = request.headers.get("authorization", "")
    found = [header[7:].strip()] if header.lower().startswith("bearer ") else []
    found += [request.query_params.get("token", ""), request.cookies.get(COOKIE, "")]
    return [token for token in found if token]


def _same(given: str, token: str) -> bool:
    return hmac.compare_digest(given.encode(), token.encode())


_ASK_TOKEN = """<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">
<title>Statisfactory UI: token</title></head><body style="font-family: sans-serif">
<h1>A token is needed</h1><p>Enter the token <code>statisfactory ui</code> printed.</p>
<form method="get"><input name="token" type="password" autofocus size="40">
<button type="submit">Open</button></form></body></html>"""
