use sea_orm::entity::prelude::*;

/// A message a device sent, recorded once however often it arrives.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "device_session_events")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub device_id: String,
    /// The session the message names, known or not.
    pub session_id: Option<String>,
    pub seq: i64,
    pub message_id: String,
    pub kind: crate::devices::protocol::EventKind,
    #[sea_orm(column_type = "Text")]
    pub payload: String,
    /// What handling it did (`applied`, `stale`, `rejected: …`).
    pub outcome: Option<String>,
    pub received_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
