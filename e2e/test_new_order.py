"""The new-order page: uploads (file input, drop), files it refuses, orders it cannot price, cancelling."""

from __future__ import annotations

import re
import shutil
import uuid
from collections.abc import Callable
from pathlib import Path

import allure
import pytest
from playwright.sync_api import expect

from e2e.shop import (
    ADA,
    BUYER,
    QUOTE,
    Visitor,
    choose,
    drop_file,
    new_order,
    order_status,
    place_order,
    refresh_until,
    timeline,
    upload,
    uploaded,
    wait_for_quote,
)


def test_a_dropped_model_is_added_and_can_be_removed_again(visitor: Visitor, stl: Callable[..., Path]) -> None:
    model = stl()
    ada = visitor(ADA)
    ada.goto("/orders/new")
    expect(ada.get_by_text("No models yet.")).to_be_visible()

    drop_file(ada, ada.locator("[data-dropzone]"), model)
    line = uploaded(ada, model.name)
    expect(ada.get_by_text("No models yet.")).to_be_hidden()
    expect(line.get_by_label("Material")).to_have_value("pla")

    line.get_by_role("button", name=f"Remove {model.name}").click()
    expect(line).to_have_count(0)
    expect(ada.get_by_role("status")).to_have_text(f"{model.name} removed from your order.")
    expect(ada.get_by_text("No models yet.")).to_be_visible()


def test_a_damaged_file_is_refused_with_a_clear_alert_and_cannot_be_ordered(
    visitor: Visitor, stl: Callable[..., Path]
) -> None:
    damaged = stl("truncated")
    ada = visitor(ADA)
    ada.goto("/orders/new")
    ada.get_by_label("Model file").set_input_files(damaged)

    alert = ada.get_by_role("alert")
    expect(alert).to_contain_text(f"We couldn't use “{damaged.name}”")
    expect(alert).to_contain_text("it looks cut off")
    expect(alert).to_contain_text("Export it again from your CAD program")
    expect(ada.get_by_role("group", name=damaged.name)).to_have_count(0)
    expect(ada.get_by_text("No models yet.")).to_be_visible()

    ada.get_by_role("button", name="Place order").click()
    expect(alert).to_have_text("Upload at least one model to order.")
    expect(ada).to_have_url(re.compile(r"/orders/new$"))


@pytest.mark.parametrize(
    ("kind", "material", "process", "reason"),
    [
        ("cube", "Resin", "FDM", "resin cannot be printed with FDM; that process accepts: abs, nylon, petg, pla."),
        ("flat", "PLA", "FDM", "The model encloses no printable volume"),
    ],
    ids=["resin-with-fdm", "flat-mesh"],
)
def test_an_order_that_cannot_be_priced_says_why(
    visitor: Visitor, stl: Callable[..., Path], kind: str, material: str, process: str, reason: str
) -> None:
    ada = visitor(ADA)
    new_order(ada, stl(kind), material=material, process=process)

    expect(order_status(ada)).to_contain_text("We couldn't price this order.", timeout=QUOTE)
    alert = ada.get_by_role("alert")
    expect(alert).to_contain_text("What went wrong")
    expect(alert).to_contain_text(reason)
    expect(alert.get_by_role("link", name="start a new order")).to_have_attribute("href", "/orders/new")
    expect(ada.get_by_role("button", name="Confirm order")).to_have_count(0)
    expect(timeline(ada)).to_have_text([re.compile("Pricing failed"), re.compile("Calculating price")])


def test_a_customer_cancels_a_quoted_order_before_production(visitor: Visitor, stl: Callable[..., Path]) -> None:
    ada = visitor(ADA)
    new_order(ada, stl())
    wait_for_quote(ada)

    ada.get_by_label("Reason for cancelling (optional)").fill("Ordered the wrong size")
    ada.get_by_role("button", name="Cancel order").click()
    expect(ada.get_by_text("Order cancelled.", exact=True)).to_be_visible()
    expect(order_status(ada)).to_contain_text("This order was cancelled.")
    expect(ada.get_by_role("button", name="Confirm order")).to_have_count(0)
    expect(ada.get_by_role("button", name="Cancel order")).to_have_count(0)
    expect(timeline(ada).first).to_contain_text("Cancelled")
    expect(timeline(ada).first).to_contain_text("Ordered the wrong size")


def test_without_javascript_the_plain_forms_still_take_an_order(visitor: Visitor, stl: Callable[..., Path]) -> None:
    """Drag and drop and live updates are enhancements: the upload and order forms work on their own."""
    model = stl()
    ada = visitor(ADA, javascript=False)
    ada.goto("/orders/new")
    ada.get_by_label("Model file").set_input_files(model)
    ada.get_by_role("button", name="Upload", exact=True).click()
    expect(ada).to_have_url(re.compile(r"/orders/new\?file="))
    line = ada.get_by_role("group", name=model.name)
    choose(line, material="ABS", process="FDM", quantity=2)
    place_order(ada)

    # Nothing updates the page by itself now: the customer follows the Refresh link until the quote is there.
    ready = order_status(ada).get_by_text("Your quote is ready")
    refresh_until(ada, ready, within=QUOTE)
    expect(ada.get_by_role("table", name="Models and prices")).to_contain_text("ABS · FDM · 7 days")
    ada.get_by_role("button", name="Cancel order").click()
    expect(order_status(ada)).to_contain_text("This order was cancelled.")


