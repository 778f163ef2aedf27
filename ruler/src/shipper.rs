//! The shipper: uploads the data directory's blocks to object storage, as Thanos' shipper does for
//! `thanos rule`, so that Thanos Store and Compactor find them.
//!
//! ```text
//! <prefix>/<ulid>/chunks/000001…   first
//! <prefix>/<ulid>/index            then
//! <prefix>/<ulid>/meta.json        last: Thanos readers see the block once it exists
//! ```
//!
//! `tombstones` stays local, as Thanos leaves it. What has been uploaded is remembered in
//! `<data-dir>/thanos.shipper.json` (`{"version": 1, "uploaded": [ulids]}`, Thanos' file, replaced
//! atomically), and a block whose meta.json is already in the bucket is recorded without uploading it
//! again, so a lost or damaged shipper file costs no double upload. A block is shipped once it is in
//! place (the writer renames it there complete); one whose upload fails is tried again on the next
//! pass, and a half-uploaded block has no meta.json, so readers ignore it until then.

use std::collections::BTreeSet;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use object_store::buffered::BufWriter;
use object_store::path::Path as Key;
use object_store::{ObjectStore, ObjectStoreExt};
use serde::{Deserialize, Serialize};
use tokio::io::AsyncWriteExt;
use ulid::Ulid;

use crate::objstore::{BucketConfig, BucketError};
use crate::tsdb::Meta;

/// The shipper file in the data directory (Thanos' `--shipper.meta-file-name` default).
pub const SHIPPER_FILE: &str = "thanos.shipper.json";
const SHIPPER_FILE_VERSION: u32 = 1;

/// Uploads blocks from a data directory to a bucket.
#[derive(Debug)]
pub struct Shipper {
    dir: PathBuf,
    store: Arc<dyn ObjectStore>,
    /// Key prefix without slashes at either end; empty for the bucket's root.
    prefix: String,
}

/// What one [`Shipper::sync`] did.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Pass {
    /// Blocks uploaded by this pass.
    pub uploaded: Vec<Ulid>,
    /// Blocks not shipped (no Thanos section or labels, no samples, compacted, from the future).
    pub skipped: usize,
    /// What failed, one message each: a block's upload (tried again next pass), reading the data
    /// directory, or writing the shipper file.
    pub failures: Vec<String>,
}

#[derive(Debug, Serialize, Deserialize)]
struct ShipperFile {
    version: u32,
    /// Go writes `null` for none.
    #[serde(default)]
    uploaded: Option<Vec<Ulid>>,
}

