//! Queries: label matchers, postings algebra, and series merged across blocks.

mod goregex;
mod matcher;
mod plan;
mod querier;
mod selector;
mod series;

pub use matcher::{MatchOp, Matcher, MatcherError};
pub use querier::Querier;
pub use selector::{Selector, SelectorError};
pub use series::{Sample, SampleRef, Samples, Series, SeriesSet, Value};
