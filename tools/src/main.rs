//! `tsblock-write`: write Prometheus TSDB blocks from OpenMetrics text or a JSON fixture spec.

mod openmetrics;

fn main() {}
