use sea_orm::entity::prelude::*;

/// Something about a device, or an order, an admin should know; open until
/// resolved.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "alerts")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub kind: super::Kind,
    /// The device it is about; `None` for an alert about an order.
    pub device_id: Option<String>,
    /// The order it is about (a disputed online payment).
    pub order_id: Option<String>,
    #[sea_orm(column_type = "Text")]
    pub message: String,
    pub raised_at: DateTimeUtc,
    /// When the condition ended (the device came back, the door closed…).
    pub resolved_at: Option<DateTimeUtc>,
    pub acknowledged_at: Option<DateTimeUtc>,
    /// The admin user who acknowledged it.
    pub acknowledged_by: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

impl Model {
    /// What it is about, as an admin reads it: `device vm-1`, `order order_…`.
    pub fn about(&self) -> String {
        super::about(self.device_id.as_deref(), self.order_id.as_deref())
    }
}
