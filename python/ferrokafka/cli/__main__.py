"""``python -m ferrokafka.cli``: the same as the ``ferrokafka`` command."""

from ferrokafka.cli import main

raise SystemExit(main())
