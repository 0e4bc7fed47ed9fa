"""The docs list what the catalogue holds: docs/catalogue.md is `alcore catalogue`'s output, and
every strategy kind has its definition in docs/method.md or docs/strategies.md."""

from __future__ import annotations

import re
from pathlib import Path

from alcore.catalog.strategies import KINDS
from alcore.cli.listings import catalogue_markdown

DOCS = Path(__file__).resolve().parents[2] / "docs"


def test_the_catalogue_page_is_the_catalogues_output():
    page = (DOCS / "catalogue.md").read_text()
    assert page == catalogue_markdown(), "rewrite it: alcore catalogue > docs/catalogue.md"


def test_every_kind_is_defined_in_the_docs():
    rows = set(re.findall(r"^\| `(\w+)` \|", (DOCS / "method.md").read_text(), re.MULTILINE))
    text = (DOCS / "strategies.md").read_text()
    headings = set(re.findall(r"^## `?(\w+)`?(?: |$)", text, re.MULTILINE))
    missing = [kind for kind in KINDS if kind not in rows | headings]
    assert not missing, f"not in docs/method.md section 6 or docs/strategies.md: {missing}"
