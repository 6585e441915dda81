"""Storage backends by URL scheme: the :class:`Backend` base and its registry."""

from statisfactory.IO.backends.base import Backend, StreamingBackend, backend_class

__all__ = ["Backend", "StreamingBackend", "backend_class"]
