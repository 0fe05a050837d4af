//! `semver_*` operators: versions parsed leniently (leading `v`, surrounding spaces, missing
//! parts are 0, pre-release and build metadata ignored, extra parts ignored).

/// A parsed version: major, minor, patch.
pub(crate) type Version = (u128, u128, u128);

/// Parses a version. `None` when it is not a version.
pub(crate) fn parse(text: &str) -> Option<Version> {
    let t = text.trim();
    let t = t.strip_prefix(['v', 'V']).unwrap_or(t);
    let core = match t.find(['-', '+']) {
        Some(i) => &t[..i],
        None => t,
    };
    let mut parts = core.split('.');
    let major = component(parts.next()?, false)?;
    let minor = component(parts.next().unwrap_or(""), true)?;
    let patch = component(parts.next().unwrap_or(""), true)?;
    for extra in parts {
        if !extra.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
    }
    Some((major, minor, patch))
}

fn component(part: &str, empty_ok: bool) -> Option<u128> {
    if part.is_empty() {
        return if empty_ok { Some(0) } else { None };
    }
    if !part.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    if part.len() > 1 && part.starts_with('0') {
        return None;
    }
    Some(part.parse::<u128>().unwrap_or(u128::MAX))
}

/// A half-open range `[low, high)`.
pub(crate) type Range = (Version, Version);

/// `~X.Y.Z`: `>= X.Y.Z < X.(Y+1).0`.
pub(crate) fn tilde(v: Version) -> Range {
    (v, (v.0, v.1.saturating_add(1), 0))
}

/// `^X.Y.Z`: the next breaking version is the upper bound.
pub(crate) fn caret(v: Version) -> Range {
    let high = if v.0 > 0 {
        (v.0.saturating_add(1), 0, 0)
    } else if v.1 > 0 {
        (0, v.1.saturating_add(1), 0)
    } else {
        (0, 0, v.2.saturating_add(1))
    };
    (v, high)
}

/// `X.*`, `X.Y.*`, `X`, `X.Y`, `X.Y.Z` as a wildcard range.
pub(crate) fn wildcard(text: &str) -> Option<Range> {
    let t = text.trim();
    let t = t.strip_prefix(['v', 'V']).unwrap_or(t);
    let parts: Vec<&str> = t.split('.').collect();
    let mut nums = Vec::with_capacity(3);
    for (i, p) in parts.iter().enumerate() {
        if *p == "*" {
            if i + 1 != parts.len() || i == 0 {
                return None;
            }
            break;
        }
        nums.push(component(p, false)?);
    }
    match nums.as_slice() {
        [major] => Some(((*major, 0, 0), (major.saturating_add(1), 0, 0))),
        [major, minor] => Some(((*major, *minor, 0), (*major, minor.saturating_add(1), 0))),
        [major, minor, patch] => Some((
            (*major, *minor, *patch),
            (*major, *minor, patch.saturating_add(1)),
        )),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lenient_versions() {
        assert_eq!(parse("v1.2.3"), Some((1, 2, 3)));
        assert_eq!(parse(" 1.2.3 "), Some((1, 2, 3)));
        assert_eq!(parse("1.2"), Some((1, 2, 0)));
        assert_eq!(parse("1.2.3-beta+x"), Some((1, 2, 3)));
        assert_eq!(parse("1.2.3.4"), Some((1, 2, 3)));
        assert_eq!(parse("01.2.3"), None);
        assert_eq!(parse("-1.2.3"), None);
        assert_eq!(parse(".1.2"), None);
        assert_eq!(parse("abc"), None);
        assert_eq!(parse(""), None);
        assert_eq!(parse("1.2.x"), None);
    }

    #[test]
    fn caret_ranges() {
        assert_eq!(caret((0, 2, 3)).1, (0, 3, 0));
        assert_eq!(caret((0, 0, 3)).1, (0, 0, 4));
        assert_eq!(caret((1, 2, 3)).1, (2, 0, 0));
    }

    #[test]
    fn wildcard_ranges() {
        assert_eq!(wildcard("1.*"), Some(((1, 0, 0), (2, 0, 0))));
        assert_eq!(wildcard("1.2.*"), Some(((1, 2, 0), (1, 3, 0))));
        assert_eq!(wildcard("*"), None);
        assert_eq!(wildcard("1.x"), None);
        assert_eq!(wildcard("1.*.3"), None);
    }
}
