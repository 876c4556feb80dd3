//! Presentation: text that Go programs print, byte for byte.
//!
//! `tsblock ls`/`dump` must match `promtool` 2.42 exactly, which means reproducing Go's own
//! formatting rules rather than Rust's. Everything here renders data the lower layers
//! produce; nothing below this module (bytes, codecs, sections, storage, model, query)
//! depends on it, so a program that only reads blocks need not care how Go prints them.
//!
//! - [`gofloat`]: Go's `%g`, fast ([`gofloat::FloatG`] remembers the last value);
//! - [`gofmt`]: `time.Duration`, `time.Time`, `units.Base2Bytes`, `text/tabwriter` (and
//!   `%g` again, re-exported).
//! - [`promtool`]: `promtool tsdb list`'s table and `promtool tsdb dump`'s lines.
//! - [`openmetrics`]: `promtool tsdb dump-openmetrics`'s lines and the series JSON of
//!   `promtool tsdb dump --format seriesjson`.
//! - [`push_labels`], [`push_label_pairs`], [`push_bucket`], [`push_histogram`]: Go's
//!   `String()` of label sets and native histograms (also the `Display` of
//!   [`crate::histogram::Histogram`] and [`crate::histogram::Bucket`]).
//!
//! Go's `strconv.Quote` sits lower, in [`crate::text`], because PromQL selectors print with
//! it too.

mod digits;
pub mod gofloat;
pub mod gofmt;
mod model;
pub mod openmetrics;
pub mod promtool;

pub use model::{push_bucket, push_histogram, push_label_pairs, push_labels, GoCount};
