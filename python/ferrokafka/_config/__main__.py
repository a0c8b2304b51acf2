"""``python -m ferrokafka._config [--check]``: rewrites docs/CONFIGURATION.md from the options'
declarations, or with ``--check`` only says whether it is up to date."""

from __future__ import annotations

import sys

from ferrokafka._config.docs import configuration_markdown, markdown_path
from ferrokafka._config.producer_config import OPTIONS


def main(argv: list[str]) -> int:
    path = markdown_path()
    text = configuration_markdown(OPTIONS)
    if argv[1:] == ["--check"]:
        if path.exists() and path.read_text() == text:
            return 0
        print(f"{path} is stale: run python -m ferrokafka._config", file=sys.stderr)
        return 1
    path.write_text(text)
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
