//! TODO-producer
