//! `/admin/shipping-profiles` and `/admin/shipping-options`, Medusa v2's
//! paths and shapes. Here a service zone is a region: an option is offered
//! in one region at one flat price in its currency, fulfilled by hand
//! (`manual_manual`); a pickup option names its stock location (a machine)
//! in `data.stock_location_id`. Rules say whether shoppers see the option
//! (`enabled_in_store`); return options are not offered.

use std::collections::HashMap;

use axum::{
    Json,
    extract::{Path, State, rejection::JsonRejection},
};
use chrono::{DateTime, Utc};
use domain::{
    pricing::{self, RegionDetail, money},
    shipping::{
        self, NewShippingOption, OptionChanges, OptionFilter, ProfileFields, shipping_option,
        shipping_profile,
    },
};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{Deleted, Listing, one};
use crate::{
    http::{
        auth::AuthenticatedAdmin,
        error::ApiError,
        params::Params,
        store::shipping_options::{PROVIDER_ID, StoreShippingOption},
    },
    state::AppState,
};

/// Medusa's `AdminShippingProfile`.
#[derive(Serialize)]
pub struct AdminShippingProfile {
    id: String,
    name: String,
    #[serde(rename = "type")]
    kind: String,
    metadata: Option<Value>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    deleted_at: Option<DateTime<Utc>>,
}

impl From<shipping_profile::Model> for AdminShippingProfile {
    fn from(p: shipping_profile::Model) -> Self {
        Self {
            id: p.id,
            name: p.name,
            kind: p.kind,
            metadata: None,
            created_at: p.created_at,
            updated_at: p.updated_at,
            deleted_at: None,
        }
    }
}

/// Medusa's `AdminShippingOption`: the Store API's shape and what only an
/// admin sees (its zone, profile, price and rules).
#[derive(Serialize)]
pub struct AdminShippingOption {
    #[serde(flatten)]
    base: StoreShippingOption,
    service_zone: ServiceZone,
    shipping_profile: Option<AdminShippingProfile>,
    prices: Vec<OptionPrice>,
    rules: Vec<OptionRule>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    deleted_at: Option<DateTime<Utc>>,
}

/// The region an option is offered in, as Medusa's service zone.
#[derive(Serialize)]
struct ServiceZone {
    id: String,
    name: String,
    fulfillment_set_id: Option<String>,
    geo_zones: Vec<GeoZone>,
}

#[derive(Serialize)]
struct GeoZone {
    id: String,
    #[serde(rename = "type")]
    kind: &'static str,
    country_code: String,
    province_code: Option<String>,
    city: Option<String>,
    postal_expression: Option<Value>,
}

#[derive(Serialize)]
struct OptionPrice {
    id: String,
    currency_code: String,
    amount: f64,
    price_rules: Vec<PriceRule>,
    rules_count: u32,
}

#[derive(Serialize)]
struct PriceRule {
    attribute: &'static str,
    operator: &'static str,
    value: String,
}

#[derive(Serialize, Clone)]
struct OptionRule {
    id: String,
    attribute: &'static str,
    operator: &'static str,
    value: &'static str,
    shipping_option_id: String,
}

impl AdminShippingOption {
    fn new(
        option: shipping_option::Model,
        region: &RegionDetail,
        profile: Option<shipping_profile::Model>,
    ) -> Self {
        let currency = &region.region.currency_code;
        Self {
            service_zone: ServiceZone {
                id: region.region.id.clone(),
                name: region.region.name.clone(),
                fulfillment_set_id: None,
                geo_zones: region
                    .countries
                    .iter()
                    .map(|country| GeoZone {
                        id: format!("{}_{country}", region.region.id),
                        kind: "country",
                        country_code: country.clone(),
                        province_code: None,
                        city: None,
                        postal_expression: None,
                    })
                    .collect(),
            },
            shipping_profile: profile.map(AdminShippingProfile::from),
            prices: vec![OptionPrice {
                id: format!("price_{}", option.id),
                currency_code: currency.clone(),
                amount: money::to_major_units(option.amount, currency),
                price_rules: vec![PriceRule {
                    attribute: "region_id",
                    operator: "eq",
                    value: region.region.id.clone(),
                }],
                rules_count: 1,
            }],
            rules: rules_of(&option),
            created_at: option.created_at,
            updated_at: option.updated_at,
            deleted_at: None,
            base: StoreShippingOption::new(option, currency, region.region.tax_inclusive),
        }
    }
}

