//! Addresses of query APIs and Alertmanagers as `thanos rule` takes them: plain URLs, or names
//! resolved through DNS and resolved again periodically (`--query.sd-dns-interval`,
//! `--alertmanagers.sd-dns-interval`):
//! - `dns+host:port`: A/AAAA lookup, the port as given;
//! - `dnssrv+_name._tcp.domain`: SRV lookup, then A/AAAA of each target, the port from the SRV record
//!   unless one is given;
//! - `dnssrvnoa+_name._tcp.domain`: SRV lookup, targets used as they are.
//!
//! A scheme and a path may follow the prefix (`dnssrv+https://_web._tcp.am/prefix`); without one
//! the scheme is `http`. Configuration files add address files in Prometheus' file SD format, read
//! again on the same schedule. When a lookup fails, the previous addresses stay.

use std::future::Future;
use std::net::{IpAddr, SocketAddr};
use std::sync::RwLock;

use crate::client::config::{address_spec, EndpointGroup};

/// Why a `--query` or `--alertmanagers.url` value cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AddressError {
    #[error("{spec:?}: scheme {scheme:?} is not http or https")]
    Scheme { spec: String, scheme: String },
    #[error("{spec:?}: {problem}")]
    Authority { spec: String, problem: String },
    #[error("{0:?}: no host")]
    NoHost(String),
    #[error("{0:?}: a dns+ address needs a port")]
    PortNeeded(String),
    #[error("{0:?} is given twice")]
    Twice(String),
}

/// Why a DNS lookup gave no addresses.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LookupError {
    #[error("lookup {host}: {reason}")]
    Ip { host: String, reason: String },
    #[error("SRV lookup {name}: {reason}")]
    Srv { name: String, reason: String },
    #[error("system DNS configuration: {0}")]
    Config(String),
    #[error("file SD {path}: {reason}")]
    File { path: String, reason: String },
}

/// How an address is looked up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lookup {
    /// Used as it is.
    Static,
    /// `dns+`: A/AAAA.
    Ip,
    /// `dnssrv+`: SRV, then A/AAAA.
    Srv,
    /// `dnssrvnoa+`: SRV only.
    SrvNoA,
}

/// One `--query` or `--alertmanagers.url` value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Address {
    pub lookup: Lookup,
    pub scheme: String,
    pub host: String,
    pub port: Option<u16>,
    /// Prefix of the API paths, without a trailing slash.
    pub path: String,
}

impl Address {
    /// Parses `spec`. `default_port` applies where neither the address nor an SRV record gives
    /// one (9093 for Alertmanager; none for the query API, so `dns+` needs a port there).
    pub fn parse(spec: &str, default_port: Option<u16>) -> Result<Address, AddressError> {
        let (lookup, rest) = match spec.split_once('+') {
            Some(("dns", rest)) => (Lookup::Ip, rest),
            Some(("dnssrv", rest)) => (Lookup::Srv, rest),
            Some(("dnssrvnoa", rest)) => (Lookup::SrvNoA, rest),
            _ => (Lookup::Static, spec),
        };
        let (scheme, rest) = match rest.split_once("://") {
            Some((s, r)) if s == "http" || s == "https" => (s.to_string(), r),
            Some((s, _)) => return Err(AddressError::Scheme { spec: spec.into(), scheme: s.into() }),
            None => ("http".to_string(), rest),
        };
        let (authority, path) = match rest.find('/') {
            Some(i) => (&rest[..i], rest[i..].trim_end_matches('/')),
            None => (rest, ""),
        };
        let (host, port) = split_port(authority)
            .map_err(|problem| AddressError::Authority { spec: spec.into(), problem })?;
        if host.is_empty() {
            return Err(AddressError::NoHost(spec.into()));
        }
        let port = port.or(match lookup {
            Lookup::Srv | Lookup::SrvNoA => None,
            _ => default_port,
        });
        if lookup == Lookup::Ip && port.is_none() {
            return Err(AddressError::PortNeeded(spec.into()));
        }
        Ok(Address { lookup, scheme, host: host.to_string(), port, path: path.to_string() })
    }

    fn url(&self, host: &str, port: Option<u16>) -> String {
        let host = if host.contains(':') { format!("[{host}]") } else { host.to_string() };
        match port {
            Some(p) => format!("{}://{host}:{p}{}", self.scheme, self.path),
            None => format!("{}://{host}{}", self.scheme, self.path),
        }
    }

