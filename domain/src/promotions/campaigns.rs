//! Campaigns: a name, a window in time and a budget their promotions share.

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel, QueryFilter,
    QueryOrder, Set, TransactionSession,
    sea_query::{Expr, ExprTrait},
};

use super::{campaign, promotion};
use crate::{
    DomainError,
    db::{Writable, begin_write},
    ids::new_id,
    paging::{Page, page_of},
    pricing::valid_currency_code,
};

#[derive(Debug, Clone)]
pub struct Budget {
    pub kind: campaign::BudgetType,
    /// Orders for a usage budget, minor units of `currency_code` for spend;
    /// unlimited (only counted) when `None`.
    pub limit: Option<i64>,
    /// Required for a spend budget.
    pub currency_code: Option<String>,
}

#[derive(Debug, Clone)]
pub struct NewCampaign {
    pub name: String,
    pub campaign_identifier: String,
    pub description: Option<String>,
    pub starts_at: Option<DateTime<Utc>>,
    pub ends_at: Option<DateTime<Utc>>,
    pub budget: Option<Budget>,
}

/// Changes to a campaign; `None` keeps a field, `Some(None)` clears it. A
/// budget's kind stays what it was created with (its use is counted in it).
#[derive(Debug, Clone, Default)]
pub struct CampaignChanges {
    pub name: Option<String>,
    pub campaign_identifier: Option<String>,
    pub description: Option<Option<String>>,
    pub starts_at: Option<Option<DateTime<Utc>>>,
    pub ends_at: Option<Option<DateTime<Utc>>>,
    pub budget_limit: Option<Option<i64>>,
}

pub async fn create_campaign(
    db: &impl Writable,
    new: NewCampaign,
) -> Result<campaign::Model, DomainError> {
    let now = Utc::now();
    let budget = new.budget.map(checked_budget).transpose()?;
    let draft = checked_campaign(campaign::Model {
        id: new_id("procamp"),
        name: new.name,
        campaign_identifier: new.campaign_identifier,
        description: new.description,
        starts_at: new.starts_at,
        ends_at: new.ends_at,
        budget_type: budget.as_ref().map(|b| b.kind),
        budget_limit: budget.as_ref().and_then(|b| b.limit),
        budget_used: 0,
        budget_currency_code: budget.and_then(|b| b.currency_code),
        created_at: now,
        updated_at: now,
    })?;
    let txn = begin_write(db).await?;
    check_identifier_is_free(&txn, &draft.campaign_identifier, None).await?;
    let created = campaign::ActiveModel::from(draft).insert(&txn).await?;
    txn.commit().await?;
    Ok(created)
}

pub async fn update_campaign(
    db: &impl Writable,
    id: &str,
    changes: CampaignChanges,
) -> Result<campaign::Model, DomainError> {
    let txn = begin_write(db).await?;
    let before = find_campaign(&txn, id).await?;
    let mut after = before.clone();
    if let Some(name) = changes.name {
        after.name = name;
    }
    if let Some(identifier) = changes.campaign_identifier {
        after.campaign_identifier = identifier;
    }
    if let Some(description) = changes.description {
        after.description = description;
    }
    if let Some(starts_at) = changes.starts_at {
        after.starts_at = starts_at;
    }
    if let Some(ends_at) = changes.ends_at {
        after.ends_at = ends_at;
    }
    if let Some(limit) = changes.budget_limit {
        if after.budget_type.is_none() {
            return Err(DomainError::Invalid(
                "this campaign has no budget to limit; budgets are set when a campaign is created"
                    .into(),
            ));
        }
        check_limit(limit)?;
        after.budget_limit = limit;
    }
    after.updated_at = Utc::now();
    let after = checked_campaign(after)?;
    if after.campaign_identifier != before.campaign_identifier {
        check_identifier_is_free(&txn, &after.campaign_identifier, Some(id)).await?;
    }
    let mut active = before.into_active_model();
    active.name = Set(after.name);
    active.campaign_identifier = Set(after.campaign_identifier);
    active.description = Set(after.description);
    active.starts_at = Set(after.starts_at);
    active.ends_at = Set(after.ends_at);
    active.budget_limit = Set(after.budget_limit);
    active.updated_at = Set(after.updated_at);
    let updated = active.update(&txn).await?;
    txn.commit().await?;
    Ok(updated)
}

/// Deletes a campaign; its promotions stay, outside any campaign.
pub async fn delete_campaign(db: &impl Writable, id: &str) -> Result<(), DomainError> {
    let txn = begin_write(db).await?;
    promotion::Entity::update_many()
        .col_expr(promotion::Column::CampaignId, Expr::value(None::<String>))
        .filter(promotion::Column::CampaignId.eq(id))
        .exec(&txn)
        .await?;
    let deleted = campaign::Entity::delete_by_id(id).exec(&txn).await?;
    if deleted.rows_affected == 0 {
        return Err(DomainError::not_found("campaign", id));
    }
    txn.commit().await?;
    Ok(())
}

pub async fn find_campaign(
    db: &impl ConnectionTrait,
    id: &str,
) -> Result<campaign::Model, DomainError> {
    campaign::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| DomainError::not_found("campaign", id))
}