/// The rules an option states: whether shoppers see it, and that it is not
/// a return option. They are the option's fields, so their ids are made
/// from them.
const RULE_ATTRIBUTES: [&str; 2] = ["enabled_in_store", "is_return"];

fn rule_id(option_id: &str, attribute: &str) -> String {
    format!("sorul_{option_id}_{attribute}")
}

fn rules_of(option: &shipping_option::Model) -> Vec<OptionRule> {
    RULE_ATTRIBUTES
        .into_iter()
        .map(|attribute| OptionRule {
            id: rule_id(&option.id, attribute),
            attribute,
            operator: "eq",
            value: if attribute == "enabled_in_store" && option.enabled_in_store {
                "true"
            } else {
                "false"
            },
            shipping_option_id: option.id.clone(),
        })
        .collect()
}

/// Refused for an option without its price in `region`.
fn price_needed(region: &domain::pricing::region::Model) -> ApiError {
    ApiError::invalid_data(format!(
        "a shipping option needs its price in {}: prices: [{{\"currency_code\": \"{}\", \"amount\": …}}]",
        region.name, region.currency_code
    ))
}

/// `POST /admin/shipping-options/{id}/rules/batch`: Medusa's rule changes.
#[derive(Deserialize)]
pub struct RuleBatch {
    #[serde(default)]
    create: Vec<RuleBody>,
    #[serde(default)]
    update: Vec<RuleUpdate>,
    #[serde(default)]
    delete: Vec<String>,
}

#[derive(Deserialize)]
struct RuleUpdate {
    id: String,
    #[serde(flatten)]
    rule: RuleBody,
}

#[derive(Serialize)]
pub struct RuleBatchResult {
    created: Vec<OptionRule>,
    updated: Vec<OptionRule>,
    deleted: RulesDeleted,
}

#[derive(Serialize)]
struct RulesDeleted {
    ids: Vec<String>,
    object: &'static str,
    deleted: bool,
}

/// Medusa's shipping option type; here there are two, fixed: an option with
/// a pickup location is a pickup, any other a delivery.
#[derive(Serialize)]
pub struct ShippingOptionType {
    id: &'static str,
    label: &'static str,
    description: &'static str,
    code: &'static str,
}

const OPTION_TYPES: [ShippingOptionType; 2] = [
    ShippingOptionType {
        id: "delivery",
        label: "Delivery",
        description: "Brought to the shopper's address",
        code: "delivery",
    },
    ShippingOptionType {
        id: "pickup",
        label: "Pickup",
        description: "Collected at a machine or store",
        code: "pickup",
    },
];

#[derive(Serialize)]
pub struct FulfillmentProvider {
    id: &'static str,
    is_enabled: bool,
}

#[derive(Deserialize)]
pub struct ProfileBody {
    name: Option<String>,
    #[serde(rename = "type")]
    kind: Option<String>,
    metadata: Option<Value>,
}

impl ProfileBody {
    fn fields(self) -> Result<ProfileFields, ApiError> {
        no_metadata(self.metadata.as_ref(), "shipping profiles")?;
        Ok(ProfileFields {
            name: self.name,
            kind: self.kind,
        })
    }
}

/// What `POST /admin/shipping-options[/{id}]` takes (Medusa's fields).
#[derive(Deserialize)]
pub struct OptionBody {
    name: Option<String>,
    service_zone_id: Option<String>,
    shipping_profile_id: Option<String>,
    provider_id: Option<String>,
    price_type: Option<String>,
    #[serde(rename = "type")]
    kind: Option<OptionType>,
    type_id: Option<String>,
    prices: Option<Vec<PriceBody>>,
    rules: Option<Vec<RuleBody>>,
    data: Option<Value>,
    metadata: Option<Value>,
}

#[derive(Deserialize)]
struct OptionType {
    code: Option<String>,
}

#[derive(Deserialize)]
struct PriceBody {
    currency_code: Option<String>,
    region_id: Option<String>,
    amount: Option<f64>,
}

#[derive(Deserialize)]
struct RuleBody {
    attribute: String,
    operator: String,
    value: Value,
}