    /// The base URLs this address stands for now.
    pub async fn resolve<R: Resolve>(&self, resolver: &R) -> Result<Vec<String>, LookupError> {
        let port = self.port;
        Ok(match self.lookup {
            Lookup::Static => vec![self.url(&self.host, port)],
            Lookup::Ip => {
                resolver.ips(&self.host).await?.iter().map(|ip| self.url(&ip.to_string(), port)).collect()
            }
            Lookup::SrvNoA => resolver
                .srv(&self.host)
                .await?
                .iter()
                .map(|(target, p)| self.url(target, port.or(Some(*p))))
                .collect(),
            Lookup::Srv => {
                let mut urls = Vec::new();
                for (target, p) in resolver.srv(&self.host).await? {
                    for ip in resolver.ips(&target).await? {
                        urls.push(self.url(&ip.to_string(), port.or(Some(p))));
                    }
                }
                urls
            }
        })
    }
}

fn split_port(authority: &str) -> Result<(&str, Option<u16>), String> {
    // `[::1]:9090` or `host:9090` or `host`.
    let (host, port) = if let Some(rest) = authority.strip_prefix('[') {
        let (h, after) = rest.split_once(']').ok_or("unclosed [")?;
        (h, after.strip_prefix(':'))
    } else {
        match authority.rsplit_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (authority, None),
        }
    };
    let port = port.map(|p| p.parse::<u16>().map_err(|_| format!("{p:?} is not a port"))).transpose()?;
    Ok((host, port))
}

/// DNS lookups, behind a trait so address logic tests without a server.
pub trait Resolve: Send + Sync {
    fn ips(&self, host: &str) -> impl Future<Output = Result<Vec<IpAddr>, LookupError>> + Send;
    /// SRV records as (target, port), the target without its trailing dot.
    fn srv(&self, name: &str) -> impl Future<Output = Result<Vec<(String, u16)>, LookupError>> + Send;
}

/// The system's resolver (`/etc/resolv.conf`, `/etc/hosts`), or one name server.
pub struct DnsResolver(hickory_resolver::TokioResolver);

impl DnsResolver {
    pub fn new(nameserver: Option<SocketAddr>) -> Result<DnsResolver, LookupError> {
        use hickory_resolver::config::{NameServerConfig, ResolverConfig};
        use hickory_resolver::name_server::TokioConnectionProvider;
        use hickory_resolver::proto::xfer::Protocol;
        let builder = match nameserver {
            Some(addr) => {
                let mut config = ResolverConfig::new();
                config.add_name_server(NameServerConfig::new(addr, Protocol::Udp));
                hickory_resolver::Resolver::builder_with_config(config, TokioConnectionProvider::default())
            }
            None => {
                hickory_resolver::Resolver::builder_tokio().map_err(|e| LookupError::Config(e.to_string()))?
            }
        };
        let mut builder = builder;
        // Re-resolution is periodic: answers must not outlive it in a cache.
        builder.options_mut().cache_size = 0;
        Ok(DnsResolver(builder.build()))
    }
}

impl Resolve for DnsResolver {
    async fn ips(&self, host: &str) -> Result<Vec<IpAddr>, LookupError> {
        if let Ok(ip) = host.parse::<IpAddr>() {
            return Ok(vec![ip]);
        }
        let found = self
            .0
            .lookup_ip(host)
            .await
            .map_err(|e| LookupError::Ip { host: host.into(), reason: e.to_string() })?;
        Ok(found.iter().collect())
    }

    async fn srv(&self, name: &str) -> Result<Vec<(String, u16)>, LookupError> {
        let found = self
            .0
            .srv_lookup(name)
            .await
            .map_err(|e| LookupError::Srv { name: name.into(), reason: e.to_string() })?;
        Ok(found.iter().map(|r| (r.target().to_utf8().trim_end_matches('.').to_string(), r.port())).collect())
    }
}

/// Where the addresses of one group come from.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Source {
    Address(Address),
    /// File SD: every target of every file the globs match, with the group's scheme and prefix.
    Files {
        globs: Vec<String>,
        scheme: String,
        path_prefix: String,
    },
}

/// Groups of addresses (one per `--query` or `--alertmanagers.url` value, or per entry of a
/// configuration file) and what each source resolved to last.
#[derive(Debug)]
pub struct Endpoints {
    /// (group, source) in the order given.
    sources: Vec<(usize, Source)>,
    groups: usize,
    default_port: Option<u16>,
    resolved: RwLock<Vec<Vec<String>>>,
}

impl Endpoints {
    /// One group per spec; static ones are known at once, the others after [`Endpoints::refresh`].
    pub fn parse(specs: &[String], default_port: Option<u16>) -> Result<Endpoints, AddressError> {
        let groups: Vec<EndpointGroup> = EndpointGroup::from_flags(specs, None);
        Endpoints::from_groups(&groups, default_port)
    }

