use sea_orm::entity::prelude::*;

/// A command sent to a device, and its acknowledgement.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "device_commands")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub device_id: String,
    pub session_id: Option<String>,
    pub kind: crate::devices::protocol::CommandKind,
    #[sea_orm(column_type = "Text")]
    pub payload: String,
    /// How often it was published.
    pub attempts: i32,
    pub created_at: DateTimeUtc,
    pub acked_at: Option<DateTimeUtc>,
    pub ack_ok: Option<bool>,
    pub ack_error: Option<String>,
    /// When the back end stopped waiting for the command's outcome (so far
    /// only planograms: applied, refused, superseded or never confirmed).
    pub concluded_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