/// Why a block, or the record of what was shipped, could not be read or uploaded.
#[derive(Debug, thiserror::Error)]
pub enum ShipError {
    #[error(transparent)]
    Bucket(#[from] BucketError),
    /// A local file or directory could not be read; `what` says which and how.
    #[error("{what}: {source}")]
    Io { what: String, source: std::io::Error },
    #[error(transparent)]
    Meta(#[from] crate::tsdb::Error),
    #[error("{path}: {source}")]
    ShipperFile { path: String, source: serde_json::Error },
    #[error("{path}: version {version}, expected {SHIPPER_FILE_VERSION}")]
    ShipperVersion { path: String, version: u32 },
    #[error("upload {file}: {source}")]
    Upload { file: String, source: std::io::Error },
}

fn io(what: impl std::fmt::Display, path: &Path) -> impl FnOnce(std::io::Error) -> ShipError {
    let what = format!("{what} {}", path.display());
    move |source| ShipError::Io { what, source }
}

impl Shipper {
    /// A shipper of the blocks in `data_dir` to the bucket `config` describes.
    pub fn new(data_dir: &Path, config: &BucketConfig) -> Result<Shipper, BucketError> {
        Ok(Shipper::with_store(data_dir, config.open()?, &config.prefix))
    }

    /// A shipper to `store`, under `prefix`.
    pub fn with_store(data_dir: impl Into<PathBuf>, store: Arc<dyn ObjectStore>, prefix: &str) -> Shipper {
        Shipper { dir: data_dir.into(), store, prefix: prefix.trim_matches('/').to_string() }
    }

    /// Uploads every eligible block not uploaded yet, oldest first, and records them in the
    /// shipper file. `now_ms` rules out blocks whose ULID is from the future.
    pub async fn sync(&self, now_ms: i64) -> Pass {
        let mut pass = Pass::default();
        let recorded = match read_shipper_file(&self.dir) {
            Ok(r) => r,
            Err(e) => {
                // The bucket still says what is there: nothing is uploaded twice.
                pass.failures.push(format!("{e}; checking the bucket instead"));
                BTreeSet::new()
            }
        };
        let blocks = match local_blocks(&self.dir) {
            Ok(b) => b,
            Err(e) => {
                pass.failures.push(e.to_string());
                return pass;
            }
        };
        // Only blocks still here are remembered, so the file does not grow past retention.
        let mut uploaded = BTreeSet::new();
        for (path, meta) in blocks {
            let ulid = meta.ulid;
            if recorded.contains(&ulid) {
                uploaded.insert(ulid);
                continue;
            }
            if let Some(why) = not_shippable(&meta, now_ms) {
                tracing::debug!(block = %ulid, why, "block not shipped");
                pass.skipped += 1;
                continue;
            }
            match self.store.head(&self.key(ulid, "meta.json")).await {
                Ok(_) => {
                    uploaded.insert(ulid);
                    continue;
                }
                Err(object_store::Error::NotFound { .. }) => {}
                Err(e) => {
                    pass.failures.push(format!("block {ulid}: look for it in the bucket: {e}"));
                    continue;
                }
            }
            match self.upload(&path, ulid).await {
                Ok(()) => {
                    uploaded.insert(ulid);
                    pass.uploaded.push(ulid);
                }
                Err(e) => pass.failures.push(format!("block {ulid}: {e}")),
            }
        }
        if uploaded != recorded {
            if let Err(e) = write_shipper_file(&self.dir, &uploaded) {
                pass.failures.push(format!("write {}: {e}", self.dir.join(SHIPPER_FILE).display()));
            }
        }
        pass
    }

    /// Uploads one block's files, chunks → index → meta.json.
    async fn upload(&self, dir: &Path, ulid: Ulid) -> Result<(), ShipError> {
        let chunks = dir.join("chunks");
        let mut segments: Vec<String> = std::fs::read_dir(&chunks)
            .and_then(|entries| entries.map(|e| Ok(e?.file_name().to_string_lossy().into_owned())).collect())
            .map_err(io("list", &chunks))?;
        segments.sort();
        let files = segments
            .iter()
            .map(|s| format!("chunks/{s}"))
            .chain(["index".to_string(), "meta.json".to_string()]);
        for rel in files {
            self.put_file(&dir.join(&rel), &self.key(ulid, &rel))
                .await
                .map_err(|source| ShipError::Upload { file: rel.clone(), source })?;
        }
        Ok(())
    }

    /// Streams a file into an object: one request, or a multipart upload when it is large.
    async fn put_file(&self, path: &Path, key: &Key) -> Result<(), std::io::Error> {
        let mut file = tokio::fs::File::open(path)
            .await
            .map_err(|e| std::io::Error::new(e.kind(), format!("open {}: {e}", path.display())))?;
        let mut writer = BufWriter::new(self.store.clone(), key.clone());
        let copied = async {
            tokio::io::copy(&mut file, &mut writer).await?;
            writer.shutdown().await
        }
        .await;
        if let Err(e) = copied {
            // A multipart upload left open costs storage on S3 until aborted.
            let _ = writer.abort().await;
            return Err(e);
        }
        Ok(())
    }

    fn key(&self, ulid: Ulid, rel: &str) -> Key {
        if self.prefix.is_empty() {
            Key::from(format!("{ulid}/{rel}"))
        } else {
            Key::from(format!("{}/{ulid}/{rel}", self.prefix))
        }
    }
}

/// Why a block is not shipped, if it is not: Thanos' shipper rules (it refuses blocks without
/// external labels, skips empty ones and, by default, compacted ones), and no blocks from the future.
fn not_shippable(meta: &Meta, now_ms: i64) -> Option<&'static str> {
    match &meta.thanos {
        None => Some("meta.json has no thanos section"),
        Some(t) if t.labels.is_empty() => Some("no external labels (--label): Thanos refuses such blocks"),
        Some(_) if meta.stats.num_samples == 0 => Some("no samples"),
        Some(_) if meta.compaction.level > 1 => Some("compacted"),
        Some(_) if meta.ulid.timestamp_ms() as i64 > now_ms => Some("ULID from the future"),
        Some(_) => None,
    }
}

/// The block directories of `dir` (named by ULID) with their meta, oldest first.
fn local_blocks(dir: &Path) -> Result<Vec<(PathBuf, Meta)>, ShipError> {
    let mut out = Vec::new();
    let entries = std::fs::read_dir(dir).map_err(io("list", dir))?;
    for entry in entries {
        let path = entry.map_err(io("list", dir))?.path();
        let name = path.file_name().unwrap_or_default().to_string_lossy().into_owned();
        if Ulid::from_string(&name).is_err() || !path.is_dir() {
            continue;
        }
        let meta_path = path.join("meta.json");
        match std::fs::read(&meta_path) {
            Ok(bytes) => out.push((path, Meta::parse(&bytes, &meta_path)?)),
            // Deleted by retention meanwhile.
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(io("read", &meta_path)(e)),
        }
    }
    out.sort_by_key(|(_, m)| (m.min_time, m.ulid));
    Ok(out)
}

/// The blocks `<dir>/thanos.shipper.json` lists; none if there is no such file.
pub fn read_shipper_file(dir: &Path) -> Result<BTreeSet<Ulid>, ShipError> {
    let path = dir.join(SHIPPER_FILE);
    let bytes = match std::fs::read(&path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(BTreeSet::new()),
        Err(e) => return Err(io("read", &path)(e)),
    };
    let file: ShipperFile = serde_json::from_slice(&bytes)
        .map_err(|source| ShipError::ShipperFile { path: path.display().to_string(), source })?;
    if file.version != SHIPPER_FILE_VERSION {
        return Err(ShipError::ShipperVersion { path: path.display().to_string(), version: file.version });
    }
    Ok(file.uploaded.unwrap_or_default().into_iter().collect())
}

/// Replaces the shipper file: written beside it, synced, renamed over it, directory synced.
fn write_shipper_file(dir: &Path, uploaded: &BTreeSet<Ulid>) -> std::io::Result<()> {
    let file =
        ShipperFile { version: SHIPPER_FILE_VERSION, uploaded: Some(uploaded.iter().copied().collect()) };
    // Tab-indented, as Thanos writes it.
    let mut bytes = Vec::new();
    let mut ser = serde_json::Serializer::with_formatter(
        &mut bytes,
        serde_json::ser::PrettyFormatter::with_indent(b"\t"),
    );
    file.serialize(&mut ser).map_err(std::io::Error::other)?;
    bytes.push(b'\n');
    let tmp = dir.join(format!("{SHIPPER_FILE}.tmp"));
    let mut f = std::fs::File::create(&tmp)?;
    f.write_all(&bytes)?;
    f.sync_all()?;
    std::fs::rename(&tmp, dir.join(SHIPPER_FILE))?;
    std::fs::File::open(dir)?.sync_all()
}

// Shared with the upload integration tests.
#[cfg(test)]
#[path = "../tests/recording_bucket.rs"]
mod recording_bucket;

#[cfg(test)]
mod tests {
    use super::recording_bucket::RecordingBucket;
    use std::sync::atomic::Ordering;

