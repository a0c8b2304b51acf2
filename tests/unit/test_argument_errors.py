"""`_argument_errors`: a record held for its topic's metadata is refused at once for what the
append would refuse later (then alone), in the append's words."""

from __future__ import annotations

import pytest

import ferrokafka
from ferrokafka import _held_records
from ferrokafka._argument_errors import check_held_record
from ferrokafka.errors import RecordTooLargeError, SerializationError


@pytest.fixture
def producer() -> ferrokafka.Producer:
    # Never started: nothing connects, and held records stay held.
    return ferrokafka.Producer("127.0.0.1:1", buffer_memory=4096, max_request_size=2048)


def test_a_header_name_without_utf8_is_refused_in_the_append_words(
    producer: ferrokafka.Producer,
) -> None:
    kept = _held_records.hold(producer, "t", 0, None, b"kept", None, 1_000, None)
    with pytest.raises(SerializationError, match=r"header name .* is not valid Unicode") as info:
        _held_records.hold(producer, "t", 0, None, b"v", [("\ud800", b"v")], 1_000, None)
    assert info.value.topic == "t"
    # The refused record took no place.
    assert len(producer._held["t"].records) == 1
    assert not kept.done()


def test_a_record_no_batch_can_hold_is_refused(producer: ferrokafka.Producer) -> None:
    config = producer._config
    check_held_record(config, "t", None, b"v" * 1000, [("h", b"x")], 1_000)
    with pytest.raises(RecordTooLargeError, match="more than max_request_size=2048"):
        check_held_record(config, "t", None, b"v" * 3000, None, 1_000)
