"""Python objects in files: ``pickle``, ``json``, ``text`` and ``binary``."""

from __future__ import annotations

import json
import pickle
from collections.abc import Mapping
from typing import Any, BinaryIO

from statisfactory.errors import CatalogError
from statisfactory.IO.interactors.files import FileInteractor, text_handle


class PickleInteractor(FileInteractor, interactor_name="pickle"):
    """Any picklable object (``pickle.load``/``pickle.dump``; options such as ``protocol``).

    Loading a pickle runs code chosen by whoever wrote the file: load only trusted files.
    """

    def read(self, source: str | BinaryIO, context: Mapping[str, Any]) -> Any:
        with self.opened(source) as handle:
            return pickle.load(handle, **self.options(pickle.load, "load", context))

    def write(self, asset: Any, handle: BinaryIO, context: Mapping[str, Any]) -> None:
        options = self.options(pickle.dump, "save", context, positional=2)
        pickle.dump(asset, handle, **{"protocol": pickle.HIGHEST_PROTOCOL, **options})


class JsonInteractor(FileInteractor, interactor_name="json"):
    """A JSON document (``json.load``/``json.dump``, UTF-8; options such as ``indent``)."""

    def read(self, source: str | BinaryIO, context: Mapping[str, Any]) -> Any:
        with self.opened(source) as handle:
            return json.load(handle, **self.options(json.load, "load", context))

    def write(self, asset: Any, handle: BinaryIO, context: Mapping[str, Any]) -> None:
        options = self.options(json.dump, "save", context, positional=2)
        with text_handle(handle) as text:
            try:
                json.dump(asset, text, **options)
            except (TypeError, ValueError) as error:
                raise CatalogError(
                    f"{self.artifact.where}: the object cannot be written as JSON ({error}); "
                    f"convert it to dicts, lists, strings and numbers, or use type pickle"
                ) from error


class TextInteractor(FileInteractor, interactor_name="text"):
    """A string, in a text file (``load_options``/``save_options``: ``encoding``, default UTF-8,
    and ``errors``, as ``bytes.decode``/``str.encode`` take them)."""

    def check_asset(self, asset: Any) -> None:
        if not isinstance(asset, str):
            raise CatalogError(
                f"{self.artifact.where}: a text artifact holds a str, not a "
                f"{type(asset).__name__}; convert it with str(), or use another type"
            )

    def read(self, source: str | BinaryIO, context: Mapping[str, Any]) -> Any:
        with self.opened(source) as handle:
            return _decode(handle.read(), **self.options(_decode, "load", context))

    def write(self, asset: Any, handle: BinaryIO, context: Mapping[str, Any]) -> None:
        handle.write(_encode(asset, **self.options(_encode, "save", context)))


def _decode(data: bytes, encoding: str = "utf-8", errors: str = "strict") -> str:
    return data.decode(encoding, errors)


def _encode(text: str, encoding: str = "utf-8", errors: str = "strict") -> bytes:
    return text.encode(encoding, errors)


class BinaryInteractor(FileInteractor, interactor_name="binary"):
    """Raw bytes (``bytes``, ``bytearray`` or ``memoryview`` to save; ``bytes`` when loaded)."""

    def check_asset(self, asset: Any) -> None:
        if not isinstance(asset, bytes | bytearray | memoryview):
            raise CatalogError(
                f"{self.artifact.where}: a binary artifact holds bytes, not a "
                f"{type(asset).__name__}; encode it first, or use another type"
            )

    def read(self, source: str | BinaryIO, context: Mapping[str, Any]) -> Any:
        with self.opened(source) as handle:
            return handle.read()

    def write(self, asset: Any, handle: BinaryIO, context: Mapping[str, Any]) -> None:
        handle.write(asset)
