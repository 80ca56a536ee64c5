//! Typed errors of the library.
//!
//! Every error that comes from bad input names the file, the field and, where
//! there is one, the row or line. The binary maps [`Error::is_input`] errors to
//! exit code 2 and everything else to exit code 1; the library never panics on
//! user input.

use std::path::{Path, PathBuf};

/// Result alias used throughout the library.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong in patrolsim.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A file could not be read.
    #[error("{path}: cannot read: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The operating system's reason.
        source: std::io::Error,
    },
    /// A file or directory could not be written.
    #[error("{path}: cannot write: {source}")]
    Write {
        /// The file.
        path: PathBuf,
        /// The operating system's reason.
        source: std::io::Error,
    },
    /// The TOML of a scenario does not parse or does not fit the schema.
    #[error("{path}:{line}:{column}: {message}")]
    Toml {
        /// The scenario file.
        path: PathBuf,
        /// 1-based line of the error.
        line: usize,
        /// 1-based column of the error.
        column: usize,
        /// What the parser said.
        message: String,
    },
    /// A scenario value is out of range or inconsistent.
    #[error("{path}: field `{field}`: {message}")]
    Field {
        /// The scenario file.
        path: PathBuf,
        /// The field, as a TOML path (`stations[2].units`).
        field: String,
        /// What is wrong with it.
        message: String,
    },
    /// A row of a CSV file is malformed.
    #[error("{path}: line {line}, column `{field}`: {message}")]
    Csv {
        /// The CSV file.
        path: PathBuf,
        /// 1-based line in the file (the header is line 1).
        line: u64,
        /// The column.
        field: String,
        /// What is wrong with it.
        message: String,
    },
    /// A command-line option is invalid.
    #[error("option `{option}`: {message}")]
    Option {
        /// The option.
        option: String,
        /// What is wrong with it.
        message: String,
    },
    /// The simulation reached a state the model forbids (a bug, not bad input).
    #[error("internal simulation error: {0}")]
    Internal(String),
}

impl Error {
    /// True when the error comes from bad input (exit code 2), false for
    /// failures of the machine or of patrolsim itself (exit code 1).
    pub fn is_input(&self) -> bool {
        !matches!(self, Error::Write { .. } | Error::Internal(_))
    }

    /// A [`Error::Field`] error.
    pub fn field(path: &Path, field: impl Into<String>, message: impl Into<String>) -> Self {
        Error::Field {
            path: path.to_path_buf(),
            field: field.into(),
            message: message.into(),
        }
    }

    /// A [`Error::Csv`] error.
    pub fn csv(
        path: &Path,
        line: u64,
        field: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        Error::Csv {
            path: path.to_path_buf(),
            line,
            field: field.into(),
            message: message.into(),
        }
    }

    /// A [`Error::Read`] error.
    pub fn read(path: &Path, source: std::io::Error) -> Self {
        Error::Read {
            path: path.to_path_buf(),
            source,
        }
    }

    /// A [`Error::Write`] error.
    pub fn write(path: &Path, source: std::io::Error) -> Self {
        Error::Write {
            path: path.to_path_buf(),
            source,
        }
    }
}
