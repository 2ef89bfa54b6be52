//! Integration tests of the engine against the real vectorlite library, in one test
//! binary (one link instead of one per file; release builds use LTO).

mod common;

mod bad_input;
mod limits;
mod durability;
mod lifecycle;
mod payload_sql;
mod search;
mod snapshot;
mod snapshot_stream;
