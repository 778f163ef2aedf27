//! Addresses of query APIs and Alertmanagers as `thanos rule` takes them: plain URLs, or names
//! resolved through DNS and resolved again periodically (`--query.sd-dns-interval`,
//! `--alertmanagers.sd-dns-interval`):
//! - `dns+host:port`: A/AAAA lookup, the port as given;
//! - `dnssrv+_name._tcp.domain`: SRV lookup, then A/AAAA of each target, the port from the SRV record
//!   unless one is given;
//! - `dnssrvnoa+_name._tcp.domain`: SRV lookup, targets used as they are.
//!
//! A scheme and a path may follow the prefix (`dnssrv+https://_web._tcp.am/prefix`); without one
//! the scheme is `http`. When a lookup fails, the previous addresses stay.

use std::future::Future;
use std::net::{IpAddr, SocketAddr};
use std::sync::RwLock;

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

/// A list of addresses and what each resolved to last.
#[derive(Debug)]
pub struct Endpoints {
    addresses: Vec<Address>,
    resolved: RwLock<Vec<Vec<String>>>,
}

impl Endpoints {
    /// Parses every spec; static ones are known at once, the others after [`Endpoints::refresh`].
    pub fn parse(specs: &[String], default_port: Option<u16>) -> Result<Endpoints, AddressError> {
        let mut addresses = Vec::new();
        for s in specs {
            let a = Address::parse(s, default_port)?;
            if addresses.contains(&a) {
                return Err(AddressError::Twice(s.clone()));
            }
            addresses.push(a);
        }
        let resolved = addresses
            .iter()
            .map(|a| if a.lookup == Lookup::Static { vec![a.url(&a.host, a.port)] } else { vec![] })
            .collect();
        Ok(Endpoints { addresses, resolved: RwLock::new(resolved) })
    }

    pub fn len(&self) -> usize {
        self.addresses.len()
    }

    pub fn is_empty(&self) -> bool {
        self.addresses.is_empty()
    }

    /// What the `i`th address resolved to last.
    pub fn of(&self, i: usize) -> Vec<String> {
        self.resolved.read().unwrap().get(i).cloned().unwrap_or_default()
    }

    /// Every base URL, in the order the addresses were given.
    pub fn all(&self) -> Vec<String> {
        self.resolved.read().unwrap().iter().flatten().cloned().collect()
    }

    /// Resolves every DNS address again. An address whose lookup fails keeps what it had; the
    /// failures are returned.
    pub async fn refresh<R: Resolve>(&self, resolver: &R) -> Vec<LookupError> {
        let mut failures = Vec::new();
        for (i, a) in self.addresses.iter().enumerate() {
            if a.lookup == Lookup::Static {
                continue;
            }
            match a.resolve(resolver).await {
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

    /// Whether any address needs DNS.
    pub fn needs_dns(&self) -> bool {
        self.addresses.iter().any(|a| a.lookup != Lookup::Static)
    }
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
}
