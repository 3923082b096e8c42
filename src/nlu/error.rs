//! Errors of the language-understanding module, each naming the file, the intent and
//! what is wrong so that a broken intents file can be fixed without guessing.

use std::path::PathBuf;

/// Everything that can go wrong loading intents or evaluating the classifier.
#[derive(Debug, thiserror::Error)]
pub enum NluError {
    #[error("cannot read {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}: invalid TOML: {message}")]
    Toml { path: PathBuf, message: String },
    #[error("{path}: intent `{intent}`: {problem}")]
    Intent {
        path: PathBuf,
        intent: String,
        problem: String,
    },
    #[error("{path}: {problem}")]
    File { path: PathBuf, problem: String },
    #[error("{dir}: no intents files (*.toml) found")]
    NoIntentFiles { dir: PathBuf },
    #[error("{path}: line {line}: {problem}")]
    Csv {
        path: PathBuf,
        line: u64,
        problem: String,
    },
}

impl NluError {
    pub(crate) fn io(path: &std::path::Path, source: std::io::Error) -> Self {
        NluError::Io {
            path: path.to_path_buf(),
            source,
        }
    }
}
