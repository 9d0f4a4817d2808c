//! Promotions: codes worth a percentage or a fixed amount off each item or
//! the whole order, which shoppers apply to carts (or which carts get by
//! themselves, when automatic), grouped in campaigns that give them a window
//! in time and a budget. The discount itself is computed with the cart's
//! totals ([`crate::carts::totals`]); an order that used a promotion counts
//! against its usage limit and its campaign's budget.

pub mod campaign;
mod campaigns;
pub mod cart_promotion;
pub mod promotion;

pub use campaigns::*;

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel, QueryFilter,
    QueryOrder, Set, TransactionSession,
    sea_query::{Expr, ExprTrait},
};

use crate::{
    DomainError,
    carts::totals::{CartTotals, Discount, DiscountTarget, DiscountValue},
    db::{Writable, begin_write},
    ids::new_id,
    paging::{Page, page_of},
    pricing::valid_currency_code,
};

crate::states::display_as_word!(
    promotion::Status,
    promotion::ValueType,
    campaign::BudgetType
);

#[derive(Debug, Clone)]
pub struct NewPromotion {
    pub code: String,
    pub status: promotion::Status,
    pub is_automatic: bool,
    pub value: DiscountValue,
    pub target: DiscountTarget,
    /// Required for a fixed value; ignored for a percentage.
    pub currency_code: Option<String>,
    pub usage_limit: Option<i32>,
    pub campaign_id: Option<String>,
}

/// Changes to a promotion; `None` keeps a field. The value and its currency
/// are changed together (a fixed amount means nothing without its currency).
#[derive(Debug, Clone, Default)]
pub struct PromotionChanges {
    pub code: Option<String>,
    pub status: Option<promotion::Status>,
    pub is_automatic: Option<bool>,
    pub value: Option<DiscountValue>,
    pub currency_code: Option<String>,
    pub target: Option<DiscountTarget>,
    /// `Some(None)` removes the limit.
    pub usage_limit: Option<Option<i32>>,
    /// `Some(None)` takes the promotion out of its campaign.
    pub campaign_id: Option<Option<String>>,
}

pub async fn create_promotion(
    db: &impl Writable,
    new: NewPromotion,
) -> Result<promotion::Model, DomainError> {
    let now = Utc::now();
    let (value_type, value) = stored_value(new.value);
    let draft = promotion::Model {
        id: new_id("promo"),
        code: normalize(&new.code),
        status: new.status,
        is_automatic: new.is_automatic,
        campaign_id: new.campaign_id,
        value_type,
        value,
        currency_code: new.currency_code,
        target_type: new.target,
        usage_limit: new.usage_limit,
        used_count: 0,
        created_at: now,
        updated_at: now,
    };
    let draft = checked(draft)?;
    let txn = begin_write(db).await?;
    check_code_is_free(&txn, &draft.code, None).await?;
    if let Some(campaign_id) = &draft.campaign_id {
        find_campaign(&txn, campaign_id).await?;
    }
    let created = promotion::ActiveModel::from(draft).insert(&txn).await?;
    txn.commit().await?;
    Ok(created)
}

pub async fn update_promotion(
    db: &impl Writable,
    id: &str,
    changes: PromotionChanges,
) -> Result<promotion::Model, DomainError> {
    let txn = begin_write(db).await?;
    let before = find_promotion(&txn, id).await?;
    let mut after = before.clone();
    if let Some(code) = &changes.code {
        after.code = normalize(code);
    }
    if let Some(status) = changes.status {
        after.status = status;
    }
    if let Some(automatic) = changes.is_automatic {
        after.is_automatic = automatic;
    }
    if let Some(value) = changes.value {
        (after.value_type, after.value) = stored_value(value);
    }
    if changes.currency_code.is_some() {
        after.currency_code = changes.currency_code;
    }
    if let Some(target) = changes.target {
        after.target_type = target;
    }
    if let Some(limit) = changes.usage_limit {
        after.usage_limit = limit;
    }
    if let Some(campaign_id) = changes.campaign_id {
        after.campaign_id = campaign_id;
    }
    after.updated_at = Utc::now();
    let after = checked(after)?;
    if after.code != before.code {
        check_code_is_free(&txn, &after.code, Some(id)).await?;
    }
    if let Some(campaign_id) = after
        .campaign_id
        .as_ref()
        .filter(|c| before.campaign_id.as_ref() != Some(c))
    {
        find_campaign(&txn, campaign_id).await?;
    }
    let mut active = before.into_active_model();
    active.code = Set(after.code);
    active.status = Set(after.status);
    active.is_automatic = Set(after.is_automatic);
    active.campaign_id = Set(after.campaign_id);
    active.value_type = Set(after.value_type);
    active.value = Set(after.value);
    active.currency_code = Set(after.currency_code);
    active.target_type = Set(after.target_type);
    active.usage_limit = Set(after.usage_limit);
    active.updated_at = Set(after.updated_at);
    let updated = active.update(&txn).await?;
    txn.commit().await?;
    Ok(updated)
}

