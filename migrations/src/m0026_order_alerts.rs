//! Alerts about an order (a dispute of an online payment) besides those
//! about a device: `device_id` becomes optional and `order_id` is added,
//! with at most one open alert per order and kind, as per device.

use sea_orm_migration::{prelude::*, schema::*, sea_orm::DbBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let db = m.get_connection();
        if m.get_database_backend() == DbBackend::Sqlite {
            // SQLite cannot drop a NOT NULL: the table is built again, in one
            // batch on one connection (statement by statement, the pool's
            // other connections were seen to miss the dropped index).
            let create = alerts_table(AlertsNext::Table).to_string(SqliteQueryBuilder);
            db.execute_unprepared(&format!(
                "{create};
                 INSERT INTO alerts_next (id, kind, device_id, order_id, message, raised_at,
                   resolved_at, acknowledged_at, acknowledged_by)
                 SELECT id, kind, device_id, NULL, message, raised_at, resolved_at,
                   acknowledged_at, acknowledged_by FROM alerts;
                 DROP TABLE alerts;
                 ALTER TABLE alerts_next RENAME TO alerts;
                 CREATE UNIQUE INDEX idx_alerts_open ON alerts (device_id, kind)
                   WHERE resolved_at IS NULL;
                 CREATE INDEX idx_alerts_raised_at ON alerts (raised_at);"
            ))
            .await?;
        } else {
            db.execute_unprepared("ALTER TABLE alerts ALTER COLUMN device_id DROP NOT NULL")
                .await?;
            m.alter_table(
                Table::alter()
                    .table(Alerts::Table)
                    .add_column(string_null(Alerts::OrderId))
                    .add_foreign_key(
                        TableForeignKey::new()
                            .name("fk_alerts_order_id")
                            .from_tbl(Alerts::Table)
                            .from_col(Alerts::OrderId)
                            .to_tbl(Orders::Table)
                            .to_col(Orders::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        }
        // Partial, as the devices' one.
        db.execute_unprepared(
            "CREATE UNIQUE INDEX idx_alerts_order_open ON alerts (order_id, kind) \
             WHERE resolved_at IS NULL",
        )
        .await?;
        Ok(())
    }
}

/// The alerts table as it is now, under `name`.
fn alerts_table(name: impl IntoIden) -> TableCreateStatement {
    let name = name.into_iden();
    Table::create()
        .table(name.clone())
        .col(string(Alerts::Id).primary_key())
        .col(string(Alerts::Kind))
        .col(string_null(Alerts::DeviceId))
        .col(string_null(Alerts::OrderId))
        .col(text(Alerts::Message))
        .col(timestamp_with_time_zone(Alerts::RaisedAt))
        .col(timestamp_with_time_zone_null(Alerts::ResolvedAt))
        .col(timestamp_with_time_zone_null(Alerts::AcknowledgedAt))
        .col(string_null(Alerts::AcknowledgedBy))
        .foreign_key(
            ForeignKey::create()
                .from(name.clone(), Alerts::DeviceId)
                .to(Devices::Table, Devices::Id)
                .on_delete(ForeignKeyAction::Cascade),
        )
        .foreign_key(
            ForeignKey::create()
                .from(name, Alerts::OrderId)
                .to(Orders::Table, Orders::Id)
                .on_delete(ForeignKeyAction::Cascade),
        )
        .to_owned()
}

#[derive(DeriveIden)]
enum Alerts {
    Table,
    Id,
    Kind,
    DeviceId,
    OrderId,
    Message,
    RaisedAt,
    ResolvedAt,
    AcknowledgedAt,
    AcknowledgedBy,
}

#[derive(DeriveIden)]
enum AlertsNext {
    Table,
}

#[derive(DeriveIden)]
enum Devices {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Orders {
    Table,
    Id,
}
