"""The session: the entry point of a Statisfactory project (see :class:`Session`)."""

from statisfactory.scope import Scoped
from statisfactory.session.base_session import BaseSession
from statisfactory.session.session import Session

__all__ = ["BaseSession", "Scoped", "Session"]
