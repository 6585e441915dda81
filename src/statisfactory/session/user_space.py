"""``session._``: where users and extensions keep their own data."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any


class UserSpace(SimpleNamespace):
    """A namespace read and written as attributes (``sess._.value``) or as keys
    (``sess._["value"]``, the original's hooks write it so): both name the same data."""

    def __getitem__(self, key: str) -> Any:
        try:
            return self.__dict__[key]
        except KeyError:
            raise KeyError(
                f"session._ holds no {key!r}; set it first: sess._[{key!r}] = ..."
            ) from None

    def __setitem__(self, key: str, value: Any) -> None:
        self.__dict__[key] = value

    def __delitem__(self, key: str) -> None:
        del self.__dict__[key]

    def __contains__(self, key: object) -> bool:
        return key in self.__dict__

    def get(self, key: str, default: Any = None) -> Any:
        """The value of ``key``, or ``default``."""
        return self.__dict__.get(key, default)
