"""Which transaction protocol a coordinator speaks, and the request versions of each.

Transactions v2 (KIP-890 part 2) when the cluster finalized ``transaction.version`` >= 2 and the
broker speaks Produce v12 and EndTxn v5 (Kafka 4.0+ by default); v1 otherwise, capped at the
versions whose meaning does not depend on the feature.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ferrokafka._requests import ApiKey
from ferrokafka.errors import KafkaError

if TYPE_CHECKING:
    from ferrokafka._connection import BrokerConnection

# Transactions v1: the highest versions whose meaning does not change with the cluster's
# transaction.version (Produce v12, EndTxn v5 and TxnOffsetCommit v5 belong to v2, KIP-890).
PRODUCE_MAX_VERSION_V1 = 11
END_TXN_MAX_VERSION_V1 = 4
TXN_OFFSET_COMMIT_MAX_VERSION_V1 = 4
# Transactions v2 (KIP-890 part 2): the versions that mean it, and the feature level.
PRODUCE_VERSION_V2 = 12
END_TXN_VERSION_V2 = 5
TRANSACTION_VERSION_FEATURE = "transaction.version"
# InitProducerId takes a known producer id and epoch to bump from v3 on (KIP-360).
INIT_PRODUCER_ID_BUMP_VERSION = 3


def transactions_v2_available(conn: BrokerConnection) -> bool:
    """Whether the cluster finalized ``transaction.version`` >= 2 and this broker speaks the
    versions that mean it (Produce v12, EndTxn v5)."""
    feature = conn.finalized_features.get(TRANSACTION_VERSION_FEATURE)
    level = 0 if feature is None else feature.max_version
    try:
        produce = conn.api_version(ApiKey.PRODUCE, ours_max=PRODUCE_VERSION_V2)
        end_txn = conn.api_version(ApiKey.END_TXN)
    except KafkaError:
        return False
    return level >= 2 and produce >= PRODUCE_VERSION_V2 and end_txn >= END_TXN_VERSION_V2
