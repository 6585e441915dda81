"""The one gate between the project and the browser: every page and API response is masked."""

from __future__ import annotations

from typing import Any

from statisfactory.errors import StatisfactoryError
from statisfactory.secrets import Secrets


def project_secrets(session: Any) -> Secrets:
    """The session's secrets (settings, ``STATISFACTORY_*`` variables) and those of every
    parameter set (a run's parameters come from them): the UI shows values from all."""
    sets = []
    parameters = session.parameters
    for name in parameters.names():
        try:
            sets.append(parameters[name])
        except StatisfactoryError:  # a broken set: its page shows the error, not its values
            continue
    return session.secrets.joined(*sets)


def masked(secrets: Secrets, value: Any) -> Any:
    """``value`` with secret keys' values as ``***`` and the known secret values hidden."""
    return secrets.redact(value)