    /// Every group's static addresses and address files.
    pub fn from_groups(
        groups: &[EndpointGroup],
        default_port: Option<u16>,
    ) -> Result<Endpoints, AddressError> {
        let mut sources = Vec::new();
        for (g, group) in groups.iter().enumerate() {
            for spec in &group.addresses {
                let a = Address::parse(spec, default_port)?;
                if sources.iter().any(|(_, s)| *s == Source::Address(a.clone())) {
                    return Err(AddressError::Twice(spec.clone()));
                }
                sources.push((g, Source::Address(a)));
            }
            for f in &group.files {
                sources.push((
                    g,
                    Source::Files {
                        globs: f.files.clone(),
                        scheme: group.scheme.clone(),
                        path_prefix: group.path_prefix.clone(),
                    },
                ));
            }
        }
        let resolved = sources
            .iter()
            .map(|(_, s)| match s {
                Source::Address(a) if a.lookup == Lookup::Static => vec![a.url(&a.host, a.port)],
                _ => vec![],
            })
            .collect();
        Ok(Endpoints { sources, groups: groups.len(), default_port, resolved: RwLock::new(resolved) })
    }

    /// How many groups.
    pub fn len(&self) -> usize {
        self.groups
    }

    pub fn is_empty(&self) -> bool {
        self.groups == 0
    }

    /// What the `i`th group's sources resolved to last.
    pub fn of(&self, i: usize) -> Vec<String> {
        let resolved = self.resolved.read().unwrap();
        self.sources
            .iter()
            .zip(resolved.iter())
            .filter(|((g, _), _)| *g == i)
            .flat_map(|(_, urls)| urls.iter().cloned())
            .collect()
    }

    /// Every base URL, in the order the groups were given.
    pub fn all(&self) -> Vec<String> {
        self.resolved.read().unwrap().iter().flatten().cloned().collect()
    }

    /// Resolves every DNS address and reads every address file again. A source that fails keeps
    /// what it had; the failures are returned.
    pub async fn refresh<R: Resolve>(&self, resolver: &R) -> Vec<LookupError> {
        let mut failures = Vec::new();
        for (i, (_, source)) in self.sources.iter().enumerate() {
            let found = match source {
                Source::Address(a) if a.lookup == Lookup::Static => continue,
                Source::Address(a) => a.resolve(resolver).await,
                Source::Files { globs, scheme, path_prefix } => {
                    read_files(globs, scheme, path_prefix, self.default_port)
                }
            };
            match found {
                Ok(mut urls) => {
                    urls.sort();
                    urls.dedup();
                    self.resolved.write().unwrap()[i] = urls;
                }
                Err(e) => failures.push(e),
            }
        }
        failures
    }

    /// Whether any source needs looking up again from time to time.
    pub fn needs_refresh(&self) -> bool {
        self.sources.iter().any(|(_, s)| !matches!(s, Source::Address(a) if a.lookup == Lookup::Static))
    }
}

/// A file SD file: `[{targets: [host:port, …], labels: {…}}]` (labels are not used here).
#[derive(serde::Deserialize)]
struct TargetGroup {
    #[serde(default)]
    targets: Vec<String>,
}

