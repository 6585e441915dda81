"""The one gate between the project and the browser: every page and API response is masked."""

from __future__ import annotations

from typing import Any


def masked(session: Any, value: Any) -> Any:
    """``value`` with secret keys' values as ``***`` and the session's secret values hidden."""
    return session.secrets.redact(value)
