"""Turn notebook file and folder names into Python module names.

The rule: accents removed and lower-cased (``Été`` → ``ete``); numbers and separators at the
start are dropped (``01 - Data prep`` → ``data prep``); every run of characters other than
letters, digits and ``_`` becomes one ``_`` (``data_prep``). A name that is empty, starts with
a digit or is a Python keyword afterwards gets an ``nb_`` prefix (``2021`` → ``nb_2021``).
"""

from __future__ import annotations

import keyword
import re
import unicodedata
from pathlib import PurePath

_LEADING_NUMBER = re.compile(r"^[\d\s._-]+")
_NOT_IDENTIFIER = re.compile(r"[^0-9a-z_]+")


def module_part(name: str) -> str:
    """One file stem or folder name as an identifier (see the module docstring)."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    lowered = ascii_name.strip().lower()
    stripped = _LEADING_NUMBER.sub("", lowered)
    # A name made only of numbers keeps them, with a prefix, rather than vanishing.
    candidate = _NOT_IDENTIFIER.sub("_", stripped or lowered).strip("_")
    if not candidate or candidate[0].isdigit() or keyword.iskeyword(candidate):
        candidate = f"nb_{candidate}".rstrip("_")
    return candidate


def module_parts(relative_notebook: PurePath) -> tuple[str, ...]:
    """``01 - Data prep/02 clean.ipynb`` → ``("data_prep", "clean")``."""
    folders = [module_part(part) for part in relative_notebook.parent.parts]
    return (*folders, module_part(relative_notebook.stem))
