use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "devices")]
pub struct Model {
    /// The id the machine uses in its MQTT topics, e.g. `vm-001`.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub name: String,
    pub online: bool,
    pub last_seen_at: Option<DateTimeUtc>,
    pub firmware: Option<String>,
    pub created_at: DateTimeUtc,
    /// The sales channel the machine sells through (see `channels::assign_device`).
    pub sales_channel_id: Option<String>,
    /// The hub (site) the machine belongs to, if any.
    pub hub_id: Option<String>,
    /// The planogram version the machine confirmed applying (`sync_applied`).
    pub planogram_version: Option<i64>,
    /// The argon2id hash of the password the machine signs in to the MQTT
    /// broker with (its username is its id); `None` until credentials are issued.
    pub mqtt_password_hash: Option<String>,
    /// The scales' weights of the latest unasked scale report (JSON, as the
    /// protocol's `scales`), its sequence number and when it arrived; reports
    /// within a session go to the session's event log instead.
    pub scale_weights: Option<String>,
    pub scale_weights_seq: Option<i64>,
    pub scale_weights_at: Option<DateTimeUtc>,
    /// Where the machine stands, as a person finds it.
    pub address: Option<String>,
    /// Its geo position in millionths of a degree (see `vending::fleet::GeoPosition`).
    pub latitude_microdeg: Option<i32>,
    pub longitude_microdeg: Option<i32>,
    /// When it was taken out of service: it keeps its history but opens no more.
    pub decommissioned_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
