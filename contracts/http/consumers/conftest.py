"""Where the consumer tests write their pacts: `$PACT_DIR/http`, or a fresh folder per session."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from contracts.http.consumers.contract import Contract


@pytest.fixture(scope="session")
def pact_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`$PACT_DIR/http`; by default a temporary folder, never the committed one (the drift test compares them)."""
    root = Path(os.environ["PACT_DIR"]) if os.environ.get("PACT_DIR") else tmp_path_factory.mktemp("pacts")
    folder = root / "http"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture(scope="session")
def shop_crm(pact_dir: Path) -> Contract:
    return Contract("shop", "crm", pact_dir)


@pytest.fixture(scope="session")
def shop_files(pact_dir: Path) -> Contract:
    return Contract("shop", "files", pact_dir)


@pytest.fixture(scope="session")
def shop_mes(pact_dir: Path) -> Contract:
    return Contract("shop", "mes", pact_dir)


@pytest.fixture(scope="session")
def crm_files(pact_dir: Path) -> Contract:
    return Contract("crm", "files", pact_dir)


@pytest.fixture(scope="session")
def pricing_files(pact_dir: Path) -> Contract:
    return Contract("pricing", "files", pact_dir)