    use futures::TryStreamExt;
    use object_store::memory::InMemory;
    use object_store::ObjectMeta;

    use super::*;
    use crate::tsdb::BlockWriter;

    const H: i64 = 3_600_000;

    fn block(dir: &Path, window: i64, labels: &[(&str, &str)]) -> Ulid {
        let labels = labels.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        let mut w = BlockWriter::new(dir, window * 2 * H, (window + 1) * 2 * H, labels).unwrap();
        w.add_series(&[("__name__".to_string(), "up".to_string())].into(), &[(window * 2 * H, 1.0)]).unwrap();
        w.finish().unwrap()
    }

    fn now() -> i64 {
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_millis() as i64
    }

    #[test]
    fn shipper_file_round_trips_in_thanos_format() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(read_shipper_file(dir.path()).unwrap(), BTreeSet::new(), "no file: nothing uploaded");
        let ulids: BTreeSet<Ulid> = [Ulid::new(), Ulid::new()].into();
        write_shipper_file(dir.path(), &ulids).unwrap();
        assert_eq!(read_shipper_file(dir.path()).unwrap(), ulids.clone());
        let text = std::fs::read_to_string(dir.path().join(SHIPPER_FILE)).unwrap();
        assert!(text.starts_with("{\n\t\"version\": 1,\n\t\"uploaded\": [\n\t\t\""), "{text}");
        assert!(!dir.path().join(format!("{SHIPPER_FILE}.tmp")).exists());
        // As Go writes an empty list.
        std::fs::write(dir.path().join(SHIPPER_FILE), r#"{"version":1,"uploaded":null}"#).unwrap();
        assert_eq!(read_shipper_file(dir.path()).unwrap(), BTreeSet::new());
        std::fs::write(dir.path().join(SHIPPER_FILE), r#"{"version":2,"uploaded":[]}"#).unwrap();
        assert!(read_shipper_file(dir.path()).unwrap_err().to_string().contains("version 2"));
    }

    #[tokio::test]
    async fn uploads_chunks_then_index_then_meta_under_the_prefix_and_not_twice() {
        let data = tempfile::tempdir().unwrap();
        let labels = [("replica", "a")];
        let a = block(data.path(), 1, &labels);
        let b = block(data.path(), 0, &labels);
        let store = Arc::new(RecordingBucket::new(Arc::new(InMemory::new())));
        let shipper = Shipper::with_store(data.path(), store.clone(), "/tenant/x/");
        let pass = shipper.sync(now()).await;
        assert_eq!(pass, Pass { uploaded: vec![b, a], skipped: 0, failures: vec![] }, "oldest window first");
        let want: Vec<String> = [b, a]
            .iter()
            .flat_map(|u| ["chunks/000001", "index", "meta.json"].map(|f| format!("tenant/x/{u}/{f}")))
            .collect();
        assert_eq!(*store.puts.lock().unwrap(), want, "no tombstones, meta.json last");
        let stored =
            store.inner.get(&Key::from(format!("tenant/x/{a}/index"))).await.unwrap().bytes().await.unwrap();
        assert_eq!(stored, std::fs::read(data.path().join(a.to_string()).join("index")).unwrap());
        assert_eq!(read_shipper_file(data.path()).unwrap(), [a, b].into());

        // Again, and after a restart: nothing new.
        assert_eq!(shipper.sync(now()).await, Pass::default());
        let restarted = Shipper::with_store(data.path(), store.clone(), "tenant/x");
        assert_eq!(restarted.sync(now()).await, Pass::default());
        assert_eq!(store.puts.lock().unwrap().len(), 6);

        // A lost shipper file: the bucket says what is there.
        std::fs::remove_file(data.path().join(SHIPPER_FILE)).unwrap();
        assert_eq!(restarted.sync(now()).await, Pass::default());
        assert_eq!(store.puts.lock().unwrap().len(), 6);
        assert_eq!(read_shipper_file(data.path()).unwrap(), [a, b].into());

        // A block deleted by retention is forgotten.
        std::fs::remove_dir_all(data.path().join(a.to_string())).unwrap();
        restarted.sync(now()).await;
        assert_eq!(read_shipper_file(data.path()).unwrap(), [b].into());
        let listed: Vec<ObjectMeta> = store.list(None).try_collect().await.unwrap();
        assert_eq!(listed.len(), 6, "the bucket keeps it");
    }

    #[tokio::test]
    async fn a_failed_upload_is_retried_on_the_next_pass() {
        let data = tempfile::tempdir().unwrap();
        let u = block(data.path(), 0, &[("replica", "a")]);
        let store = Arc::new(RecordingBucket::new(Arc::new(InMemory::new())));
        let shipper = Shipper::with_store(data.path(), store.clone(), "");
        store.failing.store(true, Ordering::SeqCst);
        let pass = shipper.sync(now()).await;
        assert!(pass.uploaded.is_empty());
        assert_eq!(pass.failures.len(), 1, "{pass:?}");
        assert!(
            pass.failures[0].contains(&u.to_string()) && pass.failures[0].contains("bucket down"),
            "{pass:?}"
        );
        assert!(!data.path().join(SHIPPER_FILE).exists());
        store.failing.store(false, Ordering::SeqCst);
        assert_eq!(shipper.sync(now()).await.uploaded, vec![u]);
        assert_eq!(shipper.sync(now()).await, Pass::default());
    }

    #[tokio::test]
    async fn skips_blocks_thanos_would_not_ship() {
        let data = tempfile::tempdir().unwrap();
        block(data.path(), 0, &[]);
        let future = block(data.path(), 1, &[("replica", "a")]);
        let store = Arc::new(RecordingBucket::new(Arc::new(InMemory::new())));
        let shipper = Shipper::with_store(data.path(), store.clone(), "");
        let before = future.timestamp_ms() as i64 - 1;
        assert_eq!(shipper.sync(before).await, Pass { uploaded: vec![], skipped: 2, failures: vec![] });
        assert!(store.puts.lock().unwrap().is_empty());
        assert_eq!(shipper.sync(now()).await.uploaded, vec![future]);
    }
}
