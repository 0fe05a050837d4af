//! Project ids: a number or `@current` (the key's default project).

use crate::error::Error;
use std::fmt;
use std::str::FromStr;

/// Which project a call is about: a numeric id or `@current`, the personal key's default project.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum ProjectId {
    /// `@current`: the project the key's user currently has selected.
    #[default]
    Current,
    /// A numeric project (team) id.
    Id(u64),
}

impl ProjectId {
    /// Parses `"@current"` or a number.
    pub fn parse(s: &str) -> Result<ProjectId, Error> {
        s.parse()
    }

    /// `/api/projects/{id}/{rest}`.
    pub(crate) fn path(&self, rest: &str) -> String {
        format!("/api/projects/{self}/{rest}")
    }
}

impl FromStr for ProjectId {
    type Err = Error;
    fn from_str(s: &str) -> Result<ProjectId, Error> {
        let s = s.trim();
        if s == "@current" {
            return Ok(ProjectId::Current);
        }
        s.parse::<u64>()
            .map(ProjectId::Id)
            .map_err(|_| Error::InvalidInput("a project id is a number or \"@current\"".into()))
    }
}

impl From<u64> for ProjectId {
    fn from(id: u64) -> ProjectId {
        ProjectId::Id(id)
    }
}

impl From<u32> for ProjectId {
    fn from(id: u32) -> ProjectId {
        ProjectId::Id(u64::from(id))
    }
}

impl fmt::Display for ProjectId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ProjectId::Current => f.write_str("@current"),
            ProjectId::Id(id) => write!(f, "{id}"),
        }
    }
}

/// Checks an id given by the caller before it goes into a path: no slashes, no `..`, no
/// query or fragment characters.
pub(crate) fn segment(id: &str) -> Result<String, Error> {
    let ok = !id.is_empty()
        && id != "."
        && id != ".."
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '@' | ':'));
    if ok {
        Ok(id.to_string())
    } else {
        Err(Error::InvalidInput(format!(
            "{id:?} is not a valid id for a URL path"
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_prints() {
        assert_eq!(ProjectId::parse("@current").unwrap(), ProjectId::Current);
        assert_eq!(ProjectId::parse("42").unwrap(), ProjectId::Id(42));
        assert!(ProjectId::parse("4/2").is_err());
        assert_eq!(
            ProjectId::from(7u64).path("feature_flags/"),
            "/api/projects/7/feature_flags/"
        );
        assert_eq!(ProjectId::Current.to_string(), "@current");
        assert!(segment("../x").is_err());
        assert!(segment("a?b").is_err());
        assert_eq!(segment("0190a-b").unwrap(), "0190a-b");
    }
}
