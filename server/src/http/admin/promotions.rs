//! `/admin/promotions` and `/admin/campaigns`, in Medusa v2's shapes: a
//! promotion's discount is its `application_method` (a percentage as a
//! number of percent, a fixed amount in major units of its currency), a
//! campaign's window and budget apply to every promotion in it.

use axum::{
    Json,
    extract::{Path, State, rejection::JsonRejection},
};
use chrono::{DateTime, Utc};
use domain::{
    carts::totals::{DiscountTarget, DiscountValue},
    pricing::money::{to_major_units, to_minor_units},
    promotions::{
        self, Budget, CampaignChanges, NewCampaign, NewPromotion, PromotionChanges, campaign,
        promotion,
    },
};
use serde::{Deserialize, Serialize};

use super::{Deleted, LinkBatch, Listing, one, present};
use crate::{
    http::{auth::AuthenticatedAdmin, error::ApiError, params::Params},
    state::AppState,
};

/// Medusa's `AdminPromotion`, with our usage limit and count.
#[derive(Serialize)]
pub struct AdminPromotion {
    id: String,
    code: String,
    /// Always `standard`: buy-X-get-Y promotions are not supported yet.
    #[serde(rename = "type")]
    kind: &'static str,
    is_automatic: bool,
    is_tax_inclusive: bool,
    status: promotion::Status,
    campaign_id: Option<String>,
    campaign: Option<AdminCampaign>,
    application_method: ApplicationMethod,
    rules: [(); 0],
    usage_limit: Option<i32>,
    used_count: i32,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    deleted_at: Option<DateTime<Utc>>,
}

#[derive(Serialize)]
pub struct ApplicationMethod {
    id: String,
    #[serde(rename = "type")]
    kind: promotion::ValueType,
    /// `items` (each unit) or `order` (the items together).
    target_type: DiscountTarget,
    /// `each` for items, `across` for the order.
    allocation: &'static str,
    /// Percent (10 for 10 %), or major units of `currency_code`.
    value: f64,
    currency_code: Option<String>,
    max_quantity: Option<i64>,
    target_rules: [(); 0],
    buy_rules: [(); 0],
}

/// Medusa's `AdminCampaign`; budget amounts of a spend budget in major units.
#[derive(Serialize)]
pub struct AdminCampaign {
    id: String,
    name: String,
    campaign_identifier: String,
    description: Option<String>,
    starts_at: Option<DateTime<Utc>>,
    ends_at: Option<DateTime<Utc>>,
    budget: Option<CampaignBudget>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    deleted_at: Option<DateTime<Utc>>,
}

#[derive(Serialize)]
pub struct CampaignBudget {
    id: String,
    #[serde(rename = "type")]
    kind: campaign::BudgetType,
    currency_code: Option<String>,
    limit: Option<f64>,
    used: f64,
}

#[derive(Deserialize)]
pub struct PromotionBody {
    code: Option<String>,
    #[serde(rename = "type")]
    kind: Option<String>,
    status: Option<promotion::Status>,
    is_automatic: Option<bool>,
    #[serde(default, deserialize_with = "present")]
    campaign_id: Option<Option<String>>,
    application_method: Option<ApplicationMethodBody>,
    #[serde(default)]
    rules: Vec<serde_json::Value>,
    #[serde(default, deserialize_with = "present")]
    usage_limit: Option<Option<i32>>,
}

#[derive(Deserialize)]
pub struct ApplicationMethodBody {
    #[serde(rename = "type")]
    kind: Option<promotion::ValueType>,
    target_type: Option<String>,
    allocation: Option<String>,
    value: Option<f64>,
    currency_code: Option<String>,
    #[serde(default)]
    target_rules: Vec<serde_json::Value>,
    #[serde(default)]
    buy_rules: Vec<serde_json::Value>,
}

impl PromotionBody {
    /// Refuses what we cannot honour rather than drop it: a promotion saved
    /// without the rules that were meant to narrow it would give away more.
    fn check_supported(&self) -> Result<(), ApiError> {
        if self.kind.as_deref().is_some_and(|k| k != "standard") {
            return Err(ApiError::invalid_data(
                "only standard promotions are supported yet (type: standard)",
            ));
        }
        let method_rules = self
            .application_method
            .as_ref()
            .is_some_and(|m| !m.target_rules.is_empty() || !m.buy_rules.is_empty());
        if !self.rules.is_empty() || method_rules {
            return Err(ApiError::invalid_data(
                "promotion rules are not supported yet: a promotion applies to every cart",
            ));
        }
        Ok(())
    }
}