/// The base URLs in every file `globs` match.
fn read_files(
    globs: &[String],
    scheme: &str,
    path_prefix: &str,
    default_port: Option<u16>,
) -> Result<Vec<String>, LookupError> {
    let fail = |path: &str, reason: String| LookupError::File { path: path.to_string(), reason };
    let mut urls = Vec::new();
    for pattern in globs {
        let paths = glob::glob(pattern).map_err(|e| fail(pattern, e.to_string()))?;
        for path in paths {
            let path = path.map_err(|e| fail(pattern, e.to_string()))?;
            let name = path.display().to_string();
            let text = std::fs::read_to_string(&path).map_err(|e| fail(&name, e.to_string()))?;
            let groups: Vec<TargetGroup> =
                serde_yaml_ng::from_str(&text).map_err(|e| fail(&name, e.to_string()))?;
            for target in groups.iter().flat_map(|g| &g.targets) {
                let spec = address_spec(target, scheme, path_prefix);
                let a = Address::parse(&spec, default_port).map_err(|e| fail(&name, e.to_string()))?;
                urls.push(a.url(&a.host, a.port));
            }
        }
    }
    Ok(urls)
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Zone;

    impl Resolve for Zone {
        async fn ips(&self, host: &str) -> Result<Vec<IpAddr>, LookupError> {
            match host {
                "q1.svc" => Ok(vec!["10.0.0.1".parse().unwrap()]),
                "q2.svc" => Ok(vec!["10.0.0.2".parse().unwrap(), "fd00::2".parse().unwrap()]),
                _ => Err(LookupError::Ip { host: host.into(), reason: "no such host".into() }),
            }
        }
        async fn srv(&self, name: &str) -> Result<Vec<(String, u16)>, LookupError> {
            match name {
                "_http._tcp.query.svc" => Ok(vec![("q1.svc".into(), 9090), ("q2.svc".into(), 19090)]),
                _ => Err(LookupError::Srv { name: name.into(), reason: "no such name".into() }),
            }
        }
    }

    #[test]
    fn parses_the_thanos_forms() {
        let a = Address::parse("dnssrv+_http._tcp.query.svc", None).unwrap();
        assert_eq!(
            (a.lookup, a.scheme.as_str(), a.host.as_str(), a.port, a.path.as_str()),
            (Lookup::Srv, "http", "_http._tcp.query.svc", None, "")
        );
        let a = Address::parse("dns+https://am.svc/prefix/", Some(9093)).unwrap();
        assert_eq!(
            (a.lookup, a.scheme.as_str(), a.port, a.path.as_str()),
            (Lookup::Ip, "https", Some(9093), "/prefix")
        );
        let a = Address::parse("http://[::1]:9090", None).unwrap();
        assert_eq!((a.lookup, a.host.as_str(), a.port), (Lookup::Static, "::1", Some(9090)));
        assert_eq!(
            Address::parse("dns+query.svc", None),
            Err(AddressError::PortNeeded("dns+query.svc".into()))
        );
        assert!(Address::parse("dns+query.svc", None).unwrap_err().to_string().contains("needs a port"));
        assert!(Address::parse("ftp://x:1", None).is_err());
        assert!(Address::parse("http://x:port", None).is_err());
        assert!(Endpoints::parse(&["http://a:1".into(), "http://a:1/".into()], None)
            .unwrap_err()
            .to_string()
            .contains("twice"));
    }

    #[tokio::test]
    async fn srv_then_a_and_failures_keep_the_last_answer() {
        let e = Endpoints::parse(
            &[
                "dnssrv+_http._tcp.query.svc".into(),
                "dnssrvnoa+_http._tcp.query.svc".into(),
                "dns+q1.svc:80".into(),
                "http://static:1/p".into(),
            ],
            None,
        )
        .unwrap();
        assert_eq!(e.all(), vec!["http://static:1/p"], "static addresses need no lookup");
        assert!(e.refresh(&Zone).await.is_empty());
        assert_eq!(e.of(0), vec!["http://10.0.0.1:9090", "http://10.0.0.2:19090", "http://[fd00::2]:19090"]);
        assert_eq!(e.of(1), vec!["http://q1.svc:9090", "http://q2.svc:19090"]);
        assert_eq!(e.of(2), vec!["http://10.0.0.1:80"]);

        let gone = Endpoints::parse(&["dns+nowhere.svc:1".into()], None).unwrap();
        assert_eq!(gone.refresh(&Zone).await.len(), 1);
        assert!(gone.all().is_empty());
    }

    #[tokio::test]
    async fn groups_gather_static_addresses_and_address_files() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("a.yaml"), "- targets: [am-1:9093, am-2]\n  labels: {zone: a}\n")
            .unwrap();
        std::fs::write(dir.path().join("b.json"), r#"[{"targets": ["10.0.0.9:19093"]}]"#).unwrap();
        let yaml = format!(
            "alertmanagers:\n- static_configs: [am-0:9093]\n  file_sd_configs: [{{files: ['{}/*']}}]\n  scheme: https\n  path_prefix: /am\n\
             - static_configs: [other:9093]\n",
            dir.path().display()
        );
        let groups = crate::client::config::alertmanager_groups(&yaml, std::time::Duration::ZERO).unwrap();
        let e = Endpoints::from_groups(&groups, Some(9093)).unwrap();
        assert_eq!((e.len(), e.needs_refresh()), (2, true));
        assert_eq!(e.of(0), vec!["https://am-0:9093/am"], "files are read by refresh");
        assert!(e.refresh(&Zone).await.is_empty());
        assert_eq!(
            e.of(0),
            vec![
                "https://am-0:9093/am",
                "https://10.0.0.9:19093/am",
                "https://am-1:9093/am",
                "https://am-2:9093/am"
            ]
        );
        assert_eq!(e.of(1), vec!["http://other:9093"]);

        std::fs::write(dir.path().join("b.json"), "not: [a list").unwrap();
        let failures = e.refresh(&Zone).await;
        assert!(failures[0].to_string().starts_with("file SD "), "{failures:?}");
        assert_eq!(e.of(0).len(), 4, "a broken file keeps the last addresses");
    }
}
