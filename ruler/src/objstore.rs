//! `--objstore.config` / `--objstore.config-file`: the Thanos object-storage YAML
//! (`type: FILESYSTEM | S3 | GCS | AZURE`, `config: …`, optional `prefix`), checked at start so a
//! broken Secret fails the rollout, and turned into an [`ObjectStore`] for the
//! shipper by [`BucketConfig::open`]: FILESYSTEM, S3 (AWS, MinIO and other
//! S3-compatible servers), GCS and AZURE, with Thanos' config keys.

use std::sync::Arc;

use object_store::aws::AmazonS3Builder;
use object_store::azure::MicrosoftAzureBuilder;
use object_store::gcp::GoogleCloudStorageBuilder;
use object_store::local::LocalFileSystem;
use object_store::{ClientOptions, ObjectStore};
use serde::Deserialize;
use serde_yaml_ng::{Mapping, Value};

/// Why a bucket configuration cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum BucketError {
    /// Not Thanos' objstore YAML; `what` names its source.
    #[error("{what}: {source}")]
    Yaml { what: String, source: serde_yaml_ng::Error },
    #[error("{what}: {kind:?} needs config.{key}")]
    Missing { what: String, kind: Kind, key: &'static str },
    #[error("config.{key}: expected {expected}, got {got}")]
    WrongType { key: String, expected: &'static str, got: String },
    #[error("S3 config.bucket_lookup_type {0:?}: expected auto, virtual-hosted or path")]
    LookupType(String),
    #[error("S3 config.access_key needs config.secret_key")]
    NoSecretKey,
    #[error("FILESYSTEM directory {dir}: {source}")]
    Directory { dir: String, source: std::io::Error },
    /// object_store refused the settings; `what` names the bucket (`S3 bucket b`).
    #[error("{what}: {source}")]
    Open { what: String, source: object_store::Error },
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BucketConfig {
    #[serde(rename = "type")]
    pub kind: Kind,
    #[serde(default)]
    pub config: serde_yaml_ng::Mapping,
    #[serde(default)]
    pub prefix: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub enum Kind {
    #[serde(rename = "FILESYSTEM")]
    Filesystem,
    S3,
    #[serde(rename = "GCS")]
    Gcs,
    #[serde(rename = "AZURE")]
    Azure,
}

impl BucketConfig {
    /// Reads the YAML; `what` names its source in errors.
    pub fn parse(what: &str, yaml: &str) -> Result<BucketConfig, BucketError> {
        let c: BucketConfig = serde_yaml_ng::from_str(yaml)
            .map_err(|source| BucketError::Yaml { what: what.into(), source })?;
        let needs: &[&str] = match c.kind {
            Kind::Filesystem => &["directory"],
            Kind::S3 => &["bucket", "endpoint"],
            Kind::Gcs => &["bucket"],
            Kind::Azure => &["storage_account", "container"],
        };
        for key in needs {
            if !c.config.contains_key(*key) {
                return Err(BucketError::Missing { what: what.into(), kind: c.kind, key });
            }
        }
        Ok(c)
    }

    /// The bucket as an object store; keys are relative to it, under [`BucketConfig::prefix`].
    pub fn open(&self) -> Result<Arc<dyn ObjectStore>, BucketError> {
        match self.kind {
            Kind::Filesystem => {
                let dir = string(&self.config, "directory")?.unwrap_or_default();
                // Thanos creates the directory on the first upload; object_store wants it first.
                std::fs::create_dir_all(&dir)
                    .map_err(|source| BucketError::Directory { dir: dir.clone(), source })?;
                let fs = LocalFileSystem::new_with_prefix(&dir).map_err(|source| BucketError::Open {
                    what: format!("FILESYSTEM directory {dir}"),
                    source,
                })?;
                Ok(Arc::new(fs))
            }
            Kind::S3 => s3(&self.config).map(|s| Arc::new(s) as Arc<dyn ObjectStore>),
            Kind::Gcs => gcs(&self.config).map(|s| Arc::new(s) as Arc<dyn ObjectStore>),
            Kind::Azure => azure(&self.config).map(|s| Arc::new(s) as Arc<dyn ObjectStore>),
        }
    }
}

/// The Thanos S3 keys [`s3`] reads; others are ignored with a warning.
const S3_KEYS: &[&str] = &[
    "bucket",
    "endpoint",
    "region",
    "access_key",
    "secret_key",
    "session_token",
    "insecure",
    "bucket_lookup_type",
    "http_config",
];

/// An S3 bucket as Thanos' minio-go client would address it: `endpoint` is `host[:port]` (https,
/// or http with `insecure: true`); path-style requests (`https://endpoint/bucket/key`) unless
/// `bucket_lookup_type` says `virtual-hosted`, or it is `auto` (the default) and the endpoint is
/// Amazon's. Without `access_key`, credentials come from the environment as the AWS SDKs find them.
fn s3(config: &Mapping) -> Result<object_store::aws::AmazonS3, BucketError> {
    warn_unknown("S3", config, S3_KEYS);
    let bucket = string(config, "bucket")?.unwrap_or_default();
    let endpoint = string(config, "endpoint")?.unwrap_or_default();
    let insecure = boolean(config, "insecure")?.unwrap_or(false);
    let lookup = string(config, "bucket_lookup_type")?.unwrap_or_else(|| "auto".into());
    let (url, virtual_hosted) = s3_endpoint(&bucket, &endpoint, insecure, &lookup)?;
    let mut b = AmazonS3Builder::from_env()
        .with_bucket_name(&bucket)
        .with_endpoint(url)
        .with_allow_http(insecure)
        .with_virtual_hosted_style_request(virtual_hosted);
    if let Some(region) = string(config, "region")?.filter(|r| !r.is_empty()) {
        b = b.with_region(region);
    }
    match (string(config, "access_key")?, string(config, "secret_key")?) {
        (Some(a), Some(s)) if !a.is_empty() => b = b.with_access_key_id(a).with_secret_access_key(s),
        (Some(a), _) if !a.is_empty() => return Err(BucketError::NoSecretKey),
        _ => {}
    }
    if let Some(token) = string(config, "session_token")?.filter(|t| !t.is_empty()) {
        b = b.with_token(token);
    }
    if let Some(Value::Mapping(http)) = config.get("http_config") {
        if boolean(http, "insecure_skip_verify")?.unwrap_or(false) {
            b = b.with_client_options(
                ClientOptions::new().with_allow_http(insecure).with_allow_invalid_certificates(true),
            );
        }
    }
    b.build().map_err(|source| BucketError::Open { what: format!("S3 bucket {bucket}"), source })
}

/// A GCS bucket: `bucket`, and `service_account` (the key file's JSON); without it, credentials
/// come from the environment (GOOGLE_APPLICATION_CREDENTIALS, the metadata server), as in Thanos.
fn gcs(config: &Mapping) -> Result<object_store::gcp::GoogleCloudStorage, BucketError> {
    warn_unknown("GCS", config, &["bucket", "service_account"]);
    let bucket = string(config, "bucket")?.unwrap_or_default();
    let mut b = GoogleCloudStorageBuilder::from_env().with_bucket_name(&bucket);
    if let Some(key) = string(config, "service_account")?.filter(|k| !k.trim().is_empty()) {
        b = b.with_service_account_key(key);
    }
    b.build().map_err(|source| BucketError::Open { what: format!("GCS bucket {bucket}"), source })
}

/// An Azure Blob container: `storage_account`, `container`, and `storage_account_key` or a managed
/// identity (`user_assigned_id`); `endpoint` is the blob service's domain
/// (`blob.core.windows.net` unless another cloud's).
fn azure(config: &Mapping) -> Result<object_store::azure::MicrosoftAzure, BucketError> {
    warn_unknown(
        "AZURE",
        config,
        &["storage_account", "storage_account_key", "container", "endpoint", "user_assigned_id"],
    );
    let account = string(config, "storage_account")?.unwrap_or_default();
    let container = string(config, "container")?.unwrap_or_default();
    let mut b = MicrosoftAzureBuilder::from_env().with_account(&account).with_container_name(&container);
    if let Some(key) = string(config, "storage_account_key")?.filter(|k| !k.is_empty()) {
        b = b.with_access_key(key);
    }
    if let Some(id) = string(config, "user_assigned_id")?.filter(|k| !k.is_empty()) {
        b = b.with_client_id(id);
    }
    if let Some(domain) =
        string(config, "endpoint")?.filter(|e| !e.is_empty() && e != "blob.core.windows.net")
    {
        b = b.with_endpoint(format!("https://{account}.{domain}"));
    }
    b.build().map_err(|source| BucketError::Open { what: format!("AZURE container {container}"), source })
}

fn warn_unknown(kind: &str, config: &Mapping, known: &[&str]) {
    for key in config.keys().filter_map(Value::as_str) {
        if !known.contains(&key) {
            tracing::warn!(kind, key, "objstore setting not supported; ignored");
        }
    }
}

/// The endpoint URL object_store wants, and whether requests are virtual-hosted.
fn s3_endpoint(
    bucket: &str,
    endpoint: &str,
    insecure: bool,
    lookup: &str,
) -> Result<(String, bool), BucketError> {
    let (scheme, host) = match endpoint.split_once("://") {
        Some((scheme, host)) => (scheme, host),
        None => (if insecure { "http" } else { "https" }, endpoint),
    };
    let virtual_hosted = match lookup {
        "auto" => host.ends_with(".amazonaws.com"),
        "virtual-hosted" => true,
        "path" => false,
        other => return Err(BucketError::LookupType(other.into())),
    };
    // Virtual-hosted: object_store wants the bucket in the endpoint.
    let host = if virtual_hosted { format!("{bucket}.{host}") } else { host.to_string() };
    Ok((format!("{scheme}://{host}"), virtual_hosted))
}

fn string(config: &Mapping, key: &str) -> Result<Option<String>, BucketError> {
    match config.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(Value::Number(n)) => Ok(Some(n.to_string())),
        Some(other) => Err(wrong_type(key, "a string", other)),
    }
}

fn boolean(config: &Mapping, key: &str) -> Result<Option<bool>, BucketError> {
    match config.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Bool(b)) => Ok(Some(*b)),
        Some(other) => Err(wrong_type(key, "true or false", other)),
    }
}

