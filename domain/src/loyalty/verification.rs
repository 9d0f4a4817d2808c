//! Proof of a phone before its points are spent. A phone number alone lets a
//! shopper see that a member exists (masked) and earn points; redeeming a
//! reward that costs points, seeing the balance, and linking the membership
//! to an account need a one-time code sent by SMS to that phone (or, for a
//! signed-in customer, a link proved that way before).
//!
//! Codes are 6 digits, live [`CODE_LIFETIME`], work once, and burn after
//! [`MAX_ATTEMPTS`] checks; only their tag (HMAC under the loyalty key) is
//! stored. A phone gets at most one code per [`RESEND_AFTER`] and
//! [`MAX_CODES_PER_HOUR`] an hour, which also keeps the store from being
//! used to flood someone's phone.

use async_trait::async_trait;
use chrono::{DateTime, Duration, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait,
    IntoActiveModel, QueryFilter, QueryOrder, Set, TransactionSession, sea_query::Expr,
};

use super::{
    DEFAULT_STORE_ID, Loyalty, LoyaltyError, SessionDetail, active_session, customer, detail, host,
    link_customer, parse_phone, phone_code, session,
};
use crate::{DomainError, ids::new_id};

/// How long a code works.
pub const CODE_LIFETIME: Duration = Duration::minutes(10);
/// Checks a code takes, right or wrong; then it is burned.
pub const MAX_ATTEMPTS: i32 = 5;
/// The shortest time between two codes to one phone.
pub const RESEND_AFTER: Duration = Duration::seconds(60);
/// Codes one phone gets in an hour.
pub const MAX_CODES_PER_HOUR: usize = 5;
const CODE_DIGITS: usize = 6;

/// Sends text messages (the server's provider adapter; tests record them).
#[async_trait]
pub trait SmsSender: Send + Sync {
    /// Sends `body` to `to` (E.164, `+` and digits, when the shopper typed a `+`).
    async fn send(&self, to: &str, body: &str) -> Result<(), SmsError>;
}

#[derive(Debug, Clone, thiserror::Error)]
#[error("the SMS could not be sent: {0}")]
pub struct SmsError(pub String);

/// What a code proves the phone for.
#[derive(Debug, Clone, Copy)]
enum Subject<'a> {
    /// The cart's loyalty session may redeem points.
    Cart(&'a str),
    /// The customer's account may be linked to the membership.
    Customer(&'a str),
}

impl Subject<'_> {
    fn filter<Q: QueryFilter>(self, query: Q) -> Q {
        match self {
            Self::Cart(id) => query.filter(phone_code::Column::CartId.eq(id)),
            Self::Customer(id) => query.filter(phone_code::Column::CustomerId.eq(id)),
        }
    }
}

/// A code's state, read from its columns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CodeState {
    Open,
    Used,
    /// Checked [`MAX_ATTEMPTS`] times.
    Burned,
    Expired,
}

impl CodeState {
    pub fn of(code: &phone_code::Model, now: DateTime<Utc>) -> Self {
        if code.used_at.is_some() {
            Self::Used
        } else if code.attempts >= MAX_ATTEMPTS {
            Self::Burned
        } else if code.expires_at <= now {
            Self::Expired
        } else {
            Self::Open
        }
    }
}

/// A code that was sent and can still be entered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CodeSent {
    /// The last two digits of the phone it went to.
    pub phone_ending: String,
    pub expires_at: DateTime<Utc>,
}

/// The digits of a phone: the same phone however it is written.
pub(super) fn phone_key(phone: &str) -> String {
    phone.chars().filter(char::is_ascii_digit).collect()
}

pub(super) fn same_phone(a: &str, b: &str) -> bool {
    phone_key(a) == phone_key(b)
}

/// Where an SMS goes: `+` and digits when the shopper gave the country code.
fn sms_number(phone: &str) -> String {
    let digits = phone_key(phone);
    if phone.trim_start().starts_with('+') {
        format!("+{digits}")
    } else {
        digits
    }
}

fn phone_ending(phone: &str) -> String {
    let digits = phone_key(phone);
    digits[digits.len().saturating_sub(2)..].to_owned()
}

fn new_code() -> String {
    use rand::Rng;
    let code = rand::rngs::OsRng.gen_range(0..10u32.pow(CODE_DIGITS as u32));
    format!("{code:0width$}", width = CODE_DIGITS)
}

fn refused(message: &str) -> DomainError {
    DomainError::Invalid(message.to_owned())
}

