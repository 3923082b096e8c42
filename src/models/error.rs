//! The one error type of the models, with enough context (file, row, column, what is wrong)
//! for a person to fix the input.

use std::path::PathBuf;

/// What went wrong while reading data, fitting or loading a model.
#[derive(Debug, thiserror::Error)]
pub enum ModelError {
    /// A data file could not be opened or read.
    #[error("cannot read {file}: {source}")]
    Io {
        file: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// A value in a data file is malformed. `row` is 1-based and counts data rows
    /// (the header, if any, is row 0).
    #[error("{file}, row {row}, column `{column}`: {message}")]
    Parse {
        file: PathBuf,
        row: usize,
        column: String,
        message: String,
    },
    /// The input as a whole cannot be used (empty, a single class, too few rows...).
    #[error("invalid input for {model}: {message}")]
    InvalidInput {
        model: &'static str,
        message: String,
    },
    /// The fitting procedure failed.
    #[error("fitting {model} failed: {message}")]
    Fit {
        model: &'static str,
        message: String,
    },
    /// An artifact could not be decoded or is of the wrong kind or version.
    #[error("artifact {kind}: {message}")]
    Artifact { kind: String, message: String },
}

impl ModelError {
    pub(crate) fn invalid(model: &'static str, message: impl Into<String>) -> Self {
        ModelError::InvalidInput {
            model,
            message: message.into(),
        }
    }

    pub(crate) fn fit(model: &'static str, message: impl ToString) -> Self {
        ModelError::Fit {
            model,
            message: message.to_string(),
        }
    }
}
