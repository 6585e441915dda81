"""The one rule of what a secret is, and how text, records and streams are masked."""

from __future__ import annotations

import io
import logging

from statisfactory.secrets import (
    RedactingFilter,
    ScrubbingStream,
    Secrets,
    environment_secrets,
    is_secret_key,
    secret_values,
)


def test_secret_values_are_those_under_secret_keys_at_any_depth() -> None:
    settings = {
        "db_password": "hunter2-pw",
        "services": {"weather": {"api_token": "tok-0123456789"}, "region": "eu-west-1"},
        "credentials_key": {"user": "someone", "list": ["abcdefgh"]},
        "api_secret": "zq7x",
        "pin_key": 4242,
        "key_length": 8,  # too short to be told from ordinary text
        "use_token": True,
    }

    assert secret_values(settings) == {
        "hunter2-pw",
        "tok-0123456789",
        "someone",
        "abcdefgh",
        "zq7x",
        "4242",
    }
    assert is_secret_key("AWS_Secret_Access_Key") and not is_secret_key("region")


def test_statisfactory_variables_named_as_secrets_are_secrets() -> None:
    environ = {
        "STATISFACTORY_VAULT_TOKEN": "env-Tok-31337",
        "STATISFACTORY_DB__PASSWORD": "pw-env",
        "STATISFACTORY_RUNNER": "dask",
        "OTHER_TOKEN": "not-ours",
    }

    assert environment_secrets(environ) == {"env-Tok-31337", "pw-env"}


def test_a_short_secret_is_masked_as_a_whole_token_only() -> None:
    secrets = Secrets(["pass", "4242"])

    masked = secrets.mask("login pass refused (pin 4242); password, passage, port 54242, pass_1")

    assert masked == "login *** refused (pin ***); password, passage, port 54242, pass_1"


def test_a_long_secret_is_masked_even_inside_a_word() -> None:
    secrets = Secrets(["tok-0123456789", "hunter2"])

    assert secrets.mask("GET /f?x=1&t=tok-0123456789abc hunter2s") == "GET /f?x=1&t=***abc hunter2s"
    assert secrets.mask("db://ada:pw@host/x?token=abc") == "db://ada:***@host/x?token=***"


def test_records_errors_and_streams_are_masked() -> None:
    secrets = Secrets(["hunter2-pw"])
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RedactingFilter(secrets))
    logger = logging.getLogger("statisfactory.tests.secrets")
    logger.addHandler(handler)
    try:
        try:
            raise secrets.mask_error(ValueError("no login with hunter2-pw"))
        except ValueError:
            logger.exception("failed with %s", "hunter2-pw")
    finally:
        logger.removeHandler(handler)
    out = io.StringIO()
    ScrubbingStream(out, secrets).write("printed hunter2-pw\n")

    assert "failed with ***" in stream.getvalue()
    assert "ValueError: no login with ***" in stream.getvalue()
    assert "hunter2-pw" not in stream.getvalue()
    assert out.getvalue() == "printed ***\n"
