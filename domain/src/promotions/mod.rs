//! Promotions: codes worth a percentage or a fixed amount off each item or
//! the whole order, which shoppers apply to carts. The discount itself is
//! computed with the cart's totals ([`crate::carts::totals`]); an order that
//! used a code counts against the code's usage limit.

pub mod cart_promotion;
pub mod promotion;

use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set,
    sea_query::{Expr, ExprTrait},
};

use crate::{
    DomainError,
    carts::totals::{Discount, DiscountTarget, DiscountValue},
    ids::new_id,
};

#[derive(Debug, Clone)]
pub struct NewPromotion {
    pub code: String,
    pub value: DiscountValue,
    pub target: DiscountTarget,
    pub is_active: bool,
    pub usage_limit: Option<i32>,
}

pub async fn create_promotion(
    db: &impl ConnectionTrait,
    new: NewPromotion,
) -> Result<promotion::Model, DomainError> {
    let code = normalize(&new.code);
    if code.is_empty() {
        return Err(DomainError::Invalid("a promotion needs a code".into()));
    }
    let (value_type, value) = match new.value {
        DiscountValue::Percentage(bp) if (1..=10_000).contains(&bp) => {
            (promotion::ValueType::Percentage, bp)
        }
        DiscountValue::Fixed(amount) if amount > 0 => (promotion::ValueType::Fixed, amount),
        _ => {
            return Err(DomainError::Invalid(
                "a promotion takes off a positive amount or 0.01 % to 100 %".into(),
            ));
        }
    };
    if new.usage_limit.is_some_and(|limit| limit < 1) {
        return Err(DomainError::Invalid("a usage limit is at least 1".into()));
    }
    if promotion::Entity::find()
        .filter(promotion::Column::Code.eq(&code))
        .one(db)
        .await?
        .is_some()
    {
        return Err(DomainError::Conflict(format!(
            "a promotion with code {code} already exists"
        )));
    }
    let now = Utc::now();
    Ok(promotion::ActiveModel {
        id: Set(new_id("promo")),
        code: Set(code),
        is_active: Set(new.is_active),
        value_type: Set(value_type),
        value: Set(value),
        target_type: Set(new.target),
        usage_limit: Set(new.usage_limit),
        used_count: Set(0),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(db)
    .await?)
}

fn normalize(code: &str) -> String {
    code.trim().to_uppercase()
}

/// The promotion a shopper's `code` names, if it can be used now.
pub async fn find_usable(
    db: &impl ConnectionTrait,
    code: &str,
) -> Result<promotion::Model, DomainError> {
    let code = normalize(code);
    let promotion = promotion::Entity::find()
        .filter(promotion::Column::Code.eq(&code))
        .one(db)
        .await?
        .filter(|p| p.is_active)
        .ok_or_else(|| DomainError::Invalid(format!("the promotion code {code} is invalid")))?;
    if is_used_up(&promotion) {
        return Err(DomainError::Invalid(format!(
            "the promotion code {code} has been used up"
        )));
    }
    Ok(promotion)
}

fn is_used_up(promotion: &promotion::Model) -> bool {
    promotion
        .usage_limit
        .is_some_and(|limit| promotion.used_count >= limit)
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

/// The promotions applied to a cart, in the order they were applied.
pub async fn of_cart(
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

/// Counts one use of each promotion, in the order's transaction. A code that
/// reached its limit meanwhile (another order took the last use) fails the order.
pub async fn record_usage(
    db: &impl ConnectionTrait,
    promotions: &[promotion::Model],
) -> Result<(), DomainError> {
    for promotion in promotions {
        let counted = promotion::Entity::update_many()
            .col_expr(
                promotion::Column::UsedCount,
                Expr::col(promotion::Column::UsedCount).add(1),
            )
            .col_expr(promotion::Column::UpdatedAt, Expr::value(Utc::now()))
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
    }
    Ok(())
}
