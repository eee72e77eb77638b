"""The new-order form: lines as the browser sends them, checked before the CRM sees them."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass, field
from typing import Any

from starlette.datastructures import FormData

from system.shop.schema import MATERIALS, PROCESSES, UNITS, ModelFile
from system.shop.views import file_size

MAX_LINES = 20
FIELDS = (
    "key", "file_id", "filename", "file_note", "unit_question", "material", "process", "quantity",
    "lead_time_days", "unit",
)  # fmt: skip
TIMES = "\N{MULTIPLICATION SIGN}"
KEY = re.compile(r"[0-9a-f]{8}")


@dataclass
class LineDraft:
    """One model with its options, kept as typed so the form can be shown again with the customer's input."""

    file_id: str
    filename: str
    file_note: str = ""
    material: str = "pla"
    process: str = "fdm"
    quantity: str = "1"
    lead_time_days: str = "7"
    unit: str = "mm"
    unit_question: str = ""  # asked when the model reads as a speck in mm: the customer must choose
    key: str = field(default_factory=lambda: secrets.token_hex(4))  # unique ids for the line's controls
    errors: dict[str, str] = field(default_factory=dict)

    @classmethod
    def of_file(cls, file: ModelFile, filename: str | None = None) -> LineDraft:
        """A new line for an uploaded file, with default options; `filename` is the customer's name for it."""
        w, d, h = file.dimensions_mm
        size = f"{w:.0f} {TIMES} {d:.0f} {TIMES} {h:.0f} mm"
        note = f"{file_size(file.size)} · {file.triangle_count:,} triangles · {size}"
        if not file.watertight:
            note += " · not watertight"
        line = cls(file_id=file.id, filename=filename or file.filename, file_note=note)
        if file.likely_units:
            line.unit, line.unit_question = "", unit_question(file)
        return line

    def validate(self) -> bool:
        """Check the options against the CRM's rules; messages go into `errors` by field."""
        self.errors.clear()
        if self.material not in MATERIALS:
            self.errors["material"] = "Choose a material."
        if self.process not in PROCESSES:
            self.errors["process"] = "Choose a process."
        if not _int_between(self.quantity, 1, 10_000):
            self.errors["quantity"] = "Enter a quantity from 1 to 10,000."
        if not _int_between(self.lead_time_days, 1, 90):
            self.errors["lead_time_days"] = "Enter a lead time from 1 to 90 days."
        if self.unit not in UNITS:
            self.errors["unit"] = "Choose the unit the model was drawn in."
        return not self.errors

    def payload(self) -> dict[str, Any]:
        """The line as the CRM's POST /orders expects it."""
        return {
            "file_id": self.file_id,
            "material": self.material,
            "process": self.process,
            "quantity": int(self.quantity),
            "lead_time_days": int(self.lead_time_days),
            "unit": self.unit,
            **({"filename": self.filename[:255]} if self.filename else {}),  # the customer's name for the model
        }


def unit_question(file: ModelFile) -> str:
    """The question for a model that reads as a speck in millimetres."""
    w, d, h = file.dimensions_mm
    others = " or ".join(file.likely_units)
    return (
        f"Read in millimetres this model measures only {w:.3g} {TIMES} {d:.3g} {TIMES} {h:.3g} mm. "
        f"Was it drawn in {others}? Choose its unit before we price it."
    )


def _int_between(value: str, low: int, high: int) -> bool:
    try:
        return low <= int(value.strip()) <= high
    except ValueError:
        return False


def parse_lines(form: FormData) -> list[LineDraft]:
    """The order lines of a submitted form, in page order; fields of a line share its position in each list."""
    columns = {name: [str(v) for v in form.getlist(name)] for name in FIELDS}
    count = len(columns["file_id"])
    if any(len(values) != count for values in columns.values()):
        raise ValueError("The order form arrived incomplete. Please reload the page and try again.")
    if count > MAX_LINES:
        raise ValueError(f"An order can have at most {MAX_LINES} models.")
    return [_line({name: columns[name][i].strip() for name in FIELDS}) for i in range(count)]


def _line(v: dict[str, str]) -> LineDraft:
    # The key becomes part of element ids: keep it to what we generate.
    key = v["key"] if KEY.fullmatch(v["key"]) else secrets.token_hex(4)
    return LineDraft(
        file_id=v["file_id"],
        filename=v["filename"],
        file_note=v["file_note"],
        material=v["material"],
        process=v["process"],
        quantity=v["quantity"],
        lead_time_days=v["lead_time_days"],
        unit=v["unit"],
        unit_question=v["unit_question"],
        key=key,
    )
