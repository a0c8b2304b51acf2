//! ferrokafka's core: everything that touches record bytes, in plain Rust.
//!
//! - [`record`]: record batch v2 encoding and decoding, CRC-32C, compression codecs.
//! - [`producer`]: partitioners and the record accumulator (per-partition batch queues,
//!   memory accounting, sequences, expiry, splitting).
//! - [`protocol`]: Kafka request encoding and response decoding over the `kafka-protocol` crate.
//! - `bindings` (feature `python`): the only pyo3 code, exported as `ferrokafka._native`.
//!
//! The core does no I/O and knows nothing of Python or asyncio: routing, sockets and timers
//! are handed in by the caller.

pub mod producer;
pub mod protocol;
pub mod record;

#[cfg(feature = "python")]
mod bindings;