fn wrong_type(key: &str, expected: &'static str, got: &Value) -> BucketError {
    BucketError::WrongType { key: key.into(), expected, got: format!("{got:?}") }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thanos_objstore_yaml() {
        let c = BucketConfig::parse(
            "s",
            "type: S3\nconfig:\n  bucket: b\n  endpoint: minio:9000\n  insecure: true\n",
        )
        .unwrap();
        assert_eq!(c.kind, Kind::S3);
        assert!(BucketConfig::parse("s", "type: FILESYSTEM\nconfig:\n  directory: /x\n").is_ok());
        assert!(BucketConfig::parse("s", "type: S3\nconfig:\n  bucket: b\n")
            .unwrap_err()
            .to_string()
            .contains("config.endpoint"));
        assert!(BucketConfig::parse("s", "type: SWIFT\n").is_err());
        assert!(BucketConfig::parse("s", "type: GCS\nconfig: {bucket: b}\nextra: 1\n").is_err());
    }

    #[test]
    fn s3_endpoints_as_minio_go_addresses_them() {
        let e = |endpoint, insecure, lookup| s3_endpoint("b", endpoint, insecure, lookup);
        assert_eq!(e("minio:9000", true, "auto").unwrap(), ("http://minio:9000".into(), false));
        assert_eq!(e("minio:9000", false, "auto").unwrap(), ("https://minio:9000".into(), false));
        assert_eq!(
            e("s3.eu-west-1.amazonaws.com", false, "auto").unwrap(),
            ("https://b.s3.eu-west-1.amazonaws.com".into(), true)
        );
        assert_eq!(
            e("s3.eu-west-1.amazonaws.com", false, "path").unwrap(),
            ("https://s3.eu-west-1.amazonaws.com".into(), false)
        );
        assert_eq!(e("http://x:1", false, "virtual-hosted").unwrap(), ("http://b.x:1".into(), true));
        assert!(matches!(e("x", false, "dns"), Err(BucketError::LookupType(t)) if t == "dns"));
    }

    #[test]
    fn opens_filesystem_and_s3_and_says_what_is_missing() {
        let dir = tempfile::tempdir().unwrap();
        let yaml =
            format!("type: FILESYSTEM\nconfig:\n  directory: {}\n", dir.path().join("bucket").display());
        assert!(BucketConfig::parse("f", &yaml).unwrap().open().is_ok());
        assert!(dir.path().join("bucket").is_dir());
        let s3 = "type: S3\nconfig:\n  bucket: b\n  endpoint: 127.0.0.1:9000\n  insecure: true\n  access_key: a\n  secret_key: s\n";
        assert!(BucketConfig::parse("s", s3).unwrap().open().is_ok());
        let half = "type: S3\nconfig: {bucket: b, endpoint: x, access_key: a}\n";
        assert!(BucketConfig::parse("s", half)
            .unwrap()
            .open()
            .unwrap_err()
            .to_string()
            .contains("secret_key"));
        let gcs = BucketConfig::parse("g", "type: GCS\nconfig: {bucket: b}\n").unwrap();
        assert!(gcs.open().is_ok(), "credentials come from the environment when used");
        let bad_key =
            BucketConfig::parse("g", "type: GCS\nconfig: {bucket: b, service_account: 'not json'}\n")
                .unwrap();
        assert!(bad_key.open().unwrap_err().to_string().starts_with("GCS bucket b:"));
        let az = "type: AZURE\nconfig: {storage_account: acct, storage_account_key: a2V5, container: c, endpoint: blob.core.chinacloudapi.cn}\n";
        assert!(BucketConfig::parse("a", az).unwrap().open().is_ok());
    }
}