/// Deletes a promotion; carts lose it, orders keep the code they used.
pub async fn delete_promotion(db: &impl Writable, id: &str) -> Result<(), DomainError> {
    let txn = begin_write(db).await?;
    let deleted = promotion::Entity::delete_by_id(id).exec(&txn).await?;
    if deleted.rows_affected == 0 {
        return Err(DomainError::not_found("promotion", id));
    }
    txn.commit().await?;
    Ok(())
}

pub async fn find_promotion(
    db: &impl ConnectionTrait,
    id: &str,
) -> Result<promotion::Model, DomainError> {
    promotion::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| DomainError::not_found("promotion", id))
}

/// Promotions whose code contains `q` (any case), by code.
pub async fn list_promotion_page(
    db: &impl ConnectionTrait,
    q: Option<&str>,
    campaign_id: Option<&str>,
    offset: u64,
    limit: u64,
) -> Result<Page<promotion::Model>, DomainError> {
    let mut select = promotion::Entity::find();
    if let Some(q) = q.map(normalize).filter(|q| !q.is_empty()) {
        select = select.filter(promotion::Column::Code.contains(q));
    }
    if let Some(campaign_id) = campaign_id {
        select = select.filter(promotion::Column::CampaignId.eq(campaign_id));
    }
    let select = select
        .order_by_asc(promotion::Column::Code)
        .order_by_asc(promotion::Column::Id);
    page_of(db, select, offset, limit).await
}

/// `percent` off (e.g. 12.5) as a discount value; finer than 0.01 % or not
/// a number is refused here, out of range by [`create_promotion`]'s check.
pub fn percentage_off(percent: f64) -> Result<DiscountValue, DomainError> {
    let points = (percent * 100.0).round();
    if !percent.is_finite() || (percent * 100.0 - points).abs() > 1e-6 {
        return Err(DomainError::Invalid(format!(
            "{percent} is not a percentage with at most two decimals"
        )));
    }
    Ok(DiscountValue::Percentage(points.clamp(-1.0, 1e7) as i64))
}

fn stored_value(value: DiscountValue) -> (promotion::ValueType, i64) {
    match value {
        DiscountValue::Percentage(bp) => (promotion::ValueType::Percentage, bp),
        DiscountValue::Fixed(amount) => (promotion::ValueType::Fixed, amount),
    }
}

/// `p` if it is a promotion that can be kept: the rules every write checks.
fn checked(mut p: promotion::Model) -> Result<promotion::Model, DomainError> {
    if p.code.is_empty() {
        return Err(DomainError::Invalid("a promotion needs a code".into()));
    }
    if p.code.len() > 64 || p.code.chars().any(char::is_whitespace) {
        return Err(DomainError::Invalid(format!(
            "{:?} is not a promotion code: up to 64 characters, without spaces",
            p.code
        )));
    }
    match p.value_type {
        promotion::ValueType::Percentage if (1..=10_000).contains(&p.value) => {
            p.currency_code = None;
        }
        promotion::ValueType::Fixed if p.value > 0 => {
            let Some(code) = p.currency_code.as_deref() else {
                return Err(DomainError::Invalid(
                    "a fixed amount off needs its currency_code".into(),
                ));
            };
            p.currency_code = Some(valid_currency_code(code)?);
        }
        _ => {
            return Err(DomainError::Invalid(
                "a promotion takes off a positive amount or 0.01 % to 100 %".into(),
            ));
        }
    }
    if p.usage_limit.is_some_and(|limit| limit < 1) {
        return Err(DomainError::Invalid("a usage limit is at least 1".into()));
    }
    Ok(p)
}

async fn check_code_is_free(
    db: &impl ConnectionTrait,
    code: &str,
    except: Option<&str>,
) -> Result<(), DomainError> {
    let taken = promotion::Entity::find()
        .filter(promotion::Column::Code.eq(code))
        .one(db)
        .await?
        .is_some_and(|p| Some(p.id.as_str()) != except);
    if taken {
        return Err(DomainError::Conflict(format!(
            "a promotion with code {code} already exists"
        )));
    }
    Ok(())
}

fn normalize(code: &str) -> String {
    code.trim().to_uppercase()
}

