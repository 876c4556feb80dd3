//! OpenMetrics text parsing (placeholder until the parser lands).
