"""Fixtures of the e2e suite: Debian's Chromium driven by pytest-playwright against the real Shop.

The Shop is the local stack's (the session `stack` fixture starts it only if it is not up, and stops it only
if it started it), or an already running one: `--base-url URL` or the gate's `QA_TARGET`. Every test opens
its own browser contexts (one per person), so tests share the stack and never a cookie jar. A failed test
gets a full-page screenshot and the HTML of every page it opened, attached to Allure when allure-pytest is
writing results (`--alluredir`) and saved under pytest-playwright's `--output` folder; `--tracing
retain-on-failure` adds Playwright traces, which are attached to Allure too.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Generator, Iterator
from pathlib import Path
from typing import Any

import allure
import numpy as np
import pytest
from playwright.sync_api import BrowserContext, Page, expect
from slugify import slugify

from e2e.shop import UI, Visitor, sign_in
from tests.fixtures import cad, meshes

# Playwright cannot download its own browsers here: Debian's chromium package is the browser.
CHROMIUM = os.environ.get("E2E_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
    "--disable-quic",
]
REPO = Path(__file__).parent.parent
SOURCES = {".py", ".html", ".js", ".css", ".ini", ".mako", ".toml"}  # what a service process loads at start
_PAGES = pytest.StashKey[list[Page]]()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if here in item.path.parents:
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    """pytest-playwright's launch options, with Debian's Chromium, headless (there is no display)."""
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "headless": True, "args": CHROMIUM_ARGS}


@pytest.fixture(scope="session")
def base_url(pytestconfig: pytest.Config, request: pytest.FixtureRequest) -> str:
    """`--base-url` (or PYTEST_BASE_URL), else the environment the gate was pointed at (QA_TARGET), else the
    local stack's Shop (started if it is not up)."""
    given = pytestconfig.getoption("--base-url", None) or os.environ.get("QA_TARGET")
    if given:
        return str(given).rstrip("/")
    stack = request.getfixturevalue("stack")
    return str(stack.settings.url(stack.settings.shop_port))


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args: dict[str, Any]) -> dict[str, Any]:
    """English, UTC, a laptop-sized window: what the pages are written for."""
    return {**browser_context_args, "locale": "en-GB", "timezone_id": "UTC", "viewport": {"width": 1280, "height": 900}}


@pytest.fixture
def visitor(new_context: Callable[..., BrowserContext], request: pytest.FixtureRequest) -> Visitor:
    """`visitor(email)`: a page in a browser of its own (its own cookies), signed in as that demo account;
    `visitor(None)` is signed out, `javascript=False` a browser with scripting turned off."""
    pages = request.node.stash.setdefault(_PAGES, [])

    def open_as(email: str | None, *, javascript: bool = True) -> Page:
        context = new_context(java_script_enabled=javascript)
        context.set_default_timeout(UI)
        page = context.new_page()
        pages.append(page)
        if email:
            sign_in(page, email)
        return page

    return open_as


@pytest.fixture
def stl(tmp_path: Path) -> Callable[..., Path]:
    """`stl(kind="cube")`: a model file no other test uploads (its size is random, so is its content hash).

    kinds: cube (closed, printable), truncated (cut off mid-record), flat (a cube squashed to zero volume),
    inch-bracket (an L bracket drawn in inches, 1.3 units wide: a speck if read in mm).
    """

    def write(kind: str = "cube", name: str | None = None) -> Path:
        token = uuid.uuid4().hex[:8]
        path = tmp_path / (name or f"{kind}-{token}.stl")
        size = 15.0 + float(np.random.default_rng().random()) * 10
        if kind == "cube":
            return meshes.write_cube_binary(path, size)
        if kind == "truncated":
            return meshes.write_truncated_binary(path)
        if kind == "flat":
            return meshes.write_binary_stl(path, meshes.cube_triangles(size) * np.array([1.0, 1.0, 0.0]))
        if kind == "inch-bracket":
            vertices, faces = cad.l_bracket(depth=0.5 + size / 100)  # a unique content hash, as for cubes
            return meshes.write_binary_stl(path, cad.cad_export(vertices, faces))
        raise ValueError(f"unknown model kind {kind!r}")

    return write


@pytest.fixture(autouse=True, scope="session")
def _expect_timeout() -> Iterator[None]:
    """Assertions wait (auto-retrying) up to UI ms unless a test gives its own, longer, timeout."""
    expect.set_options(timeout=UI)
    yield


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Generator[None, Any, None]:
    outcome = yield
    report = outcome.get_result()
    if report.when in ("setup", "call") and report.failed:
        _capture_pages(item)
    if report.when == "teardown" and _allure_active(item.config):
        _attach_playwright_artifacts(report)


def _allure_active(config: pytest.Config) -> bool:
    return bool(getattr(config.option, "allure_report_dir", None))


def _capture_pages(item: pytest.Item) -> None:
    """What each page of the failed test showed when it failed: screenshot and HTML, to Allure and to disk."""
    folder = Path(item.config.getoption("--output")).absolute() / slugify(item.nodeid)[:200]
    pages: list[Page] = item.stash.get(_PAGES, [])
    for n, page in enumerate(pages, start=1):
        if page.is_closed():
            continue
        try:
            png = page.screenshot(full_page=True, timeout=5_000)
            html = page.content()
        except Exception as exc:  # a crashed page must not hide the test's own failure
            item.add_report_section("call", "screenshot", f"page {n}: no screenshot ({exc})")
            continue
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"page-{n}.png").write_bytes(png)
        if _allure_active(item.config):
            allure.attach(png, name=f"page {n}: {page.url}", attachment_type=allure.attachment_type.PNG)
            allure.attach(html, name=f"page {n} HTML", attachment_type=allure.attachment_type.HTML)


def _attach_playwright_artifacts(report: pytest.TestReport) -> None:
    """Traces and videos that pytest-playwright kept (--tracing / --video retain-on-failure), into Allure."""
    types = {"trace": allure.attachment_type.ZIP, "video": allure.attachment_type.WEBM}
    for key, value in report.user_properties:
        kind = key.removeprefix("playwright_")
        path = Path(str(value))
        if kind in types and path.is_file():
            allure.attach(path.read_bytes(), name=f"playwright {kind}", attachment_type=types[kind])
