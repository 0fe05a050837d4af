//! The crate's public error type.

/// What can go wrong when starting a [`crate::TestServer`] or running the binary.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The listening socket could not be bound (port in use, no loopback, …).
    #[error("cannot bind 127.0.0.1:{port}: {source}")]
    Bind {
        /// The port that was asked for (0 = any).
        port: u16,
        /// The underlying I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The background thread or its tokio runtime could not be started.
    #[error("cannot start the server thread: {0}")]
    Runtime(#[source] std::io::Error),
    /// The in-memory SQLite database could not be opened.
    #[error("cannot open the event database: {0}")]
    Storage(String),
    /// A command-line argument of the binary was not understood.
    #[error("{0}")]
    Usage(String),
}
