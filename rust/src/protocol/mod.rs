//! TODO-protocol