impl ApplicationMethodBody {
    fn target(&self) -> Result<Option<DiscountTarget>, ApiError> {
        Ok(
            match (self.target_type.as_deref(), self.allocation.as_deref()) {
                (None, None) => None,
                (Some("order"), _) | (Some("items") | None, Some("across")) => {
                    Some(DiscountTarget::Order)
                }
                (Some("items"), Some("each") | None) | (None, Some("each")) => {
                    Some(DiscountTarget::EachItem)
                }
                (Some("shipping_methods"), _) => {
                    return Err(ApiError::invalid_data(
                        "promotions on shipping are not supported yet: target_type is items or order",
                    ));
                }
                (target, allocation) => {
                    return Err(ApiError::invalid_data(format!(
                        "{target:?} with allocation {allocation:?} is not a promotion target: \
                         target_type is items or order, allocation each or across"
                    )));
                }
            },
        )
    }

    /// The value as stored, for a method of `kind` in `currency`.
    fn value(
        &self,
        kind: promotion::ValueType,
        currency: Option<&str>,
    ) -> Result<Option<DiscountValue>, ApiError> {
        let Some(value) = self.value else {
            return Ok(None);
        };
        Ok(Some(match kind {
            promotion::ValueType::Percentage => promotions::percentage_off(value)?,
            promotion::ValueType::Fixed => {
                let currency = currency.ok_or_else(|| {
                    ApiError::invalid_data("a fixed amount off needs its currency_code")
                })?;
                DiscountValue::Fixed(to_minor_units(value, currency)?)
            }
        }))
    }
}

pub async fn list(
    _admin: AuthenticatedAdmin,
    State(state): State<AppState>,
    params: Params,
) -> Result<Json<Listing<AdminPromotion>>, ApiError> {
    let (offset, limit) = params.page()?;
    let q = params.text("q")?;
    let campaign_id = params.text("campaign_id")?;
    let page = promotions::list_promotion_page(
        &state.db,
        q.as_deref(),
        campaign_id.as_deref(),
        offset,
        limit,
    )
    .await?;
    Ok(Listing::of("promotions", page, |p| {
        AdminPromotion::of(p, None)
    }))
}

