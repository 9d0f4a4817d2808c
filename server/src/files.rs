//! Where uploaded files live: a folder served at [`PUBLIC_PATH`], or an
//! S3-compatible bucket, both through `object_store`.

use std::sync::Arc;

use async_trait::async_trait;
use domain::files::{FileStorage, StorageError};
use object_store::{
    Attribute, Attributes, ObjectStore, PutOptions, PutPayload, aws::AmazonS3Builder,
    local::LocalFileSystem, path::Path,
};

use crate::config::FileSettings;

/// Where the folder's files are served.
pub const PUBLIC_PATH: &str = "/uploads";

/// Keys are written once and never change (each holds a new id), so
/// browsers and CDNs may keep them for a year.
pub const CACHE_FOREVER: &str = "public, max-age=31536000, immutable";

pub struct ObjectFiles {
    store: Arc<dyn ObjectStore>,
    /// Where browsers fetch a key, without the trailing slash.
    public_base: String,
    /// Whether the store keeps a content type and cache policy per object
    /// (a bucket does; the folder's server derives them instead).
    keeps_headers: bool,
}

impl ObjectFiles {
    /// The bucket when one is named, else the folder (created if missing).
    /// `site_url` is this server's public address, when known: the folder's
    /// URLs are absolute with it and site-relative without.
    pub fn open(settings: &FileSettings, site_url: Option<&str>) -> anyhow::Result<Self> {
        let Some(bucket) = &settings.s3_bucket else {
            std::fs::create_dir_all(&settings.files_dir)?;
            let folder = LocalFileSystem::new_with_prefix(&settings.files_dir)?;
            return Ok(Self {
                store: Arc::new(folder),
                public_base: format!(
                    "{}{PUBLIC_PATH}",
                    site_url.unwrap_or_default().trim_end_matches('/')
                ),
                keeps_headers: false,
            });
        };
        let region = &settings.s3_region;
        let mut builder = AmazonS3Builder::new()
            .with_bucket_name(bucket)
            .with_region(region)
            .with_virtual_hosted_style_request(!settings.s3_path_style);
        if let Some(endpoint) = &settings.s3_endpoint {
            builder = builder
                .with_endpoint(endpoint)
                .with_allow_http(endpoint.starts_with("http://"));
        }
        if let Some(key_id) = &settings.s3_access_key_id {
            builder = builder.with_access_key_id(key_id);
        }
        if let Some(secret) = &settings.s3_secret_access_key {
            builder = builder.with_secret_access_key(secret);
        }
        // As object_store addresses the bucket, unless a CDN is named.
        let bucket_address = match (&settings.s3_endpoint, settings.s3_path_style) {
            (Some(endpoint), false) => endpoint.trim_end_matches('/').to_owned(),
            (Some(endpoint), true) => format!("{}/{bucket}", endpoint.trim_end_matches('/')),
            (None, false) => format!("https://{bucket}.s3.{region}.amazonaws.com"),
            (None, true) => format!("https://s3.{region}.amazonaws.com/{bucket}"),
        };
        Ok(Self {
            store: Arc::new(builder.build()?),
            public_base: settings
                .s3_public_url
                .as_deref()
                .map_or(bucket_address, |url| url.trim_end_matches('/').to_owned()),
            keeps_headers: true,
        })
    }
}

#[async_trait]
impl FileStorage for ObjectFiles {
    async fn put(&self, key: &str, bytes: Vec<u8>, content_type: &str) -> Result<(), StorageError> {
        let mut attributes = Attributes::new();
        if self.keeps_headers {
            attributes.insert(Attribute::ContentType, content_type.to_owned().into());
            attributes.insert(Attribute::CacheControl, CACHE_FOREVER.into());
        }
        let options = PutOptions {
            attributes,
            ..Default::default()
        };
        self.store
            .put_opts(&Path::from(key), PutPayload::from(bytes), options)
            .await
            .map(drop)
            .map_err(|e| StorageError(e.to_string()))
    }

    async fn delete(&self, key: &str) -> Result<(), StorageError> {
        match self.store.delete(&Path::from(key)).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(StorageError(e.to_string())),
        }
    }

    fn url(&self, key: &str) -> String {
        format!("{}/{key}", self.public_base)
    }
}