impl OptionBody {
    /// What Medusa lets a client choose and this store fixes: one provider,
    /// flat prices, no metadata.
    fn check_fixed_fields(&self) -> Result<(), ApiError> {
        if let Some(provider) = self.provider_id.as_deref().filter(|p| *p != PROVIDER_ID) {
            return Err(ApiError::invalid_data(format!(
                "fulfillment provider {provider} is not set up here: options are fulfilled by hand ({PROVIDER_ID})"
            )));
        }
        if let Some(kind) = self.price_type.as_deref().filter(|t| *t != "flat") {
            return Err(ApiError::invalid_data(format!(
                "price_type {kind} is not offered: a shipping option here has a flat price"
            )));
        }
        no_metadata(self.metadata.as_ref(), "shipping options")
    }

    /// The pickup location in `data`, checked against the type asked for.
    fn pickup_location(&self) -> Result<Option<String>, ApiError> {
        let location = match &self.data {
            None | Some(Value::Null) => None,
            Some(Value::Object(data)) => {
                if let Some(key) = data.keys().find(|k| *k != "stock_location_id") {
                    return Err(ApiError::invalid_data(format!(
                        "data.{key} is not kept: data takes stock_location_id (the pickup location)"
                    )));
                }
                match data.get("stock_location_id") {
                    None | Some(Value::Null) => None,
                    Some(Value::String(id)) if !id.trim().is_empty() => Some(id.trim().to_owned()),
                    Some(_) => {
                        return Err(ApiError::invalid_data(
                            "data.stock_location_id is the id of a stock location",
                        ));
                    }
                }
            }
            Some(_) => return Err(ApiError::invalid_data("data is an object")),
        };
        let code = self
            .kind
            .as_ref()
            .and_then(|t| t.code.as_deref())
            .or(self.type_id.as_deref());
        match (code, &location) {
            (Some("pickup"), None) => Err(ApiError::invalid_data(
                "a pickup option names where to collect in data.stock_location_id",
            )),
            (Some(code), Some(_)) if code != "pickup" => Err(ApiError::invalid_data(format!(
                "an option with a pickup location is of type pickup, not {code}"
            ))),
            _ if self.kind.is_none()
                && self
                    .type_id
                    .as_deref()
                    .is_some_and(|id| !matches!(id, "pickup" | "delivery")) =>
            {
                Err(ApiError::invalid_data(format!(
                    "there is no shipping option type {}: the types are delivery and pickup",
                    self.type_id.as_deref().unwrap_or_default()
                )))
            }
            _ => Ok(location),
        }
    }

    /// Whether shoppers see the option, from the rules sent (none: unchanged).
    fn enabled_in_store(&self) -> Result<Option<bool>, ApiError> {
        enabled_by(self.rules.iter().flatten())
    }

    /// The one price that applies in `region`, in minor units: a price for
    /// the region wins over one in its currency; a price that cannot apply
    /// is refused rather than dropped.
    fn amount_in(&self, region: &RegionDetail) -> Result<Option<i64>, ApiError> {
        let Some(prices) = &self.prices else {
            return Ok(None);
        };
        let region = &region.region;
        let (mut for_region, mut in_currency) = (None, None);
        for price in prices {
            let amount = price
                .amount
                .ok_or_else(|| ApiError::invalid_data("a price needs its amount"))?;
            let slot = match (&price.region_id, &price.currency_code) {
                (Some(id), _) if *id == region.id => &mut for_region,
                (Some(id), _) => {
                    return Err(ApiError::invalid_data(format!(
                        "a price for region {id} does not apply: the option is offered in region {}",
                        region.name
                    )));
                }
                (None, Some(code)) if code.eq_ignore_ascii_case(&region.currency_code) => {
                    &mut in_currency
                }
                (None, Some(code)) => {
                    return Err(ApiError::invalid_data(format!(
                        "a price in {code} does not apply: region {} sells in {}",
                        region.name, region.currency_code
                    )));
                }
                (None, None) => {
                    return Err(ApiError::invalid_data(
                        "a price names its currency_code or region_id",
                    ));
                }
            };
            if slot.is_some() {
                return Err(ApiError::invalid_data(
                    "one price per region and currency: the option has one flat price",
                ));
            }
            *slot = Some(money::to_minor_units(amount, &region.currency_code)?);
        }
        for_region
            .or(in_currency)
            .map(Some)
            .ok_or_else(|| price_needed(region))
    }
}

