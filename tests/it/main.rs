//! The integration tests, as one test binary: each module below was a binary of its own,
//! and linking some forty binaries against tandem took longer than running most of them.
//! Linked once, they run as threads of one process, so a test may not rely on a process
//! of its own: see `common` for what that asks of a test that reaches the world outside.
//!
//! Run one file's tests with `cargo test --test it golden::` (the module path filters).

mod common;

mod apply;
mod backfill;
mod backfill_progress;
mod bundles;
mod cli;
mod compose;
mod corpus;
mod defaults;
mod diff;
mod examples;
mod expression_reads;
mod fill_expressions;
mod fleet_mariadb;
mod fleet_targets;
mod golden;
mod hotfix;
mod immutable;
mod input;
mod introspect;
mod keys_and_comments;
mod layers;
mod live_properties;
mod load;
mod lock_retries;
mod migrate;
mod mysql8_constructs;
mod names;
mod not_null_at_once;
mod object_changes;
mod objects;
mod plain_runner;
mod probe_values;
mod queries;
mod quoting;
mod raw_sql;
mod real_schema;
mod rehearsal;
mod rehearsal_target;
mod release_manager;
mod retiring_columns;
mod retype;
mod robustness;
mod roundtrip;
mod sql_lock_retries;
mod tightening;
mod types;
mod verify;
mod views;
