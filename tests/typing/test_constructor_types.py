"""The constructors' keyword options are typed: mypy (strict) reports a misspelt option or a
value of the wrong type at the line that has it, and nothing in code that uses them rightly.

Each snippet marks the lines mypy must report with ``# E: <part of the message>``; every other
line must be clean. One mypy run checks every snippet (it is the slow part: ~seconds with a warm
cache, shared with ``make lint``'s)."""

from __future__ import annotations

import re
from collections import defaultdict
from pathlib import Path

import pytest
from mypy import api

SNIPPETS = Path(__file__).parent / "snippets"
ROOT = Path(__file__).parents[2]
_REPORTED = re.compile(r"^(?P<file>[^:]+\.py):(?P<line>\d+): error: (?P<message>.*)$")


def expected_errors(path: Path) -> dict[int, str]:
    """The ``# E:`` marks of a snippet, by line number."""
    marks = {}
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        _, sep, mark = line.partition("  # E: ")
        if sep:
            marks[number] = mark.strip()
    return marks


@pytest.fixture(scope="module")
def reported() -> dict[str, dict[int, list[str]]]:
    """mypy's errors for every snippet: file name -> line -> messages."""
    files = sorted(str(path) for path in SNIPPETS.glob("*.py"))
    stdout, stderr, status = api.run(
        [
            "--config-file",
            str(ROOT / "pyproject.toml"),
            "--cache-dir",
            str(ROOT / ".mypy_cache"),
            "--show-error-codes",
            "--no-error-summary",
            "--hide-error-context",
            "--no-pretty",
            *files,
        ]
    )
    assert status in (0, 1), stderr or stdout  # 2 would be a crash or a usage error
    errors: dict[str, dict[int, list[str]]] = defaultdict(lambda: defaultdict(list))
    for line in stdout.splitlines():
        match = _REPORTED.match(line)
        if match:
            errors[Path(match["file"]).name][int(match["line"])].append(match["message"])
    return errors


@pytest.mark.parametrize("snippet", sorted(p.name for p in SNIPPETS.glob("*.py")))
def test_mypy_reports_exactly_the_marked_lines(
    snippet: str, reported: dict[str, dict[int, list[str]]]
) -> None:
    expected = expected_errors(SNIPPETS / snippet)
    got = reported.get(snippet, {})
    assert sorted(got) == sorted(expected), (
        f"{snippet}: mypy reported lines {sorted(got)}, marked {sorted(expected)}: {dict(got)}"
    )
    for line, mark in expected.items():
        assert any(mark in message for message in got[line]), (snippet, line, mark, got[line])


def test_the_snippets_cover_both_outcomes() -> None:
    # A negative control: were mypy not run on them, the marked snippets would fail above.
    marks = {p.name: expected_errors(p) for p in SNIPPETS.glob("*.py")}
    assert marks["valid_uses.py"] == {}
    assert len(marks["misspelt_options.py"]) >= 4
    assert len(marks["wrong_value_types.py"]) >= 8
