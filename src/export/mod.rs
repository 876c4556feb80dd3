//! Presentation: machine-readable exports of query results.
//!
//! Unlike [`crate::compat`], which reproduces what Go tools print, these formats are
//! tsblock's own. Like it, this sits on top of the query layer and nothing below depends
//! on it.
//!
//! - [`json`]: series as JSON lines (`tsblock dump --format json`);
//! - [`wal`]: the records of a write-ahead log as text or JSON lines (`tsblock wal`);
//! - `parquet` (cargo feature `parquet`): samples as Parquet tables (`tsblock export
//!   parquet`);
//! - `parquet_common` (cargo feature `parquet`): the layout of Cortex's and Mimir's
//!   parquet store-gateways, written and read back (`tsblock export parquet --layout
//!   parquet-common`).

pub mod json;
#[cfg(feature = "parquet")]
pub mod parquet;
#[cfg(feature = "parquet")]
pub mod parquet_common;
pub mod wal;