def test_a_model_keeps_the_name_its_customer_gave_it(visitor: Visitor, stl: Callable[..., Path]) -> None:
    """The File Service stores identical bytes once; each customer still sees their own file name, and never
    the name another customer gave the same bytes."""
    theirs = stl(name=f"acme-prototype-{uuid.uuid4().hex[:6]}.stl")
    buyer = visitor(BUYER)
    buyer.goto("/orders/new")
    upload(buyer, theirs)

    mine = theirs.with_name(f"bracket-{uuid.uuid4().hex[:6]}.stl")
    shutil.copyfile(theirs, mine)
    ada = visitor(ADA)
    ada.goto("/orders/new")
    line = upload(ada, mine)
    choose(line, material="PLA", process="FDM")
    place_order(ada)
    expect(ada.get_by_role("table", name="Models and prices")).to_contain_text(mine.name)
    expect(ada.get_by_text(theirs.name)).to_have_count(0)
    ada.get_by_role("button", name="Cancel order").click()
    expect(order_status(ada)).to_contain_text("This order was cancelled.")


def test_a_confirmed_orders_cancellation_is_asked_of_the_factory_and_its_answer_shown(
    visitor: Visitor, stl: Callable[..., Path]
) -> None:
    ada = visitor(ADA)
    new_order(ada, stl())
    wait_for_quote(ada)
    ada.get_by_role("button", name="Confirm order").click()
    expect(order_status(ada)).to_contain_text("Confirmed")

    ada.get_by_label("Reason for cancelling (optional)").fill("Project was stopped")
    ada.get_by_role("button", name="Cancel order").click()
    # The Shop says the factory decides; production has not started, so the factory accepts.
    expect(ada.get_by_text("We've asked the factory to cancel your order", exact=False)).to_be_visible()
    expect(order_status(ada)).to_contain_text("This order was cancelled.", timeout=30_000)
    expect(ada.get_by_role("button", name="Cancel order")).to_have_count(0)
    expect(timeline(ada).first).to_contain_text("Cancelled")
    expect(timeline(ada).nth(1)).to_contain_text("Cancellation requested")
    expect(timeline(ada).nth(1)).to_contain_text("Project was stopped")


def test_a_model_drawn_in_inches_is_asked_about_and_priced_at_its_real_size(
    visitor: Visitor, stl: Callable[..., Path]
) -> None:
    bracket = stl("inch-bracket")
    ada = visitor(ADA)
    ada.goto("/orders/new")
    line = upload(ada, bracket)
    expect(line.get_by_text("Was it drawn in inch or cm?")).to_be_visible()
    unit = line.get_by_label("Drawn in")
    expect(unit).to_have_value("")
    choose(line, material="PLA", process="FDM", quantity=10)

    ada.get_by_role("button", name="Place order").click()  # the browser itself refuses: the unit is required
    expect(ada).to_have_url(re.compile(r"/orders/new$"))
    assert unit.evaluate("select => select.validity.valueMissing") is True

    unit.select_option(label="inches (in)")
    place_order(ada)
    wait_for_quote(ada)
    expect(ada.get_by_role("cell", name=re.compile("drawn in inch"))).to_be_visible()
    expect(ada.get_by_role("list", name=f"Warnings for {bracket.name}")).to_have_count(0)


def test_an_uploaded_model_is_shown_in_3d_and_its_quote_says_how_it_adds_up(
    visitor: Visitor, stl: Callable[..., Path]
) -> None:
    bracket = stl("inch-bracket")
    ada = visitor(ADA)
    ada.goto("/orders/new")
    line = upload(ada, bracket)
    preview = line.get_by_role("img", name=f"3D preview of {bracket.name}")
    expect(preview).to_have_attribute("data-preview", "rendered", timeout=30_000)
    # Drawn, not blank: a good part of the WebGL frame is the model, in several shades (lit faces), not background.
    covered, shades = preview.locator("canvas").evaluate(
        """canvas => {
            const copy = document.createElement("canvas");
            copy.width = canvas.width; copy.height = canvas.height;
            const context = copy.getContext("2d");
            context.drawImage(canvas, 0, 0);
            const pixels = context.getImageData(0, 0, copy.width, copy.height).data;
            const [r, g, b] = [pixels[0], pixels[1], pixels[2]];  // a corner: the background
            let model = 0;
            const seen = new Set();
            for (let i = 0; i < pixels.length; i += 4) {
                if (Math.abs(pixels[i] - r) + Math.abs(pixels[i + 1] - g) + Math.abs(pixels[i + 2] - b) > 30) {
                    model++;
                    seen.add((pixels[i] >> 4) << 8 | (pixels[i + 1] >> 4) << 4 | pixels[i + 2] >> 4);
                }
            }
            return [model / (pixels.length / 4), seen.size];
        }"""
    )
    assert covered > 0.05 and shades >= 3, f"{covered:.1%} of the frame in {shades} shades: nothing drawn"
    allure.attach(preview.screenshot(), name="3D preview", attachment_type=allure.attachment_type.PNG)

    line.get_by_label("Drawn in").select_option(label="inches (in)")
    choose(line, material="PLA", process="FDM", quantity=1)
    place_order(ada)
    wait_for_quote(ada)
    ada.get_by_text("How this price adds up").click()
    breakdown = ada.get_by_role("table", name=f"Price breakdown of {bracket.name}")
    expect(breakdown.get_by_role("row", name=re.compile("^Machine time"))).to_be_visible()
    expect(ada.get_by_text(re.compile(r"ways? up we tried\):\s+\S.* of machine time"))).to_be_visible()
