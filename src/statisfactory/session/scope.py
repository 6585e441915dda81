"""Moved to :mod:`statisfactory.scope` (the bottom layer, so storage and crafts can find the
active session without importing the session package)."""

from statisfactory.scope import (
    Scoped,
    active_session_or_none,
    get_active_session,
    pop_session,
    push_session,
)

__all__ = [
    "Scoped",
    "active_session_or_none",
    "get_active_session",
    "pop_session",
    "push_session",
]