/// Why a cart in `currency` cannot have `promotion` at `now`, in words for
/// the shopper; `None` when it can.
pub fn unusable_because(
    promotion: &promotion::Model,
    campaign: Option<&campaign::Model>,
    currency: &str,
    now: DateTime<Utc>,
) -> Option<String> {
    let code = &promotion.code;
    if promotion.status != promotion::Status::Active {
        return Some(format!("the promotion code {code} is invalid"));
    }
    if promotion
        .currency_code
        .as_deref()
        .is_some_and(|c| !c.eq_ignore_ascii_case(currency))
    {
        return Some(format!(
            "the promotion code {code} is for carts in {}",
            promotion
                .currency_code
                .as_deref()
                .unwrap_or_default()
                .to_uppercase()
        ));
    }
    if is_used_up(promotion) {
        return Some(format!("the promotion code {code} has been used up"));
    }
    let campaign = campaign?;
    // A spend budget counts discounts in its own currency only.
    if campaign.budget_type == Some(campaign::BudgetType::Spend)
        && campaign
            .budget_currency_code
            .as_deref()
            .is_some_and(|c| !c.eq_ignore_ascii_case(currency))
    {
        return Some(format!(
            "the promotion code {code} is for carts in {}",
            campaign
                .budget_currency_code
                .as_deref()
                .unwrap_or_default()
                .to_uppercase()
        ));
    }
    if campaign.starts_at.is_some_and(|starts| now < starts) {
        return Some(format!("the promotion code {code} is not valid yet"));
    }
    if campaign.ends_at.is_some_and(|ends| now >= ends) {
        return Some(format!("the promotion code {code} has expired"));
    }
    if campaign
        .budget_limit
        .is_some_and(|limit| campaign.budget_used >= limit)
    {
        return Some(format!("the promotion code {code} has been used up"));
    }
    None
}

fn is_used_up(promotion: &promotion::Model) -> bool {
    promotion
        .usage_limit
        .is_some_and(|limit| promotion.used_count >= limit)
}

/// The promotion a shopper's `code` names, if a cart in `currency` can use it now.
pub async fn find_usable(
    db: &impl ConnectionTrait,
    code: &str,
    currency: &str,
) -> Result<promotion::Model, DomainError> {
    let code = normalize(code);
    let promotion = promotion::Entity::find()
        .filter(promotion::Column::Code.eq(&code))
        .one(db)
        .await?
        .ok_or_else(|| DomainError::Invalid(format!("the promotion code {code} is invalid")))?;
    let campaign = campaign_of(db, &promotion).await?;
    match unusable_because(&promotion, campaign.as_ref(), currency, Utc::now()) {
        Some(why) => Err(DomainError::Invalid(why)),
        None => Ok(promotion),
    }
}

async fn campaign_of(
    db: &impl ConnectionTrait,
    promotion: &promotion::Model,
) -> Result<Option<campaign::Model>, DomainError> {
    Ok(match &promotion.campaign_id {
        Some(id) => campaign::Entity::find_by_id(id).one(db).await?,
        None => None,
    })
}

/// The automatic promotions a cart in `currency` gets now, by code.
pub async fn automatic(
    db: &impl ConnectionTrait,
    currency: &str,
) -> Result<Vec<promotion::Model>, DomainError> {
    let candidates = promotion::Entity::find()
        .filter(promotion::Column::IsAutomatic.eq(true))
        .filter(promotion::Column::Status.eq(promotion::Status::Active))
        .order_by_asc(promotion::Column::Code)
        .all(db)
        .await?;
    if candidates.is_empty() {
        return Ok(candidates);
    }
    let campaigns = campaigns_by_id(db, &candidates).await?;
    let now = Utc::now();
    Ok(candidates
        .into_iter()
        .filter(|p| {
            let campaign = p.campaign_id.as_ref().and_then(|id| campaigns.get(id));
            unusable_because(p, campaign, currency, now).is_none()
        })
        .collect())
}

async fn campaigns_by_id(
    db: &impl ConnectionTrait,
    promotions: &[promotion::Model],
) -> Result<std::collections::HashMap<String, campaign::Model>, DomainError> {
    let ids: Vec<&String> = promotions
        .iter()
        .filter_map(|p| p.campaign_id.as_ref())
        .collect();
    if ids.is_empty() {
        return Ok(Default::default());
    }
    Ok(campaign::Entity::find()
        .filter(campaign::Column::Id.is_in(ids))
        .all(db)
        .await?
        .into_iter()
        .map(|c| (c.id.clone(), c))
        .collect())
}

