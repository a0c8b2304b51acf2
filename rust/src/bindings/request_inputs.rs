//! The values Python hands to the request encoders when a request has a list of structures:
//! frozen classes with typed, named fields (declared in `_native.pyi`, checked by stubtest),
//! so that a caller that swaps two fields fails at its own type check, not on the wire.

use pyo3::prelude::*;
use pyo3::types::PyBytes;

use super::value_class::value_class;

value_class! {
    /// One partition's record batch in a Produce request (`encode_produce_request`).
    ProduceBatch {
        topic: String,
        partition: i32,
        /// An encoded record batch (`encode_batch`); read in place, not copied.
        records: Py<PyBytes>,
    }
}

value_class! {
    /// The partitions of one topic that `AddPartitionsToTxn` adds to a transaction.
    TxnTopicPartitions {
        topic: String,
        partitions: Vec<i32>,
    }
}

value_class! {
    /// One partition's offset that `TxnOffsetCommit` commits for a consumer group.
    TxnOffset {
        topic: String,
        partition: i32,
        /// The next offset the group is to consume.
        offset: i64,
        /// The leader epoch of the last consumed record, -1 if unknown.
        leader_epoch: i32,
        metadata: Option<String>,
    }
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<ProduceBatch>()?;
    m.add_class::<TxnTopicPartitions>()?;
    m.add_class::<TxnOffset>()?;
    Ok(())
}
