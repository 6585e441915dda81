"""Start the UI: bind the address first (so that the printed URL answers at once, and a busy
port is a clear error), then let uvicorn serve on that socket."""

from __future__ import annotations

import ipaddress
import secrets as random_tokens
import socket
from collections.abc import Callable
from typing import Any

from statisfactory.errors import UiError, install_hint


def is_loopback(host: str) -> bool:
    """Whether ``host`` is only reachable from this machine."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def bind(host: str, port: int) -> socket.socket:
    """A listening socket on ``host:port`` (port 0: any free one)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as error:
        raise UiError(f"--host {host!r} is not an address of this machine ({error})") from error
    family, kind, proto, _, address = infos[0]
    sock = socket.socket(family, kind, proto)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind(address)
    except OSError as error:
        sock.close()
        raise UiError(
            f"cannot listen on {host}:{port} ({error.strerror}); choose another with --port "
            "(or --port 0 for any free port)"
        ) from error
    sock.listen(128)
    sock.set_inheritable(True)
    return sock


def choose_token(host: str, token: str | None) -> str | None:
    """The token requests must show: the one given, or (off the loopback) a new random one."""
    if token is not None:
        if len(token) < 16:
            raise UiError("--token: use at least 16 characters, or leave it out for a random one")
        return token
    return None if is_loopback(host) else random_tokens.token_urlsafe(24)


def serve(
    app_factory: Callable[[str | None], Any],
    host: str,
    port: int,
    token: str | None,
    announce: Callable[[str, str | None], None],
) -> None:
    """Serve until interrupted; ``announce(url, token)`` is called once the address listens."""
    try:
        import uvicorn
    except ImportError as error:
        raise UiError(f"statisfactory ui needs its extra: {install_hint('ui')}") from error
    token = choose_token(host, token)
    sock = bind(host, port)
    bound_host, bound_port = sock.getsockname()[:2]
    shown = f"[{bound_host}]" if ":" in bound_host else bound_host
    url = f"http://{shown}:{bound_port}/"
    app = app_factory(token)
    # An open live-run stream must not hold Ctrl-C up: open connections get 2 s to finish.
    config = uvicorn.Config(
        app, log_level="warning", access_log=False, lifespan="off", timeout_graceful_shutdown=2
    )
    server = uvicorn.Server(config)
    announce(url, token)
    try:
        server.run(sockets=[sock])
    finally:
        sock.close()