/// Tells a signed-in customer's verified link, if it is for `phone`.
pub(super) async fn verified_link_for(
    db: &impl ConnectionTrait,
    customer_id: &str,
    phone: &str,
) -> Result<Option<customer::Model>, DomainError> {
    Ok(verified_membership(db, customer_id)
        .await?
        .filter(|link| same_phone(&link.phone, phone)))
}

/// The customer's linked membership, if its phone was proved.
pub async fn verified_membership(
    db: &impl ConnectionTrait,
    customer_id: &str,
) -> Result<Option<customer::Model>, DomainError> {
    Ok(super::linked_membership(db, customer_id)
        .await?
        .filter(|link| link.verified_at.is_some()))
}

/// The open code of `subject`, if any.
async fn open_code(
    db: &impl ConnectionTrait,
    subject: Subject<'_>,
) -> Result<Option<CodeSent>, DomainError> {
    let newest = newest_code(db, subject).await?;
    Ok(newest
        .filter(|code| CodeState::of(code, Utc::now()) == CodeState::Open)
        .map(|code| CodeSent {
            phone_ending: phone_ending(&code.phone),
            expires_at: code.expires_at,
        }))
}

/// The code a cart's shopper was sent and may still enter.
pub async fn open_cart_code(
    db: &impl ConnectionTrait,
    cart_id: &str,
) -> Result<Option<CodeSent>, DomainError> {
    open_code(db, Subject::Cart(cart_id)).await
}

/// The code a customer was sent to link a membership and may still enter.
pub async fn open_link_code(
    db: &impl ConnectionTrait,
    customer_id: &str,
) -> Result<Option<CodeSent>, DomainError> {
    open_code(db, Subject::Customer(customer_id)).await
}

async fn newest_code(
    db: &impl ConnectionTrait,
    subject: Subject<'_>,
) -> Result<Option<phone_code::Model>, DomainError> {
    Ok(subject
        .filter(phone_code::Entity::find())
        .order_by_desc(phone_code::Column::CreatedAt)
        .order_by_desc(phone_code::Column::Id)
        .one(db)
        .await?)
}

/// Ends the open codes of a cart (its shopper identified another phone).
pub(super) async fn void_cart_codes(
    db: &impl ConnectionTrait,
    cart_id: &str,
    now: DateTime<Utc>,
) -> Result<(), DomainError> {
    void_codes(db, Subject::Cart(cart_id), now).await
}

async fn void_codes(
    db: &impl ConnectionTrait,
    subject: Subject<'_>,
    now: DateTime<Utc>,
) -> Result<(), DomainError> {
    subject
        .filter(phone_code::Entity::update_many())
        .col_expr(phone_code::Column::ExpiresAt, Expr::value(now))
        .filter(phone_code::Column::UsedAt.is_null())
        .filter(phone_code::Column::ExpiresAt.gt(now))
        .exec(db)
        .await?;
    Ok(())
}

/// Refuses a new code to `phone_key` while the throttle holds.
async fn ensure_may_send(
    db: &impl ConnectionTrait,
    phone_key: &str,
    now: DateTime<Utc>,
) -> Result<(), DomainError> {
    let hour = Duration::hours(1);
    let recent = phone_code::Entity::find()
        .filter(phone_code::Column::PhoneKey.eq(phone_key))
        .filter(phone_code::Column::CreatedAt.gt(now - hour))
        .order_by_asc(phone_code::Column::CreatedAt)
        .all(db)
        .await?;
    let wait = |until: DateTime<Utc>, message: String| {
        let seconds = (until - now).num_seconds().max(1);
        DomainError::TooManyRequests {
            message: format!("{message}; ask again in {seconds} s"),
            retry_after_secs: seconds.unsigned_abs(),
        }
    };
    if let Some(newest) = recent.last()
        && newest.created_at + RESEND_AFTER > now
    {
        return Err(wait(
            newest.created_at + RESEND_AFTER,
            "a code was just sent to this phone".into(),
        ));
    }
    if recent.len() >= MAX_CODES_PER_HOUR {
        return Err(wait(
            recent[0].created_at + hour,
            format!("this phone was sent {MAX_CODES_PER_HOUR} codes within the hour"),
        ));
    }
    Ok(())
}

impl Loyalty {
    /// Sends a code to the phone the cart was identified with; entered with
    /// [`Self::verify_cart`], it lets the cart redeem the member's points.
    pub async fn send_cart_code(
        &self,
        db: &DatabaseConnection,
        cart_id: &str,
    ) -> Result<CodeSent, LoyaltyError> {
        let session = active_session(db, cart_id).await?;
        if session.phone_verified_at.is_some() {
            return Err(DomainError::Conflict(
                "the member's phone is already verified for this cart".into(),
            )
            .into());
        }
        self.send_code(db, &session.phone, Subject::Cart(cart_id))
            .await
    }

