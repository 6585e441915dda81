"""Storage backends by URL scheme: the :class:`Backend` base and its registry."""

from statisfactory.IO.backends.base import Backend, backend_class

__all__ = ["Backend", "backend_class"]
