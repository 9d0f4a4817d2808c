//! Uploaded files (product pictures): checked, scaled down for phones,
//! stored behind [`FileStorage`] (a folder on disk, or a bucket) and
//! recorded, so a failed step leaves nothing behind.

pub mod file;
pub mod pictures;

use std::collections::HashMap;

use async_trait::async_trait;
use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, Set,
    TransactionSession,
};

pub use file::Rendition;
pub use pictures::{Picture, RENDITION_WIDTHS};

use crate::{DomainError, catalog, ids::new_id};

/// Where file contents live. Keys are flat names made here (letters,
/// digits, dashes, one dot); each is written once and never changed, so
/// whatever serves them may let browsers cache them for good.
#[async_trait]
pub trait FileStorage: Send + Sync {
    async fn put(&self, key: &str, bytes: Vec<u8>, content_type: &str) -> Result<(), StorageError>;
    /// Removes a key; one that is not there is no error.
    async fn delete(&self, key: &str) -> Result<(), StorageError>;
    /// Where browsers fetch a key.
    fn url(&self, key: &str) -> String;
}

#[derive(Debug, thiserror::Error)]
#[error("file storage: {0}")]
pub struct StorageError(pub String);

impl From<StorageError> for DomainError {
    fn from(e: StorageError) -> Self {
        tracing::warn!(error = %e, "file storage failed");
        DomainError::Busy("the file storage did not answer; try again in a moment".into())
    }
}

/// Checks, scales and stores an uploaded picture, then records it. If a
/// step fails, what was already stored is removed again.
pub async fn upload(
    db: &impl crate::db::Writable,
    storage: &dyn FileStorage,
    name: &str,
    bytes: Vec<u8>,
) -> Result<file::Model, DomainError> {
    let picture = tokio::task::spawn_blocking(move || Picture::prepare(bytes))
        .await
        .map_err(|e| DomainError::Invalid(format!("the picture could not be read: {e}")))??;
    let id = new_id("file");
    let stem = format!("{}-{}", id.to_ascii_lowercase(), pictures::name_slug(name));
    let mut stored = Vec::new();
    let result = store_and_record(db, storage, &id, &stem, name, picture, &mut stored).await;
    if result.is_err() {
        for key in stored {
            if let Err(e) = storage.delete(&key).await {
                tracing::warn!(%key, error = %e, "a stored copy of a failed upload was left behind");
            }
        }
    }
    result
}

async fn store_and_record(
    db: &impl crate::db::Writable,
    storage: &dyn FileStorage,
    id: &str,
    stem: &str,
    name: &str,
    picture: Picture,
    stored: &mut Vec<String>,
) -> Result<file::Model, DomainError> {
    let mut renditions = Vec::new();
    for copy in picture.renditions {
        let key = format!("{stem}-w{}.{}", copy.width, copy.kind.extension());
        storage
            .put(&key, copy.bytes, copy.kind.content_type())
            .await?;
        stored.push(key.clone());
        renditions.push(Rendition {
            width: copy.width,
            url: storage.url(&key),
            key,
        });
    }
    let key = format!("{stem}.{}", picture.kind.extension());
    let size_bytes = picture.original.len() as i64;
    storage
        .put(&key, picture.original, picture.kind.content_type())
        .await?;
    stored.push(key.clone());
    let original_name: String = name
        .rsplit(['/', '\\'])
        .next()
        .unwrap_or_default()
        .chars()
        .filter(|c| !c.is_control())
        .take(200)
        .collect();
    let txn = crate::db::begin_write(db).await?;
    let model = file::ActiveModel {
        id: Set(id.to_owned()),
        url: Set(storage.url(&key)),
        key: Set(key),
        original_name: Set(original_name),
        content_type: Set(picture.kind.content_type().to_owned()),
        size_bytes: Set(size_bytes),
        width: Set(picture.width as i32),
        height: Set(picture.height as i32),
        renditions: Set(serde_json::to_string(&renditions).expect("renditions serialize")),
        created_at: Set(Utc::now()),
    }
    .insert(&txn)
    .await?;
    txn.commit().await?;
    Ok(model)
}

pub async fn find(
    db: &impl sea_orm::ConnectionTrait,
    id: &str,
) -> Result<file::Model, DomainError> {
    file::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| DomainError::not_found("file", id))
}

/// Deletes a file that no product shows; its stored copies go after the
/// record, so a storage hiccup leaves an unlisted object, never a record
/// pointing at nothing.
pub async fn delete(
    db: &impl crate::db::Writable,
    storage: &dyn FileStorage,
    id: &str,
) -> Result<(), DomainError> {
    let txn = crate::db::begin_write(db).await?;
    let file = find(&txn, id).await?;
    let shown = catalog::image::Entity::find()
        .filter(catalog::image::Column::Url.eq(&file.url))
        .count(&txn)
        .await?
        + catalog::product::Entity::find()
            .filter(catalog::product::Column::Thumbnail.eq(&file.url))
            .count(&txn)
            .await?;
    if shown > 0 {
        return Err(DomainError::Conflict(
            "a product still shows this picture; remove it from the product first".into(),
        ));
    }
    file::Entity::delete_by_id(id).exec(&txn).await?;
    txn.commit().await?;
    for key in file.keys() {
        if let Err(e) = storage.delete(&key).await {
            tracing::warn!(%key, error = %e, "a deleted file's stored copy was left behind");
        }
    }
    Ok(())
}

/// A `srcset` for each of these URLs that is a picture uploaded here: its
/// copies and itself, each with its width.
pub async fn srcsets_of(
    db: &impl sea_orm::ConnectionTrait,
    urls: &[String],
) -> Result<HashMap<String, String>, DomainError> {
    if urls.is_empty() {
        return Ok(HashMap::new());
    }
    let files = file::Entity::find()
        .filter(file::Column::Url.is_in(urls.iter().map(String::as_str)))
        .all(db)
        .await?;
    Ok(files
        .into_iter()
        .map(|f| {
            let srcset = srcset(&f);
            (f.url, srcset)
        })
        .collect())
}

/// `url 240w, url 480w, …`, the original last.
pub fn srcset(file: &file::Model) -> String {
    file.renditions()
        .into_iter()
        .map(|r| (r.url, r.width))
        .chain([(file.url.clone(), file.width.max(0) as u32)])
        .map(|(url, width)| format!("{url} {width}w"))
        .collect::<Vec<_>>()
        .join(", ")
}
