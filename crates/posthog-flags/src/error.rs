//! Errors of parsing definitions, and the "cannot decide locally" outcome.

/// Definitions that cannot be parsed at all.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// The definitions JSON does not have the expected shape.
    #[error("invalid flag definitions: {0}")]
    InvalidDefinitions(String),
}

/// Why local evaluation could not decide (first cause in this order wins).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum InconclusiveReason {
    /// The flag has experience continuity enabled, which only the server can honour.
    ExperienceContinuity,
    /// Unknown operator, unusable filter value, server-only regex, static/missing cohort,
    /// unknown group type index, missing or circular flag dependency.
    UnsupportedDefinition,
    /// A flag this flag depends on could not be decided locally.
    UnresolvedDependency,
    /// The call lacks a needed property, a passed value is unreadable, or no device id.
    MissingContext,
    /// No definition with this key is loaded.
    UnknownFlag,
}

impl InconclusiveReason {
    /// The snake_case name used in the conformance vectors and reported to callers.
    pub fn as_str(self) -> &'static str {
        match self {
            InconclusiveReason::ExperienceContinuity => "experience_continuity",
            InconclusiveReason::UnsupportedDefinition => "unsupported_definition",
            InconclusiveReason::UnresolvedDependency => "unresolved_dependency",
            InconclusiveReason::MissingContext => "missing_context",
            InconclusiveReason::UnknownFlag => "unknown_flag",
        }
    }
}

/// Local evaluation cannot decide this flag.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("inconclusive ({}): {detail}", reason.as_str())]
pub struct Inconclusive {
    /// The first cause.
    pub reason: InconclusiveReason,
    /// A short human description (never contains property values).
    pub detail: String,
}
