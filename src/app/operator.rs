//! `operator`: an operator run with a table on generated or `.npy` operands.

use std::path::PathBuf;

use super::AppError;
use crate::config::OperatorConfig;
use crate::operators::operands::{Operand, generate, roles};
use crate::operators::{OperatorReport, run_with_progress};
use crate::progress::Progress;
use crate::rows::CoefficientRows;
use crate::verify::matrix::read_npy;

/// Reads the named `.npy` operands (each name one of the operator's), then
/// generates the rest and runs the operator.
///
/// # Errors
///
/// [`AppError`] naming the operand or file: a name the operator does not
/// have, a file that cannot be read, a shape or content the operator
/// refuses.
pub fn run(
    table: &CoefficientRows,
    root: u32,
    config: &OperatorConfig,
    files: &[(String, PathBuf)],
    max_elements: u64,
    progress: &dyn Progress,
) -> Result<OperatorReport, AppError> {
    let names = roles(config.kind);
    let mut given = Vec::new();
    for (name, path) in files {
        let Some(&role) = names.iter().find(|r| **r == name.as_str()) else {
            return Err(AppError::new(format!(
                "operand {name:?} is not an operand of {} (its operands: {})",
                config.kind.as_str(),
                names.join(", ")
            )));
        };
        if given.iter().any(|o: &Operand| o.name == role) {
            return Err(AppError::new(format!("operand {role} is given twice")));
        }
        let m = read_npy(path, max_elements).map_err(|e| AppError::new(format!("operand {role}: {e}")))?;
        given.push(Operand { name: role, m: m.m, description: m.description, values: None });
    }
    let operands = generate(config.kind, &config.operands, given, max_elements)
        .map_err(|e| AppError::new(format!("operands: {e}")))?;
    progress.set_message(&format!("{} with {}", config.kind.as_str(), table.name));
    let report = run_with_progress(config.kind, table, root, &operands, &config.options, &mut |done, total| {
        progress.set_length(total as u64);
        progress.set_position(done as u64);
    })
    .map_err(|e| AppError::new(e.to_string()));
    progress.finish();
    report
}

/// Writes a report into `out` as one set: `<operator>.operator.json`,
/// `<operator>.operator.md` and (feature `plots`) its figures, PNG and SVG;
/// returns the paths written.
///
/// # Errors
///
/// [`AppError`] naming the folder or file.
pub fn write(report: &OperatorReport, out: &std::path::Path) -> Result<Vec<PathBuf>, AppError> {
    let name = report.operator.as_str();
    #[allow(unused_mut)]
    let mut files: Vec<(PathBuf, Vec<u8>)> = vec![
        (out.join(format!("{name}.operator.json")), crate::operators::report::to_json(report).into_bytes()),
        (out.join(format!("{name}.operator.md")), crate::operators::report::to_markdown(report).into_bytes()),
    ];
    #[cfg(feature = "plots")]
    files.extend(
        crate::figures::operator_figures(report, out, &crate::plot::ImageFormat::ALL)
            .map_err(|e| AppError::new(format!("plots: {e}")))?,
    );
    super::create_dir(out, "output folder")?;
    let lock = crate::io::OutputLock::take(out).map_err(|e| AppError::new(e.to_string()))?;
    lock.write_set(&files).map_err(|e| AppError::new(e.to_string()))?;
    Ok(files.into_iter().map(|(p, _)| p).collect())
}