/// Whether shoppers see an option, from rules as Medusa states them (the
/// last `enabled_in_store` wins; none leaves it as it is). Only the two
/// rules this store keeps are taken, compared with `eq`.
fn enabled_by<'a>(rules: impl IntoIterator<Item = &'a RuleBody>) -> Result<Option<bool>, ApiError> {
    let mut enabled = None;
    for rule in rules {
        if rule.operator != "eq" {
            return Err(ApiError::invalid_data(format!(
                "rule operator {} is not supported here: rules compare with eq",
                rule.operator
            )));
        }
        let value = match &rule.value {
            Value::Bool(b) => *b,
            Value::String(s) if s == "true" => true,
            Value::String(s) if s == "false" => false,
            other => {
                return Err(ApiError::invalid_data(format!(
                    "rule {} takes \"true\" or \"false\", not {other}",
                    rule.attribute
                )));
            }
        };
        match rule.attribute.as_str() {
            "enabled_in_store" => enabled = Some(value),
            "is_return" if !value => {}
            "is_return" => {
                return Err(ApiError::invalid_data(
                    "return shipping options are not offered: returns come back to a machine or the store",
                ));
            }
            other => {
                return Err(ApiError::invalid_data(format!(
                    "rules on {other} are not supported here: enabled_in_store and is_return are"
                )));
            }
        }
    }
    Ok(enabled)
}

fn no_metadata(metadata: Option<&Value>, what: &str) -> Result<(), ApiError> {
    match metadata {
        None | Some(Value::Null) => Ok(()),
        Some(Value::Object(m)) if m.is_empty() => Ok(()),
        Some(_) => Err(ApiError::invalid_data(format!(
            "metadata is not kept on {what} here"
        ))),
    }
}

/// The shapes of `options`, each with its region and profile read once.
async fn shaped(
    state: &AppState,
    options: Vec<shipping_option::Model>,
) -> Result<Vec<AdminShippingOption>, ApiError> {
    let mut regions: HashMap<String, RegionDetail> = HashMap::new();
    let mut profiles: HashMap<String, Option<shipping_profile::Model>> = HashMap::new();
    let mut shaped = Vec::with_capacity(options.len());
    for option in options {
        if !regions.contains_key(&option.region_id) {
            let region = pricing::find_region(&state.db, &option.region_id).await?;
            regions.insert(option.region_id.clone(), region);
        }
        if !profiles.contains_key(&option.shipping_profile_id) {
            // Deleting a profile in use is refused; one gone all the same
            // (a race) shows as none rather than failing the list.
            let profile = match shipping::profiles::find_profile(
                &state.db,
                &option.shipping_profile_id,
            )
            .await
            {
                Ok(profile) => Some(profile),
                Err(domain::DomainError::NotFound { .. }) => None,
                Err(e) => return Err(e.into()),
            };
            profiles.insert(option.shipping_profile_id.clone(), profile);
        }
        let profile = profiles[&option.shipping_profile_id].clone();
        let region = &regions[&option.region_id];
        shaped.push(AdminShippingOption::new(option, region, profile));
    }
    Ok(shaped)
}

async fn option_response(
    state: &AppState,
    option: shipping_option::Model,
) -> Result<Json<Value>, ApiError> {
    let shaped = shaped(state, vec![option]).await?;
    Ok(one("shipping_option", shaped.into_iter().next()))
}

pub async fn list_options(
    _admin: AuthenticatedAdmin,
    State(state): State<AppState>,
    params: Params,
) -> Result<Json<Listing<AdminShippingOption>>, ApiError> {
    let (offset, limit) = params.page()?;
    let filter = OptionFilter {
        region_id: params.text("service_zone_id")?,
        stock_location_id: params.text("stock_location_id")?,
        shipping_profile_id: params.text("shipping_profile_id")?,
        q: params.text("q")?,
    };
    // No option here is a return option: asked for those, the list is empty.
    let page = if params.text("is_return")?.as_deref() == Some("true") {
        domain::paging::Page {
            items: Vec::new(),
            count: 0,
            offset,
            limit,
        }
    } else {
        shipping::list_option_page(&state.db, &filter, offset, limit).await?
    };
    let domain::paging::Page {
        items,
        count,
        offset,
        limit,
    } = page;
    let items = shaped(&state, items).await?;
    Ok(Listing::new(
        "shipping_options",
        domain::paging::Page {
            items,
            count,
            offset,
            limit,
        },
    ))
}

