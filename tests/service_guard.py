"""What a test does when a server it needs cannot start: fail in CI, skip elsewhere."""

from __future__ import annotations

import os

import pytest

IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def service_unavailable(reason: str) -> None:
    """A needed server or program is missing: fail in CI, skip (with the reason) on a user's machine."""
    if IN_CI:
        pytest.fail(f"service unavailable in CI: {reason}")
    pytest.skip(reason)
