"""docs/CONFIGURATION.md is generated from the options' declarations and kept in sync."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from ferrokafka._config import __main__ as regenerate
from ferrokafka._config import docs
from ferrokafka._config.producer_config import OPTIONS


def test_configuration_md_is_up_to_date() -> None:
    # Regenerate with: python -m ferrokafka._config
    path = docs.markdown_path()
    assert path.read_text() == docs.configuration_markdown(OPTIONS), (
        f"{path} is stale: run python -m ferrokafka._config"
    )


def test_configuration_md_lists_every_option_with_its_java_name() -> None:
    text = docs.markdown_path().read_text()
    for name, option in OPTIONS.items():
        java = f"`{option.java}`" if option.java else "-"
        assert f"\n| `{name}` | {java} | " in text, name
    assert text.index("## Where and who") < text.index("## Security: TLS")


def test_check_mode_says_whether_the_file_is_stale(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fresh = subprocess.run(
        [sys.executable, "-m", "ferrokafka._config", "--check"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert fresh.returncode == 0, fresh.stderr
    assert regenerate.main(["docs", "--check"]) == 0
    stale = tmp_path / "CONFIGURATION.md"
    stale.write_text(docs.configuration_markdown(OPTIONS).replace("linger", "lingr"))
    monkeypatch.setattr(regenerate, "markdown_path", lambda: stale)
    assert regenerate.main(["docs", "--check"]) == 1
    assert regenerate.main(["docs"]) == 0
    assert regenerate.main(["docs", "--check"]) == 0
