"""Logging: one ``statisfactory`` logger tree and the seed's :class:`MixinLogable`."""

from __future__ import annotations

import logging

LOGGER_NAME = "statisfactory"


def get_logger(name: str | None = None) -> logging.Logger:
    """Return ``statisfactory`` or one of its children (``statisfactory.<name>``)."""
    return logging.getLogger(f"{LOGGER_NAME}.{name}" if name else LOGGER_NAME)


class MixinLogable:
    """Give a class ``self.info``/``self.warning``/... that log under the class's own name."""

    @property
    def _logger(self) -> logging.Logger:
        return get_logger(type(self).__name__)

    def debug(self, msg: str, *args: object) -> None:
        self._logger.debug(msg, *args)

    def info(self, msg: str, *args: object) -> None:
        self._logger.info(msg, *args)

    def warning(self, msg: str, *args: object) -> None:
        self._logger.warning(msg, *args)

    def error(self, msg: str, *args: object) -> None:
        self._logger.error(msg, *args)

    def critical(self, msg: str, *args: object) -> None:
        self._logger.critical(msg, *args)
