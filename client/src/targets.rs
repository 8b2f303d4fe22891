//! TEMPORARY: replaced by the full implementation.
use std::str::FromStr;
/// Targets.
#[derive(Debug, Clone, PartialEq)]
pub enum Targets {
    /// All.
    All,
    /// List.
    List(Vec<i64>),
}
/// Error.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct TargetsError(String);
impl FromStr for Targets {
    type Err = TargetsError;
    fn from_str(s: &str) -> Result<Self, TargetsError> {
        if s == "all" {
            return Ok(Targets::All);
        }
        s.split(',')
            .map(|p| {
                p.trim()
                    .parse::<i64>()
                    .map_err(|e| TargetsError(e.to_string()))
            })
            .collect::<Result<Vec<_>, _>>()
            .map(Targets::List)
    }
}
impl Targets {
    /// Resolve.
    pub fn resolve(&self, ids: &[i64]) -> Result<Vec<i64>, TargetsError> {
        match self {
            Targets::All => Ok(ids.to_vec()),
            Targets::List(l) => Ok(l.clone()),
        }
    }
}
