//! TODO-record
