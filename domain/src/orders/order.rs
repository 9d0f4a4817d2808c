use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// An order's own status, as Medusa names it: `pending` when placed,
/// `completed` when fulfilled, `canceled`, and `archived` when put away
/// after either.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(
    rs_type = "String",
    db_type = "String(StringLen::None)",
    rename_all = "snake_case"
)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Pending,
    Completed,
    Canceled,
    Archived,
}

crate::states::display_as_word!(Status);

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "orders")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    /// One order per cart: the database itself refuses a second.
    #[sea_orm(unique)]
    pub cart_id: String,
    pub customer_id: Option<String>,
    pub email: Option<String>,
    pub currency_code: String,
    pub status: Status,
    pub payment_collection_id: Option<String>,
    pub region_id: Option<String>,
    pub sales_channel_id: Option<String>,
    pub shipping_option_id: Option<String>,
    pub shipping_method_name: Option<String>,
    /// [`crate::carts::Address`] as JSON.
    #[sea_orm(column_type = "Text")]
    pub shipping_address: Option<String>,
    #[sea_orm(column_type = "Text")]
    pub billing_address: Option<String>,
    /// The promotion codes used, comma-separated.
    #[sea_orm(column_type = "Text")]
    pub promo_codes: Option<String>,
    pub is_tax_inclusive: bool,
    /// Totals as the cart had them ([`crate::carts::totals`]), minor units.
    pub subtotal: i64,
    pub total: i64,
    pub item_subtotal: i64,
    pub item_tax_total: i64,
    pub item_total: i64,
    pub shipping_subtotal: i64,
    pub shipping_tax_total: i64,
    pub shipping_total: i64,
    pub discount_total: i64,
    pub discount_tax_total: i64,
    pub tax_total: i64,
    pub tip: i64,
    pub original_total: i64,
    pub created_at: DateTimeUtc,
    pub canceled_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

#[cfg(test)]
mod tests {
    #[test]
    fn statuses_keep_their_stored_words() {
        crate::states::assert_words::<super::Status>(&[
            "pending",
            "completed",
            "canceled",
            "archived",
        ]);
    }
}