/// What the promotion takes off, for the totals.
pub fn discount(promotion: &promotion::Model) -> Discount {
    Discount {
        promotion_id: promotion.id.clone(),
        code: promotion.code.clone(),
        value: match promotion.value_type {
            promotion::ValueType::Percentage => DiscountValue::Percentage(promotion.value),
            promotion::ValueType::Fixed => DiscountValue::Fixed(promotion.value),
        },
        target: promotion.target_type,
    }
}

/// The promotions a cart in `currency` has: those applied to it, in the
/// order they were applied, then the automatic ones it gets.
pub async fn of_cart(
    db: &impl ConnectionTrait,
    cart_id: &str,
    currency: &str,
    has_applied: bool,
) -> Result<Vec<promotion::Model>, DomainError> {
    let mut promotions = match has_applied {
        true => applied_to(db, cart_id).await?,
        false => vec![],
    };
    for p in automatic(db, currency).await? {
        if !promotions.iter().any(|applied| applied.id == p.id) {
            promotions.push(p);
        }
    }
    Ok(promotions)
}

async fn applied_to(
    db: &impl ConnectionTrait,
    cart_id: &str,
) -> Result<Vec<promotion::Model>, DomainError> {
    let links = cart_promotion::Entity::find()
        .filter(cart_promotion::Column::CartId.eq(cart_id))
        .order_by_asc(cart_promotion::Column::CreatedAt)
        .order_by_asc(cart_promotion::Column::PromotionId)
        .all(db)
        .await?;
    let mut promotions = promotion::Entity::find()
        .filter(promotion::Column::Id.is_in(links.iter().map(|l| l.promotion_id.clone())))
        .all(db)
        .await?;
    promotions.sort_by_key(|p| links.iter().position(|l| l.promotion_id == p.id));
    Ok(promotions)
}

/// Applies a promotion to a cart; applying it again changes nothing.
pub async fn attach(
    db: &impl ConnectionTrait,
    cart_id: &str,
    promotion_id: &str,
) -> Result<(), DomainError> {
    cart_promotion::Entity::insert(cart_promotion::ActiveModel {
        cart_id: Set(cart_id.to_owned()),
        promotion_id: Set(promotion_id.to_owned()),
        created_at: Set(Utc::now()),
    })
    .on_conflict_do_nothing()
    .exec(db)
    .await?;
    Ok(())
}

/// Takes the promotions named by `codes` off a cart; codes it does not have are ignored.
pub async fn detach(
    db: &impl ConnectionTrait,
    cart_id: &str,
    codes: &[String],
) -> Result<(), DomainError> {
    let ids: Vec<String> = promotion::Entity::find()
        .filter(promotion::Column::Code.is_in(codes.iter().map(|c| normalize(c))))
        .all(db)
        .await?
        .into_iter()
        .map(|p| p.id)
        .collect();
    cart_promotion::Entity::delete_many()
        .filter(cart_promotion::Column::CartId.eq(cart_id))
        .filter(cart_promotion::Column::PromotionId.is_in(ids))
        .exec(db)
        .await?;
    Ok(())
}