    /// Checks the code sent for the cart; right, the cart may redeem points
    /// and a `signed_in` customer gets the membership linked (verified).
    pub async fn verify_cart(
        &self,
        db: &DatabaseConnection,
        cart_id: &str,
        code: &str,
        signed_in: Option<&str>,
    ) -> Result<SessionDetail, LoyaltyError> {
        let session = active_session(db, cart_id).await?;
        let txn = crate::db::begin_write(db).await?;
        let checked = match self.use_code(&txn, Subject::Cart(cart_id), code).await? {
            Ok(checked) => checked,
            Err(refusal) => {
                // The attempt counts, even though the answer is no.
                txn.commit().await?;
                return Err(refusal.into());
            }
        };
        if !same_phone(&checked.phone, &session.phone) {
            txn.commit().await?;
            return Err(refused("this code was sent to another phone; ask for a new one").into());
        }
        let now = Utc::now();
        let mut verified = session.clone().into_active_model();
        verified.phone_verified_at = Set(Some(now));
        verified.updated_at = Set(now);
        let verified = verified.update(&txn).await?;
        if let Some(customer_id) = signed_in {
            let member = host::Member {
                member_id: session.member_id.clone(),
                name: None,
                points_balance: session.points_balance,
            };
            link_customer(&txn, customer_id, &member, &session.phone).await?;
        }
        txn.commit().await?;
        Ok(detail(db, verified).await?)
    }

    /// Sends a code to `phone`, a member's, for linking the membership to the
    /// customer's account ([`Self::verify_link`]).
    pub async fn send_link_code(
        &self,
        db: &DatabaseConnection,
        customer_id: &str,
        phone: &str,
    ) -> Result<CodeSent, LoyaltyError> {
        let phone = parse_phone(phone)?;
        let credentials = self.credentials(db, DEFAULT_STORE_ID).await?;
        self.host.member(&credentials, &phone).await?;
        self.send_code(db, &phone, Subject::Customer(customer_id))
            .await
    }

    /// Checks the code sent for linking; right, the customer's account is
    /// linked to the membership, verified.
    pub async fn verify_link(
        &self,
        db: &DatabaseConnection,
        customer_id: &str,
        code: &str,
    ) -> Result<customer::Model, LoyaltyError> {
        let subject = Subject::Customer(customer_id);
        let Some(sent) = newest_code(db, subject).await? else {
            return Err(refused("no code was sent to link a membership yet; ask for one").into());
        };
        // The host before the write turn: it may take a while.
        let credentials = self.credentials(db, DEFAULT_STORE_ID).await?;
        let member = self.host.member(&credentials, &sent.phone).await?;
        let txn = crate::db::begin_write(db).await?;
        let checked = match self.use_code(&txn, subject, code).await? {
            Ok(checked) => checked,
            Err(refusal) => {
                txn.commit().await?;
                return Err(refusal.into());
            }
        };
        if checked.id != sent.id {
            txn.commit().await?;
            return Err(refused("a newer code was sent meanwhile; enter that one").into());
        }
        link_customer(&txn, customer_id, &member, &checked.phone).await?;
        let link = super::linked_membership(&txn, customer_id)
            .await?
            .ok_or_else(|| DomainError::not_found("Loyalty membership", customer_id))?;
        txn.commit().await?;
        Ok(link)
    }

    /// Stores a new code for `subject` (earlier ones stop working), then
    /// texts it; a code that could not be sent is forgotten again.
    async fn send_code(
        &self,
        db: &DatabaseConnection,
        phone: &str,
        subject: Subject<'_>,
    ) -> Result<CodeSent, LoyaltyError> {
        let key = phone_key(phone);
        let code = new_code();
        let id = new_id("lcode");
        let now = Utc::now();
        let txn = crate::db::begin_write(db).await?;
        ensure_may_send(&txn, &key, now).await?;
        void_codes(&txn, subject, now).await?;
        let (cart_id, customer_id) = match subject {
            Subject::Cart(id) => (Some(id.to_owned()), None),
            Subject::Customer(id) => (None, Some(id.to_owned())),
        };
        let stored = phone_code::ActiveModel {
            id: Set(id.clone()),
            phone: Set(phone.to_owned()),
            phone_key: Set(key),
            cart_id: Set(cart_id),
            customer_id: Set(customer_id),
            code_hash: Set(self.secrets.tag(&id, &code)),
            attempts: Set(0),
            expires_at: Set(now + CODE_LIFETIME),
            used_at: Set(None),
            created_at: Set(now),
        }
        .insert(&txn)
        .await?;
        txn.commit().await?;
        let minutes = CODE_LIFETIME.num_minutes();
        let body = format!(
            "{code} is your loyalty code. It works once, for {minutes} minutes. \
             Nobody from the store will ask you for it."
        );
        if let Err(e) = self.sms.send(&sms_number(phone), &body).await {
            tracing::warn!(error = %e, "a loyalty code could not be sent");
            let txn = crate::db::begin_write(db).await?;
            phone_code::Entity::delete_by_id(&id).exec(&txn).await?;
            txn.commit().await?;
            return Err(LoyaltyError::Unavailable(format!(
                "{e}; try again in a moment"
            )));
        }
        Ok(CodeSent {
            phone_ending: phone_ending(phone),
            expires_at: stored.expires_at,
        })
    }

