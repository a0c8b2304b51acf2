"""Fixtures of the producer's end-to-end tests (real broker, independent consumer)."""

from __future__ import annotations

import pytest
from producer_helpers import BACKENDS


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    """The async library a test's coroutine runs under (`run(backend, main)`)."""
    return str(request.param)
