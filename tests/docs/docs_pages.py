"""What the tests of tests/docs share: where the pages are, and their Markdown tables."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
SNIPPETS = Path(__file__).resolve().parent / "snippets"


def pages() -> list[Path]:
    return sorted(DOCS.rglob("*.md"))


def table_rows(text: str, header_start: str) -> list[list[str]]:
    """The cells of the body rows of the first table whose header row starts with
    ``header_start``."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(header_start))
    rows = []
    for line in lines[start + 2 :]:
        if not line.startswith("|"):
            break
        rows.append([cell.strip() for cell in line.strip().strip("|").split(" | ")])
    return rows


def code_names(cell: str) -> list[str]:
    """The `backticked` names in a table cell."""
    return re.findall(r"`([^`]+)`", cell)
