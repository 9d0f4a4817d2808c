use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// An uploaded file: where it is stored and the copies made of it.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "files")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    /// Its name in the storage (disk folder or bucket).
    #[sea_orm(unique)]
    pub key: String,
    pub url: String,
    /// The name it was uploaded with, for people; never a path.
    pub original_name: String,
    pub content_type: String,
    pub size_bytes: i64,
    pub width: i32,
    pub height: i32,
    /// [`Rendition`]s as JSON, narrowest first.
    #[sea_orm(column_type = "Text")]
    pub renditions: String,
    pub created_at: DateTimeUtc,
}

/// A smaller copy of a picture.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rendition {
    pub width: u32,
    pub key: String,
    pub url: String,
}

impl Model {
    pub fn renditions(&self) -> Vec<Rendition> {
        serde_json::from_str(&self.renditions).unwrap_or_default()
    }

    /// Every key this file occupies in the storage.
    pub fn keys(&self) -> Vec<String> {
        let mut keys: Vec<String> = self.renditions().into_iter().map(|r| r.key).collect();
        keys.push(self.key.clone());
        keys
    }
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
