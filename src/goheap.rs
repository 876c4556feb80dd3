//! Go's `container/heap` push and pop, sift for sift.
//!
//! Prometheus merges overlapping streams (series across blocks, samples across chunks)
//! through a heap, and which of two samples with one timestamp survives depends on the
//! exact sift order; reproducing it needs Go's algorithm, not just any heap.
#![allow(clippy::indexing_slicing)]

/// Go's `container/heap` push: append, then sift up.
pub(crate) fn heap_push<T>(h: &mut Vec<T>, x: T, less: impl Fn(&T, &T) -> bool) {
    h.push(x);
    let mut j = h.len() - 1;
    while j > 0 {
        let i = (j - 1) / 2;
        if !less(&h[j], &h[i]) {
            break;
        }
        h.swap(i, j);
        j = i;
    }
}

/// Go's `container/heap` pop: swap the root to the end, sift down, remove the end.
pub(crate) fn heap_pop<T>(h: &mut Vec<T>, less: impl Fn(&T, &T) -> bool) -> Option<T> {
    let n = h.len().checked_sub(1)?;
    h.swap(0, n);
    let mut i = 0;
    loop {
        let j1 = 2 * i + 1;
        if j1 >= n {
            break;
        }
        let mut j = j1;
        if j1 + 1 < n && less(&h[j1 + 1], &h[j1]) {
            j = j1 + 1;
        }
        if !less(&h[j], &h[i]) {
            break;
        }
        h.swap(i, j);
        i = j;
    }
    h.pop()
}