pub async fn retrieve_option(
    _admin: AuthenticatedAdmin,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let option = shipping::find_option(&state.db, &id).await?;
    option_response(&state, option).await
}

pub async fn create_option(
    _admin: AuthenticatedAdmin,
    State(state): State<AppState>,
    body: Result<Json<OptionBody>, JsonRejection>,
) -> Result<Json<Value>, ApiError> {
    let Json(body) = body?;
    body.check_fixed_fields()?;
    let zone = body.service_zone_id.as_deref().ok_or_else(|| {
        ApiError::invalid_data("service_zone_id is required: the region to offer the option in")
    })?;
    let region = domain::error::referenced(
        pricing::find_region(&state.db, zone).await,
        "service zone (a region here)",
        zone,
    )?;
    let amount = body
        .amount_in(&region)?
        .ok_or_else(|| price_needed(&region.region))?;
    let new = NewShippingOption {
        name: body.name.clone().unwrap_or_default(),
        region_id: region.region.id.clone(),
        amount,
        stock_location_id: body.pickup_location()?,
        shipping_profile_id: body.shipping_profile_id.clone(),
        enabled_in_store: body.enabled_in_store()?.unwrap_or(true),
    };
    let option = shipping::create_option(&state.db, new).await?;
    option_response(&state, option).await
}

pub async fn update_option(
    _admin: AuthenticatedAdmin,
    State(state): State<AppState>,
    Path(id): Path<String>,
    body: Result<Json<OptionBody>, JsonRejection>,
) -> Result<Json<Value>, ApiError> {
    let Json(body) = body?;
    body.check_fixed_fields()?;
    let option = shipping::find_option(&state.db, &id).await?;
    if body
        .service_zone_id
        .as_deref()
        .is_some_and(|zone| zone != option.region_id)
    {
        return Err(ApiError::invalid_data(
            "an option stays in its service zone (region): create one in the other",
        ));
    }
    if body.data.is_some() && body.pickup_location()? != option.stock_location_id {
        return Err(ApiError::invalid_data(
            "an option's pickup location stays: create one for the other location",
        ));
    }
    let region = pricing::find_region(&state.db, &option.region_id).await?;
    let changes = OptionChanges {
        name: body.name.clone(),
        amount: body.amount_in(&region)?,
        shipping_profile_id: body.shipping_profile_id.clone(),
        enabled_in_store: body.enabled_in_store()?,
    };
    let option = shipping::update_option(&state.db, &id, changes).await?;
    option_response(&state, option).await
}