pub async fn retrieve(
    _admin: AuthenticatedAdmin,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<serde_json::Value>, ApiError> {
    promotion_response(&state, promotions::find_promotion(&state.db, &id).await?).await
}

pub async fn create(
    _admin: AuthenticatedAdmin,
    State(state): State<AppState>,
    body: Result<Json<PromotionBody>, JsonRejection>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let Json(body) = body?;
    body.check_supported()?;
    let method = body
        .application_method
        .as_ref()
        .ok_or_else(|| ApiError::invalid_data("a promotion needs its application_method"))?;
    let kind = method
        .kind
        .ok_or_else(|| ApiError::invalid_data("application_method.type is percentage or fixed"))?;
    let value = method
        .value(kind, method.currency_code.as_deref())?
        .ok_or_else(|| ApiError::invalid_data("application_method.value is required"))?;
    let new = NewPromotion {
        code: body.code.clone().unwrap_or_default(),
        status: body.status.unwrap_or(promotion::Status::Draft),
        is_automatic: body.is_automatic.unwrap_or(false),
        value,
        target: method.target()?.unwrap_or(DiscountTarget::Order),
        currency_code: method.currency_code.clone(),
        usage_limit: body.usage_limit.flatten(),
        campaign_id: body.campaign_id.flatten(),
    };
    promotion_response(&state, promotions::create_promotion(&state.db, new).await?).await
}

pub async fn update(
    _admin: AuthenticatedAdmin,
    State(state): State<AppState>,
    Path(id): Path<String>,
    body: Result<Json<PromotionBody>, JsonRejection>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let Json(body) = body?;
    body.check_supported()?;
    let mut changes = PromotionChanges {
        code: body.code,
        status: body.status,
        is_automatic: body.is_automatic,
        usage_limit: body.usage_limit,
        campaign_id: body.campaign_id,
        ..Default::default()
    };
    if let Some(method) = &body.application_method {
        let current = promotions::find_promotion(&state.db, &id).await?;
        let kind = method.kind.unwrap_or(current.value_type);
        let currency = method
            .currency_code
            .clone()
            .or_else(|| current.currency_code.clone());
        changes.target = method.target()?;
        changes.value = match method.value(kind, currency.as_deref())? {
            Some(value) => Some(value),
            None if kind != current.value_type => {
                return Err(ApiError::invalid_data(
                    "a promotion's type changes with its value: send application_method.value too",
                ));
            }
            None => None,
        };
        changes.currency_code = method.currency_code.clone();
    }
    promotion_response(
        &state,
        promotions::update_promotion(&state.db, &id, changes).await?,
    )
    .await
}

pub async fn delete(
    _admin: AuthenticatedAdmin,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<Deleted>, ApiError> {
    promotions::delete_promotion(&state.db, &id).await?;
    Ok(Deleted::of("promotion", id))
}

async fn promotion_response(
    state: &AppState,
    promotion: promotion::Model,
) -> Result<Json<serde_json::Value>, ApiError> {
    let campaign = match &promotion.campaign_id {
        Some(id) => Some(promotions::find_campaign(&state.db, id).await?),
        None => None,
    };
    Ok(one("promotion", AdminPromotion::of(promotion, campaign)))
}

impl AdminPromotion {
    fn of(p: promotion::Model, campaign: Option<campaign::Model>) -> Self {
        let value = match (p.value_type, p.currency_code.as_deref()) {
            (promotion::ValueType::Percentage, _) => p.value as f64 / 100.0,
            (promotion::ValueType::Fixed, currency) => {
                to_major_units(p.value, currency.unwrap_or("eur"))
            }
        };
        Self {
            application_method: ApplicationMethod {
                id: format!("{}_method", p.id),
                kind: p.value_type,
                target_type: p.target_type,
                allocation: match p.target_type {
                    DiscountTarget::EachItem => "each",
                    DiscountTarget::Order => "across",
                },
                value,
                currency_code: p.currency_code,
                max_quantity: None,
                target_rules: [],
                buy_rules: [],
            },
            id: p.id,
            code: p.code,
            kind: "standard",
            is_automatic: p.is_automatic,
            is_tax_inclusive: false,
            status: p.status,
            campaign_id: p.campaign_id,
            campaign: campaign.map(AdminCampaign::from),
            rules: [],
            usage_limit: p.usage_limit,
            used_count: p.used_count,
            created_at: p.created_at,
            updated_at: p.updated_at,
            deleted_at: None,
        }
    }
}

#[derive(Deserialize)]
pub struct CampaignBody {
    name: Option<String>,
    campaign_identifier: Option<String>,
    #[serde(default, deserialize_with = "present")]
    description: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    starts_at: Option<Option<DateTime<Utc>>>,
    #[serde(default, deserialize_with = "present")]
    ends_at: Option<Option<DateTime<Utc>>>,
    budget: Option<BudgetBody>,
}

#[derive(Deserialize)]
pub struct BudgetBody {
    #[serde(rename = "type")]
    kind: Option<campaign::BudgetType>,
    #[serde(default, deserialize_with = "present")]
    limit: Option<Option<f64>>,
    currency_code: Option<String>,
}

impl BudgetBody {
    /// The limit in stored units: orders, or minor units of `currency`.
    fn limit(
        &self,
        kind: campaign::BudgetType,
        currency: Option<&str>,
    ) -> Result<Option<Option<i64>>, ApiError> {
        let Some(limit) = self.limit else {
            return Ok(None);
        };
        let Some(limit) = limit else {
            return Ok(Some(None));
        };
        Ok(Some(Some(match kind {
            campaign::BudgetType::Usage if limit.fract() == 0.0 && limit.is_finite() => {
                limit.clamp(-1.0, 1e15) as i64
            }
            campaign::BudgetType::Usage => {
                return Err(ApiError::invalid_data(format!(
                    "a usage budget counts orders: {limit} is not a whole number"
                )));
            }
            campaign::BudgetType::Spend => {
                let currency = currency.ok_or_else(|| {
                    ApiError::invalid_data("a spend budget needs its currency_code")
                })?;
                to_minor_units(limit, currency)?
            }
        })))
    }
}

pub async fn list_campaigns(
    _admin: AuthenticatedAdmin,
    State(state): State<AppState>,
    params: Params,
) -> Result<Json<Listing<AdminCampaign>>, ApiError> {
    let (offset, limit) = params.page()?;
    let q = params.text("q")?;
    let page = promotions::list_campaign_page(&state.db, q.as_deref(), offset, limit).await?;
    Ok(Listing::of("campaigns", page, AdminCampaign::from))
}

pub async fn retrieve_campaign(
    _admin: AuthenticatedAdmin,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<serde_json::Value>, ApiError> {
    campaign_response(&state, &id).await
}

pub async fn create_campaign(
    _admin: AuthenticatedAdmin,
    State(state): State<AppState>,
    body: Result<Json<CampaignBody>, JsonRejection>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let Json(body) = body?;
    let budget = match &body.budget {
        Some(budget) => {
            let kind = budget.kind.unwrap_or(campaign::BudgetType::Usage);
            Some(Budget {
                kind,
                limit: budget
                    .limit(kind, budget.currency_code.as_deref())?
                    .flatten(),
                currency_code: budget.currency_code.clone(),
            })
        }
        None => None,
    };
    let new = NewCampaign {
        name: body.name.unwrap_or_default(),
        campaign_identifier: body.campaign_identifier.unwrap_or_default(),
        description: body.description.flatten(),
        starts_at: body.starts_at.flatten(),
        ends_at: body.ends_at.flatten(),
        budget,
    };
    let created = promotions::create_campaign(&state.db, new).await?;
    campaign_response(&state, &created.id).await
}

pub async fn update_campaign(
    _admin: AuthenticatedAdmin,
    State(state): State<AppState>,
    Path(id): Path<String>,
    body: Result<Json<CampaignBody>, JsonRejection>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let Json(body) = body?;
    let budget_limit = match &body.budget {
        Some(budget) => {
            let current = promotions::find_campaign(&state.db, &id).await?;
            let kind = current.budget_type.unwrap_or(campaign::BudgetType::Usage);
            if budget.kind.is_some_and(|k| Some(k) != current.budget_type) {
                return Err(ApiError::invalid_data(
                    "a campaign's budget type is set when it is created",
                ));
            }
            budget.limit(kind, current.budget_currency_code.as_deref())?
        }
        None => None,
    };
    let changes = CampaignChanges {
        name: body.name,
        campaign_identifier: body.campaign_identifier,
        description: body.description,
        starts_at: body.starts_at,
        ends_at: body.ends_at,
        budget_limit,
    };
    promotions::update_campaign(&state.db, &id, changes).await?;
    campaign_response(&state, &id).await
}

pub async fn delete_campaign(
    _admin: AuthenticatedAdmin,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<Deleted>, ApiError> {
    promotions::delete_campaign(&state.db, &id).await?;
    Ok(Deleted::of("campaign", id))
}

/// Puts promotions in the campaign (`add`) and takes them out (`remove`).
pub async fn batch_promotions(
    _admin: AuthenticatedAdmin,
    State(state): State<AppState>,
    Path(id): Path<String>,
    body: Result<Json<LinkBatch>, JsonRejection>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let Json(batch) = body?;
    promotions::change_campaign_promotions(&state.db, &id, &batch.add, &batch.remove).await?;
    campaign_response(&state, &id).await
}

/// The campaign with its promotions (the first page: a campaign has a few).
async fn campaign_response(
    state: &AppState,
    id: &str,
) -> Result<Json<serde_json::Value>, ApiError> {
    let campaign = promotions::find_campaign(&state.db, id).await?;
    let in_it = promotions::list_promotion_page(&state.db, None, Some(id), 0, 100).await?;
    let mut body = serde_json::to_value(AdminCampaign::from(campaign)).unwrap_or_default();
    body["promotions"] = serde_json::to_value(
        in_it
            .items
            .into_iter()
            .map(|p| AdminPromotion::of(p, None))
            .collect::<Vec<_>>(),
    )
    .unwrap_or_default();
    Ok(one("campaign", body))
}

impl From<campaign::Model> for AdminCampaign {
    fn from(c: campaign::Model) -> Self {
        let amount = |v: i64| match (c.budget_type, c.budget_currency_code.as_deref()) {
            (Some(campaign::BudgetType::Spend), Some(currency)) => to_major_units(v, currency),
            _ => v as f64,
        };
        let budget = c.budget_type.map(|kind| CampaignBudget {
            id: format!("{}_budget", c.id),
            kind,
            currency_code: c.budget_currency_code.clone(),
            limit: c.budget_limit.map(amount),
            used: amount(c.budget_used),
        });
        Self {
            budget,
            id: c.id,
            name: c.name,
            campaign_identifier: c.campaign_identifier,
            description: c.description,
            starts_at: c.starts_at,
            ends_at: c.ends_at,
            created_at: c.created_at,
            updated_at: c.updated_at,
            deleted_at: None,
        }
    }
}
