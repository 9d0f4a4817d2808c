//! Password resets get an id, and their token is issued when the mail is
//! sent: the `auth.password_reset` outbox event carries that id instead of
//! the token, so no event row (nor a log of one) can reset a password.
//!
//! Resets already requested keep working: each keeps its token's hash, and
//! that hash becomes its id. Their events are rewritten to name that id, so
//! one not yet mailed is mailed (with a new token) and one already mailed no
//! longer holds its token.

use sea_orm_migration::{prelude::*, schema::*, sea_orm::ConnectionTrait};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    /// All or nothing on SQLite too: the table is rebuilt (copied, dropped,
    /// renamed), which must not stop half way, and on one connection.
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(NewPasswordResets::Table)
                .col(string(PasswordResets::Id).primary_key())
                .col(string(PasswordResets::AuthIdentityId))
                .col(string_null(PasswordResets::TokenHash))
                .col(timestamp_with_time_zone(PasswordResets::ExpiresAt))
                .col(timestamp_with_time_zone_null(PasswordResets::UsedAt))
                .col(timestamp_with_time_zone(PasswordResets::CreatedAt))
                .foreign_key(
                    ForeignKey::create()
                        .from(NewPasswordResets::Table, PasswordResets::AuthIdentityId)
                        .to(AuthIdentities::Table, AuthIdentities::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        // The token's hash is the id of a reset requested before.
        let kept = || {
            [
                PasswordResets::TokenHash,
                PasswordResets::AuthIdentityId,
                PasswordResets::ExpiresAt,
                PasswordResets::UsedAt,
                PasswordResets::CreatedAt,
            ]
        };
        m.get_connection()
            .execute(
                Query::insert()
                    .into_table(NewPasswordResets::Table)
                    .columns(std::iter::once(PasswordResets::Id).chain(kept()))
                    .select_from(
                        Query::select()
                            .column(PasswordResets::TokenHash)
                            .columns(kept())
                            .from(PasswordResets::Table)
                            .to_owned(),
                    )
                    .map_err(|e| DbErr::Migration(e.to_string()))?,
            )
            .await?;
        m.drop_table(Table::drop().table(PasswordResets::Table).to_owned())
            .await?;
        m.rename_table(
            Table::rename()
                .table(NewPasswordResets::Table, PasswordResets::Table)
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_password_resets_token_hash")
                .table(PasswordResets::Table)
                .col(PasswordResets::TokenHash)
                .unique()
                .to_owned(),
        )
        .await?;
        rewrite_reset_events(m.get_connection()).await
    }
}

/// Replaces the token in each `auth.password_reset` event by its reset's
/// id, the token's hash.
async fn rewrite_reset_events(db: &impl ConnectionTrait) -> Result<(), DbErr> {
    let events = db
        .query_all(
            Query::select()
                .columns([OutboxEvents::Id, OutboxEvents::Payload])
                .from(OutboxEvents::Table)
                .and_where(Expr::col(OutboxEvents::Name).eq("auth.password_reset")),
        )
        .await?;
    for event in events {
        let id: String = event.try_get("", "id")?;
        let payload: String = event.try_get("", "payload")?;
        let token = serde_json::from_str::<serde_json::Value>(&payload)
            .ok()
            .and_then(|payload| payload["token"].as_str().map(str::to_owned));
        let Some(token) = token else { continue };
        let rewritten = serde_json::json!({ "id": sha256_hex(&token) }).to_string();
        db.execute(
            Query::update()
                .table(OutboxEvents::Table)
                .value(OutboxEvents::Payload, rewritten)
                .and_where(Expr::col(OutboxEvents::Id).eq(id)),
        )
        .await?;
    }
    Ok(())
}

fn sha256_hex(token: &str) -> String {
    ring::digest::digest(&ring::digest::SHA256, token.as_bytes())
        .as_ref()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[derive(DeriveIden)]
enum PasswordResets {
    Table,
    Id,
    TokenHash,
    AuthIdentityId,
    ExpiresAt,
    UsedAt,
    CreatedAt,
}

#[derive(DeriveIden)]
enum NewPasswordResets {
    #[sea_orm(iden = "password_resets_by_id")]
    Table,
}

#[derive(DeriveIden)]
enum AuthIdentities {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum OutboxEvents {
    Table,
    Id,
    Name,
    Payload,
}
