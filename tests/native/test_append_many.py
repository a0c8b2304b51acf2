"""`Accumulator.append_many`'s arguments: a list or tuple of bytes and None is read in place,
anything else the append takes is converted first; either way the same records, and a refused
item refuses the whole call before any record goes in."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from ferrokafka import _native
from ferrokafka._native import Accumulator
from ferrokafka.errors import SerializationError


def new_accumulator() -> Accumulator:
    return Accumulator(batch_size=100_000, linger_ms=10, buffer_memory=1_000_000, idempotent=False)


class Values(Sequence[bytes | None]):
    """A sequence that is neither a list nor a tuple."""

    def __init__(self, items: list[bytes | None]) -> None:
        self._items = items

    def __len__(self) -> int:
        return len(self._items)

    def __getitem__(self, index: int) -> bytes | None:  # type: ignore[override]
        return self._items[index]


class Bytes(bytes):
    pass


def appended(values: object, keys: object = None) -> list[tuple[bytes | None, bytes | None]]:
    """The (key, value) pairs `append_many` wrote to partition 0, decoded from the batch."""
    acc = new_accumulator()
    runs = acc.append_many("t", 1, values, keys, timestamp_ms=5, now_ms=0)  # type: ignore[arg-type]
    assert sum(run.count for run in runs) == len(values)  # type: ignore[arg-type]
    (batch_id,) = [i for ids in acc.drain({("t", 0): 1}, 1 << 20, 100).values() for i in ids]
    (batch,) = _native.decode_batches(acc.sealed_batch(batch_id))
    return [(record["key"], record["value"]) for record in batch["records"]]


ITEMS: list[bytes | None] = [b"a", None, b"", b"d" * 300]
KEYS: list[bytes | None] = [None, b"k1", b"k2", None]


@pytest.mark.parametrize(
    ("values", "keys"),
    [
        (ITEMS, None),
        (tuple(ITEMS), None),
        (ITEMS, KEYS),
        (tuple(ITEMS), tuple(KEYS)),
        (Values(ITEMS), Values(KEYS)),
        ([bytearray(v) if v else v for v in ITEMS], KEYS),
        ([Bytes(v) if v else v for v in ITEMS], [Bytes(k) if k else k for k in KEYS]),
    ],
    ids=["list", "tuple", "keyed list", "keyed tuple", "sequence", "bytearray", "subclass"],
)
def test_every_accepted_kind_of_argument_appends_the_same_records(
    values: object, keys: object
) -> None:
    expected_keys = KEYS if keys is not None else [None] * len(ITEMS)
    assert appended(values, keys) == list(zip(expected_keys, ITEMS, strict=True))


@pytest.mark.parametrize(
    ("values", "keys", "message"),
    [
        ([b"v"] * 100 + ["text"], None, "the values of send_many for 't' must be"),
        ((b"v", b"w", 3), None, "the values of send_many for 't' must be"),
        ([b"v"] * 3, [b"k", b"k", "text"], "the keys of send_many for 't' must be"),
        ([b"v"] * 3, [b"k"] * 4, "got 4 keys for 3 values"),
    ],
)
def test_an_item_refused_anywhere_refuses_the_whole_call(
    values: object, keys: object, message: str
) -> None:
    acc = new_accumulator()
    with pytest.raises(SerializationError, match=message):
        acc.append_many("t", 2, values, keys, timestamp_ms=0, now_ms=0)  # type: ignore[arg-type]
    assert acc.live_batches() == 0
    assert acc.used_memory() == 0