    /// Checks `code` against the newest code of `subject` and uses it up
    /// when right. Every check takes one of the code's attempts, claimed
    /// before the comparison so parallel guesses cannot exceed the limit.
    /// `Ok(Err(_))`: refused, and the caller commits the attempt.
    async fn use_code(
        &self,
        txn: &impl ConnectionTrait,
        subject: Subject<'_>,
        code: &str,
    ) -> Result<Result<phone_code::Model, DomainError>, DomainError> {
        use sea_orm::sea_query::ExprTrait;
        let code = code.trim();
        if code.len() != CODE_DIGITS || !code.chars().all(|c| c.is_ascii_digit()) {
            return Ok(Err(refused("the code is the 6 digits in the SMS")));
        }
        let Some(sent) = newest_code(txn, subject).await? else {
            return Ok(Err(refused("no code was sent for this yet; ask for one")));
        };
        let now = Utc::now();
        let closed = match CodeState::of(&sent, now) {
            CodeState::Open => None,
            CodeState::Used => Some("this code was already used; ask for a new one"),
            CodeState::Burned => {
                Some("this code was entered wrong too many times; ask for a new one")
            }
            CodeState::Expired => Some("the code has expired; ask for a new one"),
        };
        if let Some(message) = closed {
            return Ok(Err(refused(message)));
        }
        let claimed = phone_code::Entity::update_many()
            .col_expr(
                phone_code::Column::Attempts,
                Expr::col(phone_code::Column::Attempts).add(1),
            )
            .filter(phone_code::Column::Id.eq(&sent.id))
            .filter(phone_code::Column::UsedAt.is_null())
            .filter(phone_code::Column::Attempts.lt(MAX_ATTEMPTS))
            .filter(phone_code::Column::ExpiresAt.gt(now))
            .exec(txn)
            .await?;
        if claimed.rows_affected != 1 {
            return Ok(Err(refused(
                "this code can no longer be used; ask for a new one",
            )));
        }
        if !self.secrets.tag_matches(&sent.id, code, &sent.code_hash) {
            let left = MAX_ATTEMPTS - sent.attempts - 1;
            return Ok(Err(DomainError::Invalid(if left > 0 {
                format!("the code is wrong; {left} tries left")
            } else {
                "the code is wrong, and that was the last try; ask for a new one".into()
            })));
        }
        let used = phone_code::Entity::update_many()
            .col_expr(phone_code::Column::UsedAt, Expr::value(now))
            .filter(phone_code::Column::Id.eq(&sent.id))
            .filter(phone_code::Column::UsedAt.is_null())
            .exec(txn)
            .await?;
        if used.rows_affected != 1 {
            return Ok(Err(refused(
                "this code was already used; ask for a new one",
            )));
        }
        Ok(Ok(sent))
    }
}

/// Whether `session` may be given a reward that costs `points_cost`.
pub(super) fn redeemable(session: &session::Model, points_cost: i64) -> bool {
    points_cost <= 0 || session.phone_verified_at.is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phones_are_compared_by_their_digits_and_texted_in_e164() {
        assert!(same_phone("+1 555 010 0001", "+15550100001"));
        assert!(!same_phone("+1 555 010 0001", "+1 555 010 0002"));
        assert_eq!(sms_number("+1 (555) 010-0001"), "+15550100001");
        assert_eq!(sms_number("555 010 0001"), "5550100001");
        assert_eq!(phone_ending("+1 555 010 0001"), "01");
    }

    #[test]
    fn codes_are_six_digits() {
        for _ in 0..100 {
            let code = new_code();
            assert_eq!(code.len(), 6);
            assert!(code.chars().all(|c| c.is_ascii_digit()));
        }
    }
}
