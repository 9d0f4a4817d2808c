use sea_orm::entity::prelude::*;

/// One message the store sent (or tried to): to whom, what, and how it went.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "notifications")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub channel: super::Channel,
    /// Email addresses, `, `-separated; `Slack` for the alert webhook.
    #[sea_orm(column_type = "Text")]
    pub recipient: String,
    /// Which message it is: `order_confirmation`, `password_reset`, `alert`…
    pub template: String,
    /// The event that caused it, e.g. `order.placed`.
    pub trigger_type: String,
    #[sea_orm(column_type = "Text")]
    pub subject: String,
    /// As sent, or with its one-time links cut out when not resendable.
    #[sea_orm(column_type = "Text")]
    pub body_text: String,
    #[sea_orm(column_type = "Text", nullable)]
    pub body_html: Option<String>,
    /// False when it held a one-time secret (a reset or invite link): kept
    /// without it, so it cannot be sent again.
    pub resendable: bool,
    pub resource_type: Option<String>,
    pub resource_id: Option<String>,
    /// What carried it: `smtp`, `log` (no mail server configured), `slack`.
    pub provider_id: String,
    pub status: super::Status,
    pub attempts: i32,
    #[sea_orm(column_type = "Text", nullable)]
    pub last_error: Option<String>,
    /// The outbox delivery that caused it, so retries update this row.
    #[sea_orm(unique)]
    pub idempotency_key: Option<String>,
    /// Set on a resend: the message first sent.
    pub original_notification_id: Option<String>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub sent_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

impl Model {
    /// The addresses it went to, one by one.
    pub fn recipients(&self) -> Vec<String> {
        self.recipient
            .split(", ")
            .filter(|r| !r.is_empty())
            .map(str::to_owned)
            .collect()
    }
}
