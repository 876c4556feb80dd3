//! Label sets as Prometheus stores them: sorted by name, unique non-empty names, no empty
//! values (an empty value means "no such label" to Prometheus, so it is dropped, not
//! stored).

use super::{AppendError, Labels};

/// Sorts labels by name, drops empty values and rejects empty or duplicate names.
pub fn normalize_labels(mut labels: Labels) -> Result<Labels, AppendError> {
    labels.retain(|(_, v)| !v.is_empty());
    labels.sort();
    check_labels(&labels)?;
    Ok(labels)
}

/// Checks that labels are what [`normalize_labels`] returns: not empty, no empty names or
/// values, names strictly ascending.
pub fn check_labels(labels: &[(String, String)]) -> Result<(), AppendError> {
    if labels.is_empty() {
        return Err(AppendError::NoLabels);
    }
    if labels.iter().any(|(n, _)| n.is_empty()) {
        return Err(AppendError::EmptyLabelName);
    }
    if let Some(w) = labels.windows(2).find(|w| w[0].0 >= w[1].0) {
        return Err(AppendError::DuplicateLabel(w[1].0.clone()));
    }
    if labels.iter().any(|(_, v)| v.is_empty()) {
        return Err(AppendError::NoLabels);
    }
    Ok(())
}
