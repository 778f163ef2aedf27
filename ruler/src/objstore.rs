//! `--objstore.config` / `--objstore.config-file`: the Thanos object-storage YAML
//! (`type: FILESYSTEM | S3 | GCS | AZURE`, `config: …`, optional `prefix`). Checked at start so a
//! broken Secret fails the rollout; uploading blocks arrives with the ruler's storage.

use serde::Deserialize;

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
    pub fn parse(what: &str, yaml: &str) -> Result<BucketConfig, String> {
        let c: BucketConfig = serde_yaml_ng::from_str(yaml).map_err(|e| format!("{what}: {e}"))?;
        let needs: &[&str] = match c.kind {
            Kind::Filesystem => &["directory"],
            Kind::S3 => &["bucket", "endpoint"],
            Kind::Gcs => &["bucket"],
            Kind::Azure => &["storage_account", "container"],
        };
        for key in needs {
            if !c.config.contains_key(*key) {
                return Err(format!("{what}: {:?} needs config.{key}", c.kind));
            }
        }
        Ok(c)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thanos_objstore_yaml() {
        let c = BucketConfig::parse("s", "type: S3\nconfig:\n  bucket: b\n  endpoint: minio:9000\n  insecure: true\n").unwrap();
        assert_eq!(c.kind, Kind::S3);
        assert!(BucketConfig::parse("s", "type: FILESYSTEM\nconfig:\n  directory: /x\n").is_ok());
        assert!(BucketConfig::parse("s", "type: S3\nconfig:\n  bucket: b\n").unwrap_err().contains("config.endpoint"));
        assert!(BucketConfig::parse("s", "type: SWIFT\n").is_err());
        assert!(BucketConfig::parse("s", "type: GCS\nconfig: {bucket: b}\nextra: 1\n").is_err());
    }
}
