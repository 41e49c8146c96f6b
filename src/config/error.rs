//! Where a value came from, and what is wrong with it: every config error
//! names the key, the value and what is allowed, with the value's position.

use std::fmt;

/// Where a value came from, for error messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    /// A position in a YAML file (1-based line and column).
    Yaml {
        /// The file as named by the user.
        file: String,
        /// Line of the value.
        line: u64,
        /// Column of the value.
        column: u64,
    },
    /// A whole YAML file (a key that is missing).
    File(String),
    /// A command-line flag.
    Flag,
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Yaml { file, line, column } => write!(f, "{file}:{line}:{column}: "),
            Self::File(file) => write!(f, "{file}: "),
            Self::Flag => Ok(()),
        }
    }
}

/// A config that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    /// A value outside what the key allows.
    #[error("{origin}{key} = {value} is not allowed: {allowed}")]
    Invalid {
        /// Where the value is.
        origin: Origin,
        /// The key (or flag) name.
        key: String,
        /// The value as written.
        value: String,
        /// What the key allows.
        allowed: String,
    },
    /// A required key is absent.
    #[error("{origin}missing key `{key}`: {allowed}")]
    Missing {
        /// The file.
        origin: Origin,
        /// The missing key.
        key: String,
        /// What it should hold.
        allowed: String,
    },
    /// The YAML itself (syntax, unknown keys, types).
    #[error("{file}:{message}")]
    Yaml {
        /// The file.
        file: String,
        /// The parser's message, with its line and column.
        message: String,
    },
    /// The file could not be read.
    #[error("{file}: cannot read the config: {message}")]
    Io {
        /// The file.
        file: String,
        /// The OS error.
        message: String,
    },
}

impl ConfigError {
    /// Where the value is (the file, for a missing key).
    pub fn origin(&self) -> Option<&Origin> {
        match self {
            Self::Invalid { origin, .. } | Self::Missing { origin, .. } => Some(origin),
            Self::Yaml { .. } | Self::Io { .. } => None,
        }
    }

    /// The key, as the config spells it (`emit.const_name`).
    pub fn key(&self) -> Option<&str> {
        match self {
            Self::Invalid { key, .. } | Self::Missing { key, .. } => Some(key),
            Self::Yaml { .. } | Self::Io { .. } => None,
        }
    }

    /// The same error with its key renamed (the command line names flags).
    pub fn with_key(mut self, name: impl FnOnce(&str) -> String) -> Self {
        if let Self::Invalid { key, .. } | Self::Missing { key, .. } = &mut self {
            *key = name(key);
        }
        self
    }
}

/// An invalid value: `key = value is not allowed: allowed`, at `origin`.
pub(crate) fn invalid(origin: &Origin, key: &str, value: impl fmt::Display, allowed: impl Into<String>) -> ConfigError {
    ConfigError::Invalid {
        origin: origin.clone(),
        key: key.to_string(),
        value: crate::ident::escaped_cut(&value.to_string(), crate::ident::QUOTE_CHARS),
        allowed: allowed.into(),
    }
}

/// A missing key.
pub(crate) fn missing(origin: &Origin, key: &str, allowed: impl Into<String>) -> ConfigError {
    ConfigError::Missing { origin: origin.clone(), key: key.to_string(), allowed: allowed.into() }
}
