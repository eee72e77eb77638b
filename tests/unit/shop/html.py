"""A small HTML reader for tests: the element tree, text content, accessible names and form-control labels."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
LANDMARKS = {"header": "banner", "nav": "navigation", "main": "main", "footer": "contentinfo", "aside": "complementary"}


@dataclass
class Element:
    tag: str
    attrs: dict[str, str]
    children: list[Element | str] = field(default_factory=list)

    def text(self) -> str:
        """Text content, whitespace collapsed (visually hidden text included, as screen readers read it)."""
        return re.sub(r"\s+", " ", self._raw()).strip()

    def _raw(self) -> str:
        return "".join(c if isinstance(c, str) else c._raw() for c in self.children)

    def iter(self) -> list[Element]:
        found: list[Element] = [self]
        for child in self.children:
            if isinstance(child, Element):
                found.extend(child.iter())
        return found

    def find_all(self, tag: str | None = None, **attrs: str) -> list[Element]:
        return [
            e
            for e in self.iter()
            if (tag is None or e.tag == tag) and all(e.attrs.get(k.rstrip("_")) == v for k, v in attrs.items())
        ]

    def role(self) -> str | None:
        return self.attrs.get("role") or LANDMARKS.get(self.tag)


class _Builder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Element("#document", {})
        self.stack = [self.root]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        element = Element(tag, {k: (v or "") for k, v in attrs})
        self.stack[-1].children.append(element)
        if tag not in VOID:
            self.stack.append(element)

    def handle_endtag(self, tag: str) -> None:
        for i in range(len(self.stack) - 1, 0, -1):
            if self.stack[i].tag == tag:
                del self.stack[i:]
                return

    def handle_data(self, data: str) -> None:
        self.stack[-1].children.append(data)


def parse(html: str) -> Element:
    builder = _Builder()
    builder.feed(html)
    return builder.root


def buttons(doc: Element) -> list[str]:
    """Accessible names of every button."""
    return [b.attrs.get("aria-label") or b.text() for b in doc.find_all("button")]


def by_role(doc: Element, role: str) -> list[Element]:
    return [e for e in doc.iter() if e.role() == role]


def unlabelled_controls(doc: Element) -> list[str]:
    """Form controls a person using a screen reader could not identify (no <label for>, no aria-label)."""
    labelled = {label.attrs.get("for") for label in doc.find_all("label")}
    missing = []
    for control in doc.iter():
        if control.tag not in ("input", "select", "textarea") or control.attrs.get("type") in ("hidden", "submit"):
            continue
        if control.attrs.get("id") not in labelled and not control.attrs.get("aria-label"):
            missing.append(f"<{control.tag} name={control.attrs.get('name')!r}>")
    return missing


def label_for(doc: Element, text: str) -> Element:
    """The control whose label reads `text` (like Playwright's getByLabel with exact matching)."""
    for label in doc.find_all("label"):
        if label.text() == text:
            return doc.find_all(id=label.attrs["for"])[0]
    raise AssertionError(f"no control labelled {text!r}")


def csrf_token(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "the page has no CSRF token"
    return match.group(1)
