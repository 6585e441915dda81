"""The stack of active sessions, one per thread and per asyncio task (``contextvars``)."""

from __future__ import annotations

from contextvars import ContextVar
from typing import TYPE_CHECKING

from statisfactory.errors import NoActiveSessionError

if TYPE_CHECKING:
    from statisfactory.session.base_session import BaseSession

# A tuple, never mutated in place: a task or a copied context keeps the stack it started with.
_STACK: ContextVar[tuple[BaseSession, ...]] = ContextVar("statisfactory_sessions", default=())


def push_session(session: BaseSession) -> None:
    """Put ``session`` on top of the current context's stack."""
    _STACK.set((*_STACK.get(), session))


def pop_session(session: BaseSession | None = None) -> BaseSession:
    """Remove the top session (or the latest occurrence of ``session``) and return it."""
    stack = _STACK.get()
    if not stack:
        raise NoActiveSessionError("No session to leave: the session stack is empty.")
    index = len(stack) - 1
    if session is not None:
        matches = [i for i, item in enumerate(stack) if item is session]
        if not matches:
            raise NoActiveSessionError("This session is not on the stack of the current context.")
        index = matches[-1]
    _STACK.set(stack[:index] + stack[index + 1 :])
    return stack[index]


def get_active_session() -> BaseSession:
    """The session on top of the stack; outside any ``with session:`` it is an error."""
    stack = _STACK.get()
    if not stack:
        raise NoActiveSessionError(
            "No active session: wrap the call in `with session:` "
            "(session = statisfactory.Session()) so crafts and pipelines know the project."
        )
    return stack[-1]


def active_session_or_none() -> BaseSession | None:
    """The session on top of the stack, or None."""
    stack = _STACK.get()
    return stack[-1] if stack else None


class Scoped:
    """Thread-safe session getter (the seed's API over the context-local stack)."""

    @property
    def _sessions(self) -> tuple[BaseSession, ...]:
        return _STACK.get()

    def get_session(self) -> BaseSession:
        """The active session; raises :class:`NoActiveSessionError` outside ``with session:``."""
        return get_active_session()

    @classmethod
    def set_session(cls, session: BaseSession) -> None:
        """Push ``session`` as the active one (``with session:`` does this for you)."""
        push_session(session)
