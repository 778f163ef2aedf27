//! What answers behind the console's API URL: a Thanos Querier, a Prometheus (or another API
//! without Thanos' extensions), or nothing. Found once per page, so Thanos-only controls can say
//! they do nothing instead of pretending to work.
//!
//! Both Prometheus and the Thanos Querier serve `/api/v1/status/buildinfo`; Thanos' versions are
//! `0.x`, Prometheus' `2.x` and later. Only a `0.x` answer (or none) is checked against
//! `/api/v1/stores`, which only a Querier has: asking Prometheus for it cross-origin gets a 404
//! without CORS headers, an error in the browser's console on every page load.

use std::fmt;

/// How one look-up ended.
#[derive(Debug, Clone, PartialEq)]
pub enum Probe<T> {
    Answered(T),
    /// 404: the API does not have this endpoint.
    Missing,
    /// No answer at all (down, DNS, CORS), or one that was not the API's JSON.
    Failed(String),
}

#[derive(Debug, Clone, PartialEq, Default)]
pub enum Backend {
    /// Still being found out.
    #[default]
    Probing,
    /// Impossible to tell: every control stays on.
    Unknown,
    Thanos {
        version: Option<String>,
        /// The store addresses `/api/v1/stores` listed (for the store filter); empty when they
        /// could not be read.
        stores: Vec<String>,
    },
    /// An API without Thanos' extensions; `version` from buildinfo, when it has one.
    Prometheus { version: Option<String> },
    /// Neither look-up got an answer.
    Unreachable(String),
}

/// What buildinfo's `version` says on its own: `None` when `/api/v1/stores` must decide.
pub fn from_buildinfo(buildinfo: &Probe<String>) -> Option<Backend> {
    match buildinfo {
        Probe::Answered(version) => match major(version) {
            Some(0) | None => None,
            Some(_) => Some(Backend::Prometheus { version: Some(version.clone()) }),
        },
        Probe::Missing => None,
        Probe::Failed(e) => Some(Backend::Unreachable(e.clone())),
    }
}

/// The verdict once `/api/v1/stores` has been asked too (its answer as store addresses).
pub fn with_stores(buildinfo: &Probe<String>, stores: &Probe<Vec<String>>) -> Backend {
    let version = match buildinfo {
        Probe::Answered(v) => Some(v.clone()),
        _ => None,
    };
    match stores {
        Probe::Answered(addresses) => Backend::Thanos { version, stores: addresses.clone() },
        Probe::Missing => Backend::Prometheus { version },
        // A 0.x build that lists no stores is still a Thanos component; without buildinfo, unknown.
        Probe::Failed(_) if version.is_some() => Backend::Thanos { version, stores: Vec::new() },
        Probe::Failed(_) => Backend::Unknown,
    }
}

fn major(version: &str) -> Option<u32> {
    version.trim_start_matches('v').split('.').next()?.parse().ok()
}

impl Backend {
    pub fn is_thanos(&self) -> bool {
        matches!(self, Backend::Thanos { .. })
    }

    /// The stores a panel may choose among: a Querier's, none otherwise.
    pub fn store_addresses(&self) -> &[String] {
        match self {
            Backend::Thanos { stores, .. } => stores,
            _ => &[],
        }
    }

    /// Why Thanos-only controls are off, in one line; `None` while they may work.
    pub fn thanos_only_reason(&self) -> Option<String> {
        match self {
            Backend::Prometheus { .. } => {
                Some(format!("Thanos only: the API is {self}, which ignores these settings."))
            }
            _ => None,
        }
    }
}

impl fmt::Display for Backend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Backend::Probing => f.write_str("an API still being identified"),
            Backend::Unknown => f.write_str("an API that could not be identified"),
            Backend::Thanos { version: Some(v), .. } => write!(f, "Thanos {v}"),
            Backend::Thanos { version: None, .. } => f.write_str("Thanos"),
            Backend::Prometheus { version: Some(v) } => write!(f, "Prometheus {v}"),
            Backend::Prometheus { version: None } => {
                f.write_str("not a Thanos Querier (it has no /api/v1/stores)")
            }
            Backend::Unreachable(e) => write!(f, "unreachable ({e})"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answered(v: &str) -> Probe<String> {
        Probe::Answered(v.to_string())
    }

    #[test]
    fn a_prometheus_version_decides_without_asking_for_stores() {
        let b = from_buildinfo(&answered("2.42.0")).unwrap();
        assert_eq!(b, Backend::Prometheus { version: Some("2.42.0".into()) });
        assert_eq!(
            b.thanos_only_reason().unwrap(),
            "Thanos only: the API is Prometheus 2.42.0, which ignores these settings."
        );
        assert_eq!(from_buildinfo(&answered("v3.1.0")).unwrap().to_string(), "Prometheus v3.1.0");
    }

    #[test]
    fn a_thanos_version_or_none_is_checked_against_stores() {
        assert_eq!(from_buildinfo(&answered("0.35.1")), None);
        assert_eq!(from_buildinfo(&Probe::Missing), None);
        assert_eq!(from_buildinfo(&answered("main-2024")), None);
        let listed = vec!["10.0.0.1:10901".to_string()];
        let thanos = with_stores(&answered("0.35.1"), &Probe::Answered(listed.clone()));
        assert!(thanos.is_thanos());
        assert_eq!(thanos.to_string(), "Thanos 0.35.1");
        assert_eq!(thanos.store_addresses(), listed.as_slice());
        assert_eq!(thanos.thanos_only_reason(), None);
        // An API with neither endpoint is not a Querier.
        let other = with_stores(&Probe::Missing, &Probe::Missing);
        assert!(other.thanos_only_reason().unwrap().contains("no /api/v1/stores"));
    }

    #[test]
    fn no_answer_is_unreachable_and_disables_nothing() {
        let b = from_buildinfo(&Probe::Failed("Failed to fetch".into())).unwrap();
        assert_eq!(b.to_string(), "unreachable (Failed to fetch)");
        assert_eq!(b.thanos_only_reason(), None);
        assert_eq!(with_stores(&Probe::Missing, &Probe::Failed("x".into())), Backend::Unknown);
        let unlisted = with_stores(&answered("0.30.0"), &Probe::Failed("x".into()));
        assert!(unlisted.is_thanos() && unlisted.store_addresses().is_empty());
        assert!(from_buildinfo(&answered("2.42.0")).unwrap().store_addresses().is_empty());
    }
}
