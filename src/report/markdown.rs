//! report.md (stub).
use crate::eval::results::RunReport;
/// Renders the Markdown report.
pub fn render(r: &RunReport, _charts: &[String]) -> String {
    format!("# {}\n", r.experiment.name)
}