/// Campaigns whose name contains `q`, by name.
pub async fn list_campaign_page(
    db: &impl ConnectionTrait,
    q: Option<&str>,
    offset: u64,
    limit: u64,
) -> Result<Page<campaign::Model>, DomainError> {
    let mut select = campaign::Entity::find();
    if let Some(q) = q.map(str::trim).filter(|q| !q.is_empty()) {
        select = select.filter(crate::db::contains_ignoring_case(campaign::Column::Name, q));
    }
    let select = select
        .order_by_asc(campaign::Column::Name)
        .order_by_asc(campaign::Column::Id);
    page_of(db, select, offset, limit).await
}

/// Puts the promotions `add` in the campaign and takes `remove` out of it;
/// all or nothing.
pub async fn change_campaign_promotions(
    db: &impl Writable,
    campaign_id: &str,
    add: &[String],
    remove: &[String],
) -> Result<(), DomainError> {
    let txn = begin_write(db).await?;
    find_campaign(&txn, campaign_id).await?;
    for id in add {
        super::find_promotion(&txn, id).await?;
    }
    promotion::Entity::update_many()
        .col_expr(promotion::Column::CampaignId, Expr::value(None::<String>))
        .filter(promotion::Column::CampaignId.eq(campaign_id))
        .filter(promotion::Column::Id.is_in(remove))
        .exec(&txn)
        .await?;
    promotion::Entity::update_many()
        .col_expr(promotion::Column::CampaignId, Expr::value(campaign_id))
        .col_expr(promotion::Column::UpdatedAt, Expr::value(Utc::now()))
        .filter(promotion::Column::Id.is_in(add))
        .exec(&txn)
        .await?;
    txn.commit().await?;
    Ok(())
}

/// Counts an order's use of `campaign`'s budget: one order for a usage
/// budget, `spent` (minor units) for a spend budget. Refused when the
/// budget has no room left for it (another order took it meanwhile).
pub(super) async fn spend_budget(
    db: &impl ConnectionTrait,
    campaign: &campaign::Model,
    spent: i64,
    code: &str,
) -> Result<(), DomainError> {
    let Some(kind) = campaign.budget_type else {
        return Ok(());
    };
    let used = match kind {
        campaign::BudgetType::Usage => 1,
        campaign::BudgetType::Spend => std::cmp::max(spent, 0),
    };
    let counted = campaign::Entity::update_many()
        .col_expr(
            campaign::Column::BudgetUsed,
            Expr::col(campaign::Column::BudgetUsed).add(used),
        )
        .filter(campaign::Column::Id.eq(&campaign.id))
        .filter(
            sea_orm::Condition::any()
                .add(campaign::Column::BudgetLimit.is_null())
                .add(
                    Expr::col(campaign::Column::BudgetUsed)
                        .add(used)
                        .lte(Expr::col(campaign::Column::BudgetLimit)),
                ),
        )
        .exec(db)
        .await?;
    if counted.rows_affected == 0 {
        return Err(DomainError::Invalid(format!(
            "the promotion code {code} has been used up"
        )));
    }
    Ok(())
}

fn checked_budget(budget: Budget) -> Result<Budget, DomainError> {
    check_limit(budget.limit)?;
    let currency_code = match (budget.kind, budget.currency_code.as_deref()) {
        (campaign::BudgetType::Spend, None) => {
            return Err(DomainError::Invalid(
                "a spend budget needs its currency_code".into(),
            ));
        }
        (_, Some(code)) => Some(valid_currency_code(code)?),
        (_, None) => None,
    };
    Ok(Budget {
        currency_code,
        ..budget
    })
}

fn check_limit(limit: Option<i64>) -> Result<(), DomainError> {
    if limit.is_some_and(|limit| limit < 1) {
        return Err(DomainError::Invalid(
            "a budget's limit is a positive number".into(),
        ));
    }
    Ok(())
}

fn checked_campaign(mut c: campaign::Model) -> Result<campaign::Model, DomainError> {
    c.name = c.name.trim().to_owned();
    c.campaign_identifier = c.campaign_identifier.trim().to_owned();
    c.description = c
        .description
        .map(|d| d.trim().to_owned())
        .filter(|d| !d.is_empty());
    if c.name.is_empty() {
        return Err(DomainError::Invalid("a campaign needs a name".into()));
    }
    if c.campaign_identifier.is_empty() {
        return Err(DomainError::Invalid(
            "a campaign needs a campaign_identifier".into(),
        ));
    }
    if let (Some(starts), Some(ends)) = (c.starts_at, c.ends_at)
        && ends <= starts
    {
        return Err(DomainError::Invalid(
            "a campaign ends after it starts (ends_at is before starts_at)".into(),
        ));
    }
    Ok(c)
}

async fn check_identifier_is_free(
    db: &impl ConnectionTrait,
    identifier: &str,
    except: Option<&str>,
) -> Result<(), DomainError> {
    let taken = campaign::Entity::find()
        .filter(campaign::Column::CampaignIdentifier.eq(identifier))
        .one(db)
        .await?
        .is_some_and(|c| Some(c.id.as_str()) != except);
    if taken {
        return Err(DomainError::Conflict(format!(
            "a campaign with identifier {identifier} already exists"
        )));
    }
    Ok(())
}