/// Counts one use of each promotion of an order in `currency` with these
/// totals, and its share of its campaign's budget, in the order's
/// transaction. A promotion that stopped being usable since it reached the
/// cart (switched off, expired, its limit or budget reached by another
/// order meanwhile) fails the order.
pub async fn record_usage(
    db: &impl ConnectionTrait,
    promotions: &[promotion::Model],
    currency: &str,
    totals: &CartTotals,
) -> Result<(), DomainError> {
    let campaigns = campaigns_by_id(db, promotions).await?;
    let now = Utc::now();
    for promotion in promotions {
        let campaign = promotion
            .campaign_id
            .as_ref()
            .and_then(|id| campaigns.get(id));
        // The stored row, not the cart's copy: its status may have changed.
        let current = find_promotion(db, &promotion.id).await?;
        if let Some(why) = unusable_because(&current, campaign, currency, now) {
            return Err(DomainError::Invalid(why));
        }
        let counted = promotion::Entity::update_many()
            .col_expr(
                promotion::Column::UsedCount,
                Expr::col(promotion::Column::UsedCount).add(1),
            )
            .col_expr(promotion::Column::UpdatedAt, Expr::value(now))
            .filter(promotion::Column::Id.eq(&promotion.id))
            .filter(
                sea_orm::Condition::any()
                    .add(promotion::Column::UsageLimit.is_null())
                    .add(
                        Expr::col(promotion::Column::UsedCount)
                            .lt(Expr::col(promotion::Column::UsageLimit)),
                    ),
            )
            .exec(db)
            .await?;
        if counted.rows_affected == 0 {
            return Err(DomainError::Invalid(format!(
                "the promotion code {} has been used up",
                promotion.code
            )));
        }
        if let Some(campaign) = campaign {
            let spent: i64 = totals
                .items
                .iter()
                .flat_map(|line| &line.adjustments)
                .filter(|a| a.promotion_id == promotion.id)
                .map(|a| a.amount)
                .sum();
            spend_budget(db, campaign, spent, &promotion.code).await?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use chrono::{Duration, TimeZone};

    use super::*;

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 12, 6, 12, 0, 0).unwrap()
    }

    fn fixed_eur() -> promotion::Model {
        promotion::Model {
            id: "promo_1".into(),
            code: "FIVE".into(),
            status: promotion::Status::Active,
            is_automatic: false,
            campaign_id: Some("procamp_1".into()),
            value_type: promotion::ValueType::Fixed,
            value: 500,
            currency_code: Some("eur".into()),
            target_type: DiscountTarget::Order,
            usage_limit: Some(2),
            used_count: 0,
            created_at: now(),
            updated_at: now(),
        }
    }

    fn campaign() -> campaign::Model {
        campaign::Model {
            id: "procamp_1".into(),
            name: "Winter".into(),
            campaign_identifier: "WINTER".into(),
            description: None,
            starts_at: Some(now() - Duration::days(1)),
            ends_at: Some(now() + Duration::days(1)),
            budget_type: Some(campaign::BudgetType::Usage),
            budget_limit: Some(10),
            budget_used: 9,
            budget_currency_code: None,
            created_at: now(),
            updated_at: now(),
        }
    }

    fn why(p: &promotion::Model, c: Option<&campaign::Model>, currency: &str) -> Option<String> {
        unusable_because(p, c, currency, now())
    }

    #[test]
    fn an_active_promotion_in_its_window_and_budget_is_usable() {
        assert_eq!(why(&fixed_eur(), Some(&campaign()), "eur"), None);
        assert_eq!(why(&fixed_eur(), None, "EUR"), None);
    }

    #[test]
    fn drafts_and_inactive_promotions_are_invalid() {
        for status in [promotion::Status::Draft, promotion::Status::Inactive] {
            let p = promotion::Model {
                status,
                ..fixed_eur()
            };
            assert_eq!(
                why(&p, None, "eur").unwrap(),
                "the promotion code FIVE is invalid"
            );
        }
    }

    #[test]
    fn a_fixed_amount_applies_only_in_its_currency() {
        assert_eq!(
            why(&fixed_eur(), None, "usd").unwrap(),
            "the promotion code FIVE is for carts in EUR"
        );
    }

    #[test]
    fn limits_window_and_budget_each_stop_a_promotion() {
        let used_up = promotion::Model {
            used_count: 2,
            ..fixed_eur()
        };
        assert!(why(&used_up, None, "eur").unwrap().contains("used up"));
        let early = campaign::Model {
            starts_at: Some(now() + Duration::seconds(1)),
            ..campaign()
        };
        assert!(
            why(&fixed_eur(), Some(&early), "eur")
                .unwrap()
                .contains("not valid yet")
        );
        let over = campaign::Model {
            ends_at: Some(now()),
            ..campaign()
        };
        assert!(
            why(&fixed_eur(), Some(&over), "eur")
                .unwrap()
                .contains("expired")
        );
        let spent = campaign::Model {
            budget_used: 10,
            ..campaign()
        };
        assert!(
            why(&fixed_eur(), Some(&spent), "eur")
                .unwrap()
                .contains("used up")
        );
        let euro_budget = campaign::Model {
            budget_type: Some(campaign::BudgetType::Spend),
            budget_currency_code: Some("eur".into()),
            ..campaign()
        };
        let percent = promotion::Model {
            value_type: promotion::ValueType::Percentage,
            currency_code: None,
            ..fixed_eur()
        };
        assert_eq!(why(&percent, Some(&euro_budget), "eur"), None);
        assert!(
            why(&percent, Some(&euro_budget), "usd")
                .unwrap()
                .contains("for carts in EUR")
        );
    }

    #[test]
    fn a_fixed_promotion_needs_a_currency_and_a_percentage_drops_one() {
        let no_currency = promotion::Model {
            currency_code: None,
            ..fixed_eur()
        };
        assert!(checked(no_currency).is_err());
        let percent = promotion::Model {
            value_type: promotion::ValueType::Percentage,
            value: 1000,
            ..fixed_eur()
        };
        assert_eq!(checked(percent).unwrap().currency_code, None);
        let too_much = promotion::Model {
            value_type: promotion::ValueType::Percentage,
            value: 10_001,
            ..fixed_eur()
        };
        assert!(checked(too_much).is_err());
    }
}
