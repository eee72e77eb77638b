"""PRICING_* settings and the command line: defaults, overrides, and a clear refusal of bad values."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError
from typer.testing import CliRunner

from system.pricing.__main__ import app
from system.pricing.settings import PricingSettings


@pytest.fixture(autouse=True)
def auth_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PRICING_AUTH_SECRET", "unit-pricing-" + "x" * 32)


def test_settings_come_from_pricing_variables(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PRICING_AMQP_URL", "amqp://u:p@broker:5672/")
    monkeypatch.setenv("PRICING_FILES_URL", "http://files:8010")
    monkeypatch.setenv("PRICING_CACHE_DIR", str(tmp_path))
    monkeypatch.setenv("PRICING_METRICS_PORT", "9300")
    monkeypatch.setenv("PRICING_LOG_JSON", "false")
    s = PricingSettings()
    assert (s.amqp_url, s.files_url, s.cache_dir, s.metrics_port, s.log_json) == (
        "amqp://u:p@broker:5672/",
        "http://files:8010",
        tmp_path,
        9300,
        False,
    )
    assert s.concurrency == 1 and s.otlp_endpoint is None


@pytest.mark.parametrize(("name", "value"), [("PRICING_MAX_MODEL_BYTES", "0"), ("PRICING_METRICS_PORT", "http")])
def test_a_bad_value_fails_naming_the_setting(monkeypatch: pytest.MonkeyPatch, name: str, value: str) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(ValidationError, match=name.removeprefix("PRICING_").lower()):
        PricingSettings()


def test_the_token_secret_is_required(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PRICING_AUTH_SECRET")
    with pytest.raises(ValidationError, match="auth_secret"):
        PricingSettings()


def test_the_command_refuses_bad_settings_before_starting_anything(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PRICING_CONCURRENCY", "0")
    result = CliRunner().invoke(app, [])
    assert result.exit_code == 2
    assert "invalid PRICING_* settings" in result.output and "concurrency" in result.output


def test_the_command_refuses_a_concurrency_below_one() -> None:
    result = CliRunner().invoke(app, ["--concurrency", "0"])
    assert result.exit_code == 2


def test_the_broker_gives_a_job_more_time_than_the_worker_does() -> None:
    """Past consumer_timeout the broker closes the channel and redelivers: the worker's own limit must come first,
    so a long job ends in pricing.failed with its reason rather than running again elsewhere."""
    from system.stack.settings import StackSettings

    broker_s = StackSettings().rabbit_consumer_timeout_ms / 1000
    assert PricingSettings().job_timeout_s == 30 * 60, "the issue's default"
    assert broker_s >= PricingSettings().job_timeout_s + 5 * 60
