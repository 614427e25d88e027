//! Charts (stub until the plotting module lands).
#![allow(missing_docs)]
use crate::eval::results::RunReport;

#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct PlotError(pub String);

pub fn render_all(_r: &RunReport) -> Result<Vec<(String, Vec<u8>)>, PlotError> {
    Ok(Vec::new())
}
