"""docs/troubleshooting.md covers every public error class of ferrokafka.errors (a section of
its own, or a row of the generated table of broker errors, kept up to date), and names no class
that does not exist."""

from __future__ import annotations

import re
from pathlib import Path

import error_table
import pytest
from docs_pages import DOCS

from ferrokafka import errors

PAGE = DOCS / "troubleshooting.md"


def public_error_classes() -> list[type[errors.KafkaError]]:
    found = [getattr(errors, name) for name in errors.__all__]
    return [c for c in found if isinstance(c, type) and issubclass(c, errors.KafkaError)]


def sections(text: str) -> set[str]:
    return set(re.findall(r"^### `(\w+)`$", text, re.MULTILINE))


def table_classes(text: str) -> set[str]:
    table = text.partition(error_table.START)[2].partition(error_table.END)[0]
    return set(re.findall(r"^\| `(\w+)` \|", table, re.MULTILINE))


def test_every_public_error_class_is_covered() -> None:
    text = PAGE.read_text()
    covered = sections(text) | table_classes(text)
    missing = [c.__name__ for c in public_error_classes() if c.__name__ not in covered]
    assert not missing, f"not on {PAGE.name}: {missing}"
    assert len(public_error_classes()) > 100


def test_the_classes_every_user_meets_have_a_section_of_their_own() -> None:
    # The client's own errors have no code, so no row: each needs its section.
    own = {c.__name__ for c in public_error_classes() if not issubclass(c, errors.BrokerError)}
    assert own <= sections(PAGE.read_text())
    assert {"BrokerError", "UnknownBrokerError", "NotEnoughReplicasError",
            "UnknownTopicOrPartitionError", "RecordTooLargeError",
            "TopicAuthorizationFailedError"} <= sections(PAGE.read_text())  # fmt: skip


def test_every_section_names_a_real_class() -> None:
    names = {c.__name__ for c in public_error_classes()}
    assert sections(PAGE.read_text()) <= names


def test_the_broker_error_table_is_up_to_date() -> None:
    # Regenerate with: python tests/docs/error_table.py
    text = PAGE.read_text()
    assert error_table.render(text) == text, "run python tests/docs/error_table.py"
    rows = table_classes(text)
    assert {c.__name__ for c in error_table.broker_error_classes()} == rows
    row = "| `NotEnoughReplicasError` | 19 | `NOT_ENOUGH_REPLICAS` | `RetriableError` | yes |"
    assert row in text


def test_the_check_mode_tells_a_stale_table(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert error_table.main(["error_table.py", "--check"]) == 0
    stale = tmp_path / "troubleshooting.md"
    stale.write_text(PAGE.read_text().replace("| `NotEnoughReplicasError` |", "| `X` |"))
    monkeypatch.setattr(error_table, "PAGE", stale)
    assert error_table.main(["error_table.py", "--check"]) == 1
    assert error_table.main(["error_table.py"]) == 0
    assert error_table.main(["error_table.py", "--check"]) == 0
    assert stale.read_text() == PAGE.read_text()
