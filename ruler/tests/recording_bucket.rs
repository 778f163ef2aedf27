//! A bucket that records the keys written, in the order they were completed, and fails while told
//! to: for the shipper's unit tests (included with `#[path]`) and the upload integration tests.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use futures::stream::BoxStream;
use object_store::path::Path as Key;
use object_store::{
    CopyOptions, GetOptions, GetResult, ListResult, MultipartUpload, ObjectMeta, ObjectStore,
    PutMultipartOptions, PutOptions, PutPayload, PutResult,
};

#[derive(Debug)]
pub struct RecordingBucket {
    pub inner: Arc<dyn ObjectStore>,
    pub puts: Mutex<Vec<String>>,
    /// While set, every read and write fails as a bucket that is down would.
    pub failing: AtomicBool,
}

impl RecordingBucket {
    pub fn new(inner: Arc<dyn ObjectStore>) -> Self {
        RecordingBucket { inner, puts: Mutex::default(), failing: AtomicBool::new(false) }
    }

    fn check(&self) -> object_store::Result<()> {
        if self.failing.load(Ordering::SeqCst) {
            return Err(object_store::Error::Generic {
                store: "RecordingBucket",
                source: "bucket down".into(),
            });
        }
        Ok(())
    }
}

impl std::fmt::Display for RecordingBucket {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "RecordingBucket({})", self.inner)
    }
}

#[async_trait::async_trait]
impl ObjectStore for RecordingBucket {
    async fn put_opts(
        &self,
        key: &Key,
        payload: PutPayload,
        opts: PutOptions,
    ) -> object_store::Result<PutResult> {
        self.check()?;
        let r = self.inner.put_opts(key, payload, opts).await?;
        self.puts.lock().unwrap().push(key.to_string());
        Ok(r)
    }
    async fn put_multipart_opts(
        &self,
        key: &Key,
        opts: PutMultipartOptions,
    ) -> object_store::Result<Box<dyn MultipartUpload>> {
        self.check()?;
        self.puts.lock().unwrap().push(format!("{key} (multipart)"));
        self.inner.put_multipart_opts(key, opts).await
    }
    async fn get_opts(&self, key: &Key, options: GetOptions) -> object_store::Result<GetResult> {
        self.check()?;
        self.inner.get_opts(key, options).await
    }
    fn delete_stream(
        &self,
        keys: BoxStream<'static, object_store::Result<Key>>,
    ) -> BoxStream<'static, object_store::Result<Key>> {
        self.inner.delete_stream(keys)
    }
    fn list(&self, prefix: Option<&Key>) -> BoxStream<'static, object_store::Result<ObjectMeta>> {
        self.inner.list(prefix)
    }
    async fn list_with_delimiter(&self, prefix: Option<&Key>) -> object_store::Result<ListResult> {
        self.inner.list_with_delimiter(prefix).await
    }
    async fn copy_opts(&self, from: &Key, to: &Key, options: CopyOptions) -> object_store::Result<()> {
        self.inner.copy_opts(from, to, options).await
    }
}
