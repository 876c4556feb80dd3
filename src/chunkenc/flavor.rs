//! Which Prometheus version's chunk bytes and rules to reproduce.
//!
//! One type, rather than a `bool` per encoder, because the choice is made once (per
//! block, by the caller) and has to reach every layer consistently: the bit writer's
//! trailing byte, the histogram appenders' appendability rules, the head's chunk-cutting
//! policy and the block's `meta.json`. A mismatch between layers would produce chunks
//! neither Prometheus version writes.

/// Whose chunk-cutting and chunk bytes to reproduce.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Flavor {
    /// Prometheus 3.x: chunks capped at 1024 bytes, no trailing pad byte, meta.json with
    /// float/histogram sample counts.
    #[default]
    Prometheus3,
    /// Prometheus 2.x (2.42): no byte cap, integer end-time prediction, 2.x's trailing
    /// zero byte. Blocks come out byte-identical to what promtool 2.42 writes.
    Prometheus2,
}
