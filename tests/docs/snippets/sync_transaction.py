"""A transaction from synchronous code (docs/SYNC.md shows this file;
tests/transactions/test_sync_transactions.py runs it).

python sync_transaction.py localhost:9092
"""

import sys

from ferrokafka.sync import Producer


def main(bootstrap_servers: str, topic: str = "payments") -> None:
    with Producer(bootstrap_servers=bootstrap_servers, transactional_id="payments-1") as producer:
        # Committed when the block ends: read_committed consumers see both records, or none.
        with producer.transaction():
            producer.send(topic, b"debit", key=b"account-1")
            producer.send(topic, b"credit", key=b"account-2")

        # Or step by step; an abort hides what was sent since begin.
        producer.begin_transaction()
        producer.send(topic, b"never seen", key=b"account-1")
        producer.abort_transaction()


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "localhost:9092")
