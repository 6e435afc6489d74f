//! The crate's error type: failures to read what the checks need, as opposed to
//! [`crate::Violation`]s, which are findings about well-formed input.

use std::path::PathBuf;

/// Something that stopped the crate from reading a module or the contract.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A file or directory could not be read.
    #[error("cannot read {path}")]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// A `.tf` file is not valid HCL.
    #[error("cannot parse {path}: {message}")]
    Parse {
        /// The file.
        path: PathBuf,
        /// The parser's explanation, with line and column.
        message: String,
    },
    /// A directory expected to be a module holds no `.tf` files.
    #[error("{path} holds no .tf files")]
    NotAModule {
        /// The directory.
        path: PathBuf,
    },
    /// `contract.json` is missing a piece or does not parse.
    #[error("invalid site contract: {message}")]
    Contract {
        /// What is wrong.
        message: String,
    },
    /// A provider name outside the supported set.
    #[error("unknown cloud provider {0:?}; expected one of aws, azure, gcp, digitalocean, akamai")]
    UnknownProvider(String),
}
