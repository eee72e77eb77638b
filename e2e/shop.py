"""What a person does in the Shop, step by step, found by role and label as a screen reader would find it.

No sleeps: every wait is an auto-retrying `expect` with a timeout. The only loop is `refresh_until`, for the
operator console, which (unlike an order page) does not update itself: the operator follows Refresh.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Protocol

from playwright.sync_api import Locator, Page, expect

UI = 10_000  # ms: a page, a redirect, a script's reaction
QUOTE = 45_000  # ms: pricing workers fetch the model, compute its geometry and price, the MES gathers the lines
PROPAGATION = 20_000  # ms: an event from one service reaching another (outbox, RabbitMQ, consumer)

PROCESSES = {"FDM": "FDM · filament", "SLA": "SLA · resin", "SLS": "SLS · powder"}  # the options' labels
PASSWORD = "demo"
ADA = "ada@example.com"  # B2C customer
BUYER = "buyer@acme.example"  # B2B customer
OPERATOR = "operator@factory.example"


class Visitor(Protocol):
    """The `visitor` fixture: a page in a browser of its own, signed in as `email` (None: signed out)."""

    def __call__(self, email: str | None, *, javascript: bool = True) -> Page: ...


def short_id(value: str) -> str:
    """How the Shop shows an id: its first eight hex digits, upper case."""
    return value.replace("-", "")[:8].upper()


def sign_in(page: Page, email: str, password: str = PASSWORD) -> None:
    page.goto("/signin")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    expect(page).not_to_have_url(re.compile(r"/signin"))
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()


# ---- customer ----


def upload(page: Page, model: Path) -> Locator:
    """Choose `model` in the file input of the new-order page; the fieldset of its order line once uploaded."""
    page.get_by_label("Model file").set_input_files(model)
    return uploaded(page, model.name)


def uploaded(page: Page, filename: str) -> Locator:
    """Wait for the upload script to report `filename` stored; its order line (a fieldset named after it)."""
    expect(page.get_by_role("status")).to_have_text(f"{filename} uploaded and added to your order.", timeout=UI)
    line = page.get_by_role("group", name=filename)
    expect(line).to_be_visible()
    return line


def choose(line: Locator, *, material: str, process: str, quantity: int = 1, lead_time_days: int = 7) -> None:
    """Fill in an order line; material and process by the labels the customer reads (e.g. "PETG", "FDM")."""
    line.get_by_label("Material").select_option(label=material)
    line.get_by_label("Process").select_option(label=PROCESSES[process])
    line.get_by_label("Quantity").fill(str(quantity))
    line.get_by_label("Lead time (days)").fill(str(lead_time_days))


def place_order(page: Page) -> str:
    """Press Place order; the new order's id, read from the order page it leads to."""
    page.get_by_role("button", name="Place order").click()
    expect(page).to_have_url(re.compile(r"/orders/[0-9a-f-]{36}$"))
    order_id = page.url.rsplit("/", 1)[1]
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Order {short_id(order_id)}")
    return order_id


def new_order(page: Page, model: Path, *, material: str = "PLA", process: str = "FDM", quantity: int = 1) -> str:
    """Upload one model, choose its options and place the order; the order's id."""
    page.goto("/orders/new")
    choose(upload(page, model), material=material, process=process, quantity=quantity)
    return place_order(page)


def order_status(page: Page) -> Locator:
    """The order page's live region: what state the order is in, in words."""
    return page.get_by_role("status")


def wait_for_quote(page: Page) -> None:
    expect(order_status(page)).to_contain_text("Your quote is ready", timeout=QUOTE)


def timeline(page: Page) -> Locator:
    """The entries of the order's timeline, newest first."""
    return page.get_by_role("region", name="Timeline").get_by_role("listitem")


# ---- operator ----


def refresh_until(page: Page, target: Locator, within: int = PROPAGATION, every: int = 1_000) -> None:
    """Follow the page's Refresh link until `target` shows: the operator console (and any page without
    JavaScript) shows news only when it is loaded again."""
    attempts = max(1, within // every)
    for attempt in range(attempts):
        try:
            expect(target).to_be_visible(timeout=every)
            return
        except AssertionError:
            if attempt == attempts - 1:
                raise
            page.get_by_role("link", name="Refresh").click()


def job_row(page: Page, section: str, order_id: str) -> Locator:
    """The row of `order_id`'s production job in the console section named `section` (e.g. "Queued")."""
    region = page.get_by_role("region", name=re.compile(rf"^{re.escape(section)} \d+$"))
    return region.get_by_role("row").filter(has=page.get_by_role("link", name=short_id(order_id), exact=True))


def act_on_job(page: Page, order_id: str, section: str, action: str, done: str) -> None:
    """Press `action` (e.g. "Start") on the order's job in `section`, and see the console say it is `done`."""
    row = job_row(page, section, order_id)
    refresh_until(page, row)
    job = row.get_by_role("rowheader").inner_text().strip()
    row.get_by_role("button", name=f"{action} job {job}").click()
    expect(page.get_by_text(f"Job {job} {done}.")).to_be_visible()


def mark_delivered(page: Page, order_id: str) -> None:
    """Press Mark delivered on the order in the console's Shipped orders, once the CRM has it as shipped."""
    region = page.get_by_role("region", name=re.compile(r"^Shipped orders \d+$"))
    button = region.get_by_role("button", name=f"Mark delivered order {short_id(order_id)}")
    refresh_until(page, button)
    button.click()
    expect(page.get_by_text(f"Order {short_id(order_id)} marked as delivered.")).to_be_visible()


PRODUCTION = [("Queued", "Start", "started"), ("Printing", "Complete", "printed")]
PASS_AND_SHIP = [("Quality check", "QC pass", "passed QC"), ("Ready to ship", "Ship", "shipped")]


def produce(page: Page, order_id: str, steps: list[tuple[str, str, str]]) -> None:
    """Open the console and take the order's job through `steps` of (section, button, what the console says)."""
    if not page.url.endswith("/operator"):
        page.goto("/operator")
    for section, action, done in steps:
        act_on_job(page, order_id, section, action, done)


def drop_file(page: Page, target: Locator, path: Path, mime: str = "model/stl") -> None:
    """Drop `path` on `target` as a file dragged from the desktop: a drop event carrying it in a DataTransfer."""
    data = page.evaluate_handle(
        """([name, bytes, type]) => {
            const transfer = new DataTransfer();
            transfer.items.add(new File([new Uint8Array(bytes)], name, { type }));
            return transfer;
        }""",
        [path.name, list(path.read_bytes()), mime],
    )
    for event in ("dragenter", "dragover", "drop"):
        target.dispatch_event(event, {"dataTransfer": data})