pub async fn delete_option(
    _admin: AuthenticatedAdmin,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<Deleted>, ApiError> {
    shipping::delete_option(&state.db, &id).await?;
    Ok(Deleted::of("shipping_option", id))
}

pub async fn list_profiles(
    _admin: AuthenticatedAdmin,
    State(state): State<AppState>,
    params: Params,
) -> Result<Json<Listing<AdminShippingProfile>>, ApiError> {
    let (offset, limit) = params.page()?;
    let q = params.text("q")?.or(params.text("name")?);
    let kind = params.text("type")?;
    let page = shipping::profiles::list_profile_page(
        &state.db,
        q.as_deref(),
        kind.as_deref(),
        offset,
        limit,
    )
    .await?;
    Ok(Listing::of(
        "shipping_profiles",
        page,
        AdminShippingProfile::from,
    ))
}

pub async fn retrieve_profile(
    _admin: AuthenticatedAdmin,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let profile = shipping::profiles::find_profile(&state.db, &id).await?;
    Ok(one("shipping_profile", AdminShippingProfile::from(profile)))
}

pub async fn create_profile(
    _admin: AuthenticatedAdmin,
    State(state): State<AppState>,
    body: Result<Json<ProfileBody>, JsonRejection>,
) -> Result<Json<Value>, ApiError> {
    let Json(body) = body?;
    let profile = shipping::profiles::create_profile(&state.db, body.fields()?).await?;
    Ok(one("shipping_profile", AdminShippingProfile::from(profile)))
}

pub async fn update_profile(
    _admin: AuthenticatedAdmin,
    State(state): State<AppState>,
    Path(id): Path<String>,
    body: Result<Json<ProfileBody>, JsonRejection>,
) -> Result<Json<Value>, ApiError> {
    let Json(body) = body?;
    let profile = shipping::profiles::update_profile(&state.db, &id, body.fields()?).await?;
    Ok(one("shipping_profile", AdminShippingProfile::from(profile)))
}

pub async fn delete_profile(
    _admin: AuthenticatedAdmin,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<Deleted>, ApiError> {
    shipping::profiles::delete_profile(&state.db, &id).await?;
    Ok(Deleted::of("shipping_profile", id))
}

pub async fn batch_rules(
    _admin: AuthenticatedAdmin,
    State(state): State<AppState>,
    Path(id): Path<String>,
    body: Result<Json<RuleBatch>, JsonRejection>,
) -> Result<Json<RuleBatchResult>, ApiError> {
    let Json(batch) = body?;
    let option = shipping::find_option(&state.db, &id).await?;
    let known = |rule_id: &str| {
        RULE_ATTRIBUTES
            .into_iter()
            .find(|attribute| self::rule_id(&option.id, attribute) == rule_id)
            .ok_or_else(|| {
                ApiError::invalid_data(format!(
                    "shipping option {} has no rule {rule_id}",
                    option.name
                ))
            })
    };
    for update in &batch.update {
        let attribute = known(&update.id)?;
        if attribute != update.rule.attribute {
            return Err(ApiError::invalid_data(format!(
                "rule {} is on {attribute}, not {}",
                update.id, update.rule.attribute
            )));
        }
    }
    // A rule deleted no longer holds the option back (Medusa: no rule, no limit).
    let mut enabled = None;
    for rule_id in &batch.delete {
        if known(rule_id)? == "enabled_in_store" {
            enabled = Some(true);
        }
    }
    let sent = batch
        .create
        .iter()
        .chain(batch.update.iter().map(|u| &u.rule));
    if let Some(set) = enabled_by(sent)? {
        enabled = Some(set);
    }
    let option = match enabled {
        Some(enabled) => {
            let changes = OptionChanges {
                enabled_in_store: Some(enabled),
                ..Default::default()
            };
            shipping::update_option(&state.db, &id, changes).await?
        }
        None => option,
    };
    let rules = rules_of(&option);
    let stated = |attribute: &str| rules.iter().find(|r| r.attribute == attribute).cloned();
    Ok(Json(RuleBatchResult {
        created: batch
            .create
            .iter()
            .filter_map(|r| stated(&r.attribute))
            .collect(),
        updated: batch
            .update
            .iter()
            .filter_map(|u| stated(&u.rule.attribute))
            .collect(),
        deleted: RulesDeleted {
            ids: batch.delete,
            object: "shipping_option_rule",
            deleted: true,
        },
    }))
}

pub async fn list_option_types(
    _admin: AuthenticatedAdmin,
    params: Params,
) -> Result<Json<Value>, ApiError> {
    let (offset, limit) = params.page()?;
    let types: Vec<&ShippingOptionType> = OPTION_TYPES
        .iter()
        .skip(usize::try_from(offset).unwrap_or(usize::MAX))
        .take(usize::try_from(limit).unwrap_or(usize::MAX))
        .collect();
    Ok(Json(serde_json::json!({
        "shipping_option_types": types,
        "count": OPTION_TYPES.len(),
        "offset": offset,
        "limit": limit,
    })))
}

pub async fn retrieve_option_type(
    _admin: AuthenticatedAdmin,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let kind = OPTION_TYPES
        .iter()
        .find(|t| t.id == id)
        .ok_or_else(|| domain::DomainError::not_found("Shipping option type", id))?;
    Ok(one("shipping_option_type", kind))
}

pub async fn list_fulfillment_providers(
    _admin: AuthenticatedAdmin,
    params: Params,
) -> Result<Json<Value>, ApiError> {
    let (offset, limit) = params.page()?;
    let providers: Vec<FulfillmentProvider> = std::iter::once(FulfillmentProvider {
        id: PROVIDER_ID,
        is_enabled: true,
    })
    .skip(usize::try_from(offset).unwrap_or(usize::MAX))
    .collect();
    Ok(Json(serde_json::json!({
        "fulfillment_providers": providers,
        "count": 1,
        "offset": offset,
        "limit": limit,
    })))
}
