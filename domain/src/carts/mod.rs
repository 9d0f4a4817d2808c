//! Shopping carts: line items, the region (currency and tax), the sales
//! channel, addresses, a shipping method, promotions and a tip. Prices are
//! copied onto the line when it is added, so a later price change never
//! alters a cart behind the shopper. Totals are computed on every read by
//! [`totals::compute`], never stored.

pub mod cart;
mod channel;
mod group_commit;
pub mod line_item;
pub mod shipping_method;
pub mod totals;

use chrono::SubsecRound;
use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, FromQueryResult,
    IntoActiveModel, QueryFilter, QueryOrder, QuerySelect, QueryTrait, Set, TransactionSession,
    sea_query::{Expr, ExprTrait, IntoColumnRef, IntoIden, Query, SelectStatement},
};
use serde::{Deserialize, Serialize};

pub use channel::{cart_of_payment_collection, sales_channel_of};
pub use group_commit::CartWriter;

use crate::{
    DomainError, catalog, channels,
    credentials::Email,
    customers::customer,
    ids::new_id,
    inventory,
    pricing::{self, RegionDetail, region},
    promotions::{self, promotion},
    shipping,
};

/// The code under which loyalty rewards show among a cart's discounts.
pub const LOYALTY_DISCOUNT: &str = "LOYALTY";

pub const MAX_LINE_QUANTITY: i32 = 999;

/// A shipping or billing address as the shopper typed it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Address {
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub company: Option<String>,
    pub address_1: Option<String>,
    pub address_2: Option<String>,
    pub city: Option<String>,
    pub country_code: Option<String>,
    pub province: Option<String>,
    pub postal_code: Option<String>,
    pub phone: Option<String>,
    pub metadata: Option<serde_json::Map<String, serde_json::Value>>,
}

/// What is wrong with one field of an address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AddressProblem {
    /// The [`Address`] field's name.
    pub field: &'static str,
    pub message: String,
}

/// The longest postal code taken (the UK's and Canada's have 7 or 8 characters).
const MAX_POSTAL_CODE: usize = 10;

impl Address {
    /// What a parcel needs that this address lacks, field by field; empty when
    /// it can be delivered to one of `countries` (the region's). Only the web
    /// storefront insists: the Store API takes partial addresses, as Medusa's does.
    pub fn delivery_problems(&self, countries: &[String]) -> Vec<AddressProblem> {
        fn given(value: &Option<String>) -> Option<&str> {
            value.as_deref().map(str::trim).filter(|v| !v.is_empty())
        }
        let mut problems = Vec::new();
        let mut problem = |field, message: String| problems.push(AddressProblem { field, message });
        for (field, value, missing) in [
            ("first_name", &self.first_name, "Enter a first name"),
            ("last_name", &self.last_name, "Enter a last name"),
            (
                "address_1",
                &self.address_1,
                "Enter the street and house number",
            ),
            ("city", &self.city, "Enter a city"),
        ] {
            if given(value).is_none() {
                problem(field, missing.to_owned());
            }
        }
        match given(&self.postal_code) {
            None => problem("postal_code", "Enter a postal code".to_owned()),
            Some(code)
                if code.len() > MAX_POSTAL_CODE
                    || !code
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == ' ' || c == '-') =>
            {
                problem("postal_code", format!("{code} is not a postal code"));
            }
            Some(_) => {}
        }
        match given(&self.country_code) {
            None => problem("country_code", "Choose a country".to_owned()),
            Some(code) if !countries.iter().any(|c| c.eq_ignore_ascii_case(code)) => {
                problem(
                    "country_code",
                    format!("We do not deliver to {}", code.to_uppercase()),
                );
            }
            Some(_) => {}
        }
        problems
    }
}

#[derive(Debug, Clone)]
pub struct CartDetail {
    pub cart: cart::Model,
    pub items: Vec<line_item::Model>,
    pub region: Option<RegionDetail>,
    pub shipping_method: Option<shipping_method::Model>,
    pub promotions: Vec<promotion::Model>,
    /// A loyalty session is open on the cart: its rewards follow the lines.
    pub has_loyalty_session: bool,
    pub totals: totals::CartTotals,
}

impl CartDetail {
    /// The detail of `cart` with these parts, its totals computed; a loyalty
    /// discount is given when the cart has a loyalty session.
    fn assemble(
        cart: cart::Model,
        items: Vec<line_item::Model>,
        region: Option<RegionDetail>,
        shipping_method: Option<shipping_method::Model>,
        promotions: Vec<promotion::Model>,
        loyalty_discount: Option<i64>,
    ) -> Self {
        let mut discounts: Vec<totals::Discount> =
            promotions.iter().map(promotions::discount).collect();
        if let Some(amount) = loyalty_discount.filter(|amount| *amount > 0) {
            discounts.push(totals::Discount {
                promotion_id: LOYALTY_DISCOUNT.into(),
                code: LOYALTY_DISCOUNT.into(),
                value: totals::DiscountValue::Fixed(amount),
                target: totals::DiscountTarget::Order,
            });
        }
        let totals = totals::compute(&totals::TotalsInput {
            tax: totals::Tax::of_region(region.as_ref().map(|r| &r.region)),
            lines: items
                .iter()
                .map(|i| totals::LineInput {
                    id: i.id.clone(),
                    unit_price: i.unit_price,
                    quantity: i.quantity,
                })
                .collect(),
            discounts,
            shipping: shipping_method.as_ref().map(|m| m.amount),
            tip: cart.tip,
        });
        Self {
            cart,
            items,
            region,
            shipping_method,
            promotions,
            has_loyalty_session: loyalty_discount.is_some(),
            totals,
        }
    }

    /// A cart just created, without items or anything else beside its row.
    fn empty(cart: cart::Model, region: Option<RegionDetail>) -> Self {
        Self::assemble(cart, vec![], region, None, vec![], None)
    }

    /// This cart, read before a change that wrote `line` at `at` and
    /// nothing else (no loyalty session follows its lines), as reading it
    /// afterwards would find it.
    fn with_line_written(self, line: line_item::Model, at: chrono::DateTime<Utc>) -> Self {
        let CartDetail {
            mut cart,
            mut items,
            region,
            shipping_method,
            promotions,
            ..
        } = self;
        cart.updated_at = at;
        match items.iter_mut().find(|l| l.id == line.id) {
            Some(kept) => *kept = line,
            None => items.push(line),
        }
        Self::assemble(cart, items, region, shipping_method, promotions, None)
    }

    pub fn item_count(&self) -> i64 {
        self.items.iter().map(|i| i64::from(i.quantity)).sum()
    }

    pub fn shipping_address(&self) -> Option<Address> {
        parse_json(self.cart.shipping_address.as_deref())
    }

    pub fn billing_address(&self) -> Option<Address> {
        parse_json(self.cart.billing_address.as_deref())
    }

    pub fn metadata(&self) -> Option<serde_json::Value> {
        parse_json(self.cart.metadata.as_deref())
    }
}

fn parse_json<T: serde::de::DeserializeOwned>(stored: Option<&str>) -> Option<T> {
    stored.and_then(|s| serde_json::from_str(s).ok())
}

fn to_json(value: &impl Serialize) -> Result<String, DomainError> {
    serde_json::to_string(value).map_err(|e| DomainError::Invalid(e.to_string()))
}

/// A completed cart became an order and takes no more changes.
pub fn ensure_open(cart: &cart::Model) -> Result<(), DomainError> {
    match cart.completed_at {
        Some(_) => Err(DomainError::Conflict(format!(
            "cart {} is already completed",
            cart.id
        ))),
        None => Ok(()),
    }
}

/// What a new cart starts with. Without a region, the store's region in
/// `currency_code` (or its first region) is taken; without a sales channel,
/// the store's first channel. Items and promotion codes are added as by
/// [`add_line_item`] and [`apply_promotions`]: one that is refused refuses the cart.
#[derive(Debug, Clone, Default)]
pub struct NewCart {
    pub region_id: Option<String>,
    pub currency_code: Option<String>,
    pub sales_channel_id: Option<String>,
    pub email: Option<Email>,
    pub customer_id: Option<String>,
    pub shipping_address: Option<Address>,
    pub billing_address: Option<Address>,
    pub metadata: Option<serde_json::Map<String, serde_json::Value>>,
    pub items: Vec<NewLineItem>,
    pub promo_codes: Vec<String>,
}

#[derive(Debug, Clone)]
pub struct NewLineItem {
    pub variant_id: String,
    pub quantity: i32,
}

impl NewCart {
    pub fn in_currency(currency_code: &str) -> Self {
        Self {
            currency_code: Some(currency_code.to_owned()),
            ..Self::default()
        }
    }
}

/// Where a new cart sells, checked: its region (if any), currency and sales
/// channel, as a [`NewCart`] asks for them.
#[derive(Debug, Clone)]
pub struct CartPlace {
    pub region: Option<RegionDetail>,
    pub currency_code: String,
    pub sales_channel_id: Option<String>,
}

impl CartPlace {
    /// The place `new` asks for: its region (else the default one for its
    /// currency), its sales channel (else the first one).
    pub async fn of(db: &impl ConnectionTrait, new: &NewCart) -> Result<Self, DomainError> {
        let region = match &new.region_id {
            Some(id) => Some(pricing::find_region(db, id).await?),
            None => pricing::default_region(db, new.currency_code.as_deref()).await?,
        };
        let currency_code = match (region.as_ref().map(|r| &r.region), &new.currency_code) {
            (Some(region), Some(code)) if !region.currency_code.eq_ignore_ascii_case(code) => {
                return Err(DomainError::Invalid(format!(
                    "region {} sells in {}, not {code}",
                    region.name, region.currency_code
                )));
            }
            (Some(region), _) => region.currency_code.clone(),
            (None, Some(code)) => code.to_lowercase(),
            (None, None) => {
                return Err(DomainError::Invalid(
                    "a cart needs a region or a currency".into(),
                ));
            }
        };
        let sales_channel_id = match &new.sales_channel_id {
            Some(id) => Some(channels::find_sales_channel(db, id).await?.id),
            None => channels::list_sales_channels(db)
                .await?
                .into_iter()
                .next()
                .map(|c| c.id),
        };
        Ok(Self {
            region,
            currency_code,
            sales_channel_id,
        })
    }
}

pub async fn create_cart(
    db: &impl crate::db::Writable,
    new: NewCart,
) -> Result<CartDetail, DomainError> {
    let place = CartPlace::of(db, &new).await?;
    create_cart_at(db, place, new).await
}

/// [`create_cart`] at a place found by [`CartPlace::of`] for the same
/// `new` (its region, currency and channel are not looked at again). Places
/// rarely change, so a caller creating many carts may keep them.
pub async fn create_cart_at(
    db: &impl crate::db::Writable,
    place: CartPlace,
    new: NewCart,
) -> Result<CartDetail, DomainError> {
    let (cart, region) = new_cart_row(db, place, &new).await?;
    if new.items.is_empty() && new.promo_codes.is_empty() {
        return insert_lone_cart(db, cart, region).await;
    }
    // Only the writes hold the database's single writer turn.
    let txn = crate::db::begin_write(db).await?;
    let cart = cart.into_active_model().reset_all().insert(&txn).await?;
    for item in &new.items {
        add_line_item(&txn, &cart.id, &item.variant_id, item.quantity).await?;
    }
    attach_promotions(&txn, &cart.id, &new.promo_codes).await?;
    txn.commit().await?;
    get_cart(db, &cart.id).await
}

/// The row of a cart `new` asks for at `place`, not yet written, and the
/// place's region.
async fn new_cart_row(
    db: &impl ConnectionTrait,
    place: CartPlace,
    new: &NewCart,
) -> Result<(cart::Model, Option<RegionDetail>), DomainError> {
    let CartPlace {
        region,
        currency_code,
        sales_channel_id,
    } = place;
    let email = match (&new.email, &new.customer_id) {
        (Some(email), _) => Some(email.to_string()),
        (None, Some(customer_id)) => Some(customer_email(db, customer_id).await?),
        (None, None) => None,
    };
    let now = now_stored();
    let cart = cart::Model {
        id: new_id("cart"),
        currency_code,
        region_id: region.as_ref().map(|r| r.region.id.clone()),
        sales_channel_id,
        email,
        customer_id: new.customer_id.clone(),
        payment_collection_id: None,
        shipping_address: new.shipping_address.as_ref().map(to_json).transpose()?,
        billing_address: new.billing_address.as_ref().map(to_json).transpose()?,
        metadata: new.metadata.as_ref().map(to_json).transpose()?,
        tip: 0,
        completed_at: None,
        completion_claimed_until: None,
        created_at: now,
        updated_at: now,
    };
    Ok((cart, region))
}

/// Writes a new cart without items: a lone insert is atomic by itself, so
/// it needs the writer turn, not a transaction, and the new cart is known
/// without reading it back.
async fn insert_lone_cart(
    db: &impl crate::db::Writable,
    cart: cart::Model,
    region: Option<RegionDetail>,
) -> Result<CartDetail, DomainError> {
    let cart = {
        let _turn = crate::db::write_turn(db).await?;
        cart.into_active_model().reset_all().insert(db).await?
    };
    Ok(CartDetail::empty(cart, region))
}

async fn with_countries(
    db: &impl ConnectionTrait,
    region: Option<region::Model>,
) -> Result<Option<RegionDetail>, DomainError> {
    Ok(match region {
        Some(region) => pricing::with_countries(db, vec![region]).await?.pop(),
        None => None,
    })
}

/// Now as the database keeps it (to the microsecond, PostgreSQL's precision),
/// so a timestamp kept in memory compares equal to the one read back.
fn now_stored() -> chrono::DateTime<Utc> {
    Utc::now().trunc_subsecs(6)
}

/// Changes to a cart; `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct CartUpdate {
    pub region_id: Option<String>,
    pub sales_channel_id: Option<String>,
    pub email: Option<Email>,
    pub customer_id: Option<String>,
    pub shipping_address: Option<Address>,
    pub billing_address: Option<Address>,
    pub metadata: Option<serde_json::Map<String, serde_json::Value>>,
    /// Minor units.
    pub tip: Option<i64>,
    /// Applied as by [`apply_promotions`].
    pub promo_codes: Vec<String>,
}

/// Changes a cart. A new region must sell in the cart's currency once the
/// cart has items (their prices were copied in it); it drops a shipping
/// method of the old region.
pub async fn update_cart(
    db: &impl crate::db::Writable,
    cart_id: &str,
    update: CartUpdate,
) -> Result<CartDetail, DomainError> {
    let txn = crate::db::begin_write(db).await?;
    open_cart_to_change(&txn, cart_id).await?;
    let current = get_cart(&txn, cart_id).await?;
    ensure_open(&current.cart)?;
    let mut active = current.cart.clone().into_active_model();
    if let Some(region_id) = &update.region_id {
        let region = pricing::find_region(&txn, region_id).await?.region;
        if region.currency_code != current.cart.currency_code && !current.items.is_empty() {
            return Err(DomainError::Invalid(format!(
                "the cart's items are priced in {}; region {} sells in {}",
                current.cart.currency_code, region.name, region.currency_code
            )));
        }
        if let Some(method) = &current.shipping_method {
            let stays = match shipping::find_option(&txn, &method.shipping_option_id).await {
                Ok(option) => option.region_id == region.id,
                Err(DomainError::NotFound { .. }) => false,
                Err(e) => return Err(e),
            };
            if !stays {
                shipping_method::Entity::delete_by_id(method.id.clone())
                    .exec(&txn)
                    .await?;
            }
        }
        active.currency_code = Set(region.currency_code.clone());
        active.region_id = Set(Some(region.id));
    }
    if let Some(channel_id) = &update.sales_channel_id {
        active.sales_channel_id = Set(Some(
            channels::find_sales_channel(&txn, channel_id).await?.id,
        ));
    }
    if let Some(email) = &update.email {
        active.email = Set(Some(email.to_string()));
    }
    if let Some(customer_id) = update.customer_id {
        if update.email.is_none() && current.cart.email.is_none() {
            active.email = Set(Some(customer_email(&txn, &customer_id).await?));
        }
        active.customer_id = Set(Some(customer_id));
    }
    if let Some(address) = &update.shipping_address {
        active.shipping_address = Set(Some(to_json(address)?));
    }
    if let Some(address) = &update.billing_address {
        active.billing_address = Set(Some(to_json(address)?));
    }
    if let Some(metadata) = &update.metadata {
        active.metadata = Set(Some(to_json(metadata)?));
    }
    if let Some(tip) = update.tip {
        if tip < 0 {
            return Err(DomainError::Invalid("a tip cannot be negative".into()));
        }
        active.tip = Set(tip);
    }
    active.updated_at = Set(Utc::now());
    active.update(&txn).await?;
    attach_promotions(&txn, cart_id, &update.promo_codes).await?;
    txn.commit().await?;
    get_cart(db, cart_id).await
}

/// The cart with its items, region, shipping method, promotions and totals.
pub async fn get_cart(db: &impl ConnectionTrait, cart_id: &str) -> Result<CartDetail, DomainError> {
    let (cart, region) = cart::Entity::find_by_id(cart_id)
        .find_also_related(region::Entity)
        .one(db)
        .await?
        .ok_or_else(|| DomainError::not_found("Cart", cart_id))?;
    let items = line_item::Entity::find()
        .filter(line_item::Column::CartId.eq(cart_id))
        .order_by_asc(line_item::Column::CreatedAt)
        .order_by_asc(line_item::Column::Id)
        .all(db)
        .await?;
    let region = with_countries(db, region).await?;
    // Most carts have no shipping method, promotion or loyalty session yet:
    // one query tells which parts to read.
    let parts = CartParts::of(db, cart_id).await?;
    let shipping_method = match parts.shipping_method {
        true => {
            shipping_method::Entity::find()
                .filter(shipping_method::Column::CartId.eq(cart_id))
                .one(db)
                .await?
        }
        false => None,
    };
    let promotions =
        promotions::of_cart(db, cart_id, &cart.currency_code, parts.promotions).await?;
    let loyalty_discount = match parts.loyalty_session {
        true => Some(crate::loyalty::discount_for_items(db, cart_id, &items).await?),
        false => None,
    };
    Ok(CartDetail::assemble(
        cart,
        items,
        region,
        shipping_method,
        promotions,
        loyalty_discount,
    ))
}

/// Which of the parts kept beside a cart's row it has.
#[derive(Debug, FromQueryResult)]
struct CartParts {
    shipping_method: bool,
    promotions: bool,
    loyalty_session: bool,
}

impl CartParts {
    async fn of(db: &impl ConnectionTrait, cart_id: &str) -> Result<Self, DomainError> {
        fn any_row(table: impl IntoIden, cart_column: impl IntoColumnRef, cart_id: &str) -> Expr {
            Expr::exists(
                Query::select()
                    .expr(Expr::val(1))
                    .from(table)
                    .and_where(Expr::col(cart_column).eq(cart_id))
                    .to_owned(),
            )
        }
        let query = Query::select()
            .expr_as(
                any_row(
                    shipping_method::Entity,
                    shipping_method::Column::CartId,
                    cart_id,
                ),
                "shipping_method",
            )
            .expr_as(
                any_row(
                    promotions::cart_promotion::Entity,
                    promotions::cart_promotion::Column::CartId,
                    cart_id,
                ),
                "promotions",
            )
            .expr_as(
                any_row(
                    crate::loyalty::session::Entity,
                    crate::loyalty::session::Column::CartId,
                    cart_id,
                ),
                "loyalty_session",
            )
            .to_owned();
        let backend = db.get_database_backend();
        CartParts::find_by_statement(backend.build(&query))
            .one(db)
            .await?
            .ok_or_else(|| DbErr::RecordNotFound("the cart's parts".into()).into())
    }
}

/// Adds `quantity` of a variant; a variant already in the cart gets its
/// quantity raised instead of a second line. The variant must be sold in the
/// cart's sales channel and priced in its currency.
pub async fn add_line_item(
    db: &impl crate::db::Writable,
    cart_id: &str,
    variant_id: &str,
    quantity: i32,
) -> Result<CartDetail, DomainError> {
    check_added_quantity(quantity)?;
    add_line_item_to(db, get_cart(db, cart_id).await?, variant_id, quantity).await
}

fn check_added_quantity(quantity: i32) -> Result<(), DomainError> {
    if !(1..=MAX_LINE_QUANTITY).contains(&quantity) {
        return Err(DomainError::Invalid(format!(
            "quantity must be between 1 and {MAX_LINE_QUANTITY}"
        )));
    }
    Ok(())
}

/// [`add_line_item`] to the cart as the caller saw it last (`seen`: read
/// just now, or kept from an earlier answer). A cart changed since is read
/// again; one moved to another sales channel meanwhile is refused, as the
/// caller may have checked it may edit the cart by its channel.
pub async fn add_line_item_to(
    db: &impl crate::db::Writable,
    seen: CartDetail,
    variant_id: &str,
    quantity: i32,
) -> Result<CartDetail, DomainError> {
    let addition = Addition::check(db, &seen, variant_id, quantity).await?;
    write_addition(db, seen, addition).await
}

/// An addition checked against the cart as seen, before any writer turn is
/// taken: SQLite has one writer, and the turn is the bottleneck.
struct Addition {
    variant_id: String,
    quantity: i32,
    /// The variant's line in the cart as seen.
    seen_line: Option<line_item::Model>,
    /// That line's quantity once the addition is made.
    total: i32,
    offer: Offer,
}

impl Addition {
    async fn check(
        db: &impl ConnectionTrait,
        seen: &CartDetail,
        variant_id: &str,
        quantity: i32,
    ) -> Result<Self, DomainError> {
        check_added_quantity(quantity)?;
        ensure_open(&seen.cart)?;
        let seen_line = seen
            .items
            .iter()
            .find(|l| l.variant_id == variant_id)
            .cloned();
        let total = line_total(seen_line.as_ref(), quantity)?;
        let offer = Offer::of(db, &seen.cart, variant_id).await?;
        offer.ensure_in_stock(total)?;
        Ok(Self {
            variant_id: variant_id.to_owned(),
            quantity,
            seen_line,
            total,
            offer,
        })
    }

    /// The new line it makes in a cart that has none of its variant.
    fn new_line(
        offer: Offer,
        cart_id: &str,
        quantity: i32,
        at: chrono::DateTime<Utc>,
    ) -> line_item::Model {
        line_item::Model {
            id: new_id("cali"),
            cart_id: cart_id.to_owned(),
            variant_id: offer.variant_id,
            product_id: offer.product_id,
            title: offer.product_title,
            variant_title: offer.variant_title,
            quantity,
            unit_price: offer.unit_price,
            created_at: at,
        }
    }
}

/// Writes a checked addition. Holding the writer turn, one conditional
/// update confirms the cart is as seen (its `updated_at` moves with every
/// change); only if it moved is it all checked again.
async fn write_addition(
    db: &impl crate::db::Writable,
    seen: CartDetail,
    addition: Addition,
) -> Result<CartDetail, DomainError> {
    let Addition {
        variant_id,
        quantity,
        seen_line,
        total,
        offer,
    } = addition;
    let cart_id = seen.cart.id.clone();
    let cart_id = cart_id.as_str();
    let txn = crate::db::begin_write(db).await?;
    let now = now_stored();
    let unchanged = touch_if_unchanged(&txn, &seen.cart, now).await?;
    let (line, offer, total) = match unchanged {
        true => (seen_line, offer, total),
        false => {
            let cart = open_cart_to_change(&txn, cart_id).await?;
            if cart.sales_channel_id != seen.cart.sales_channel_id {
                return Err(DomainError::Conflict(format!(
                    "cart {cart_id} moved to another sales channel meanwhile; add the item again"
                )));
            }
            let offer = Offer::of(&txn, &cart, &variant_id).await?;
            let line = find_line(&txn, cart_id, &variant_id).await?;
            let total = line_total(line.as_ref(), quantity)?;
            offer.ensure_in_stock(total)?;
            (line, offer, total)
        }
    };
    let written = match line {
        Some(line) => {
            let mut line = line.into_active_model();
            line.quantity = Set(total);
            line.update(&txn).await?
        }
        None => {
            Addition::new_line(offer, cart_id, quantity, now)
                .into_active_model()
                .reset_all()
                .insert(&txn)
                .await?
        }
    };
    let loyalty_follows = seen.has_loyalty_session || !unchanged;
    if loyalty_follows {
        crate::loyalty::cart_lines_changed(&txn, cart_id).await?;
    }
    txn.commit().await?;
    if loyalty_follows {
        return get_cart(db, cart_id).await;
    }
    Ok(seen.with_line_written(written, now))
}

async fn find_line(
    db: &impl ConnectionTrait,
    cart_id: &str,
    variant_id: &str,
) -> Result<Option<line_item::Model>, DomainError> {
    Ok(line_item::Entity::find()
        .filter(line_item::Column::CartId.eq(cart_id))
        .filter(line_item::Column::VariantId.eq(variant_id))
        .one(db)
        .await?)
}

/// The line's quantity once `added` more units are in it.
fn line_total(line: Option<&line_item::Model>, added: i32) -> Result<i32, DomainError> {
    let total = line.map_or(0, |line| line.quantity) + added;
    if total > MAX_LINE_QUANTITY {
        return Err(DomainError::Invalid(format!(
            "a line holds at most {MAX_LINE_QUANTITY} units"
        )));
    }
    Ok(total)
}

/// Marks the cart changed at `now` if it is open and unchanged since `seen`
/// was read; answers whether it was.
async fn touch_if_unchanged(
    db: &impl ConnectionTrait,
    seen: &cart::Model,
    now: chrono::DateTime<Utc>,
) -> Result<bool, DomainError> {
    let touched = cart::Entity::update_many()
        .col_expr(cart::Column::UpdatedAt, Expr::value(now))
        .filter(cart::Column::Id.eq(seen.id.clone()))
        .filter(cart::Column::CompletedAt.is_null())
        .filter(cart::Column::UpdatedAt.eq(seen.updated_at))
        .exec(db)
        .await?;
    Ok(touched.rows_affected == 1)
}

/// Marks the cart changed at `now`, for changes kept beside its row (a
/// loyalty session): whoever kept the cart as it was reads it again.
pub(crate) async fn touch_at(
    db: &impl ConnectionTrait,
    cart_id: &str,
    now: chrono::DateTime<Utc>,
) -> Result<(), DomainError> {
    cart::Entity::update_many()
        .col_expr(cart::Column::UpdatedAt, Expr::value(now))
        .filter(cart::Column::Id.eq(cart_id))
        .exec(db)
        .await?;
    Ok(())
}

/// A variant as a cart may buy it: sold in the cart's sales channel, at its
/// price in the cart's currency, with the units its channel has in stock.
#[derive(Clone)]
struct Offer {
    variant_id: String,
    variant_title: String,
    product_id: String,
    product_title: String,
    unit_price: i64,
    /// `None` when the variant's stock is not managed.
    available: Option<i64>,
}

/// One row answers everything a cart asks of a variant.
#[derive(Debug, FromQueryResult)]
struct OfferRow {
    variant_id: String,
    variant_title: String,
    product_id: String,
    product_title: String,
    product_status: catalog::product::Status,
    unit_price: Option<i64>,
    in_channel: bool,
    stock_managed: bool,
    in_stock: Option<i64>,
}

impl Offer {
    async fn of(
        db: &impl ConnectionTrait,
        cart: &cart::Model,
        variant_id: &str,
    ) -> Result<Offer, DomainError> {
        use catalog::{price, product, variant};
        use inventory::{inventory_item as item, inventory_level as level};
        let variant_column = Expr::col((variant::Entity, variant::Column::Id));
        let unit_price = Query::select()
            .column((price::Entity, price::Column::Amount))
            .from(price::Entity)
            .and_where(
                Expr::col((price::Entity, price::Column::VariantId)).eq(variant_column.clone()),
            )
            .and_where(
                Expr::col((price::Entity, price::Column::CurrencyCode))
                    .eq(cart.currency_code.as_str()),
            )
            .limit(1)
            .to_owned();
        let in_channel = Query::select()
            .expr(Expr::val(1))
            .from(channels::product_channel::Entity)
            .and_where(
                Expr::col((
                    channels::product_channel::Entity,
                    channels::product_channel::Column::ProductId,
                ))
                .eq(Expr::col((product::Entity, product::Column::Id))),
            )
            .and_where(
                Expr::col((
                    channels::product_channel::Entity,
                    channels::product_channel::Column::SalesChannelId,
                ))
                .eq(cart.sales_channel_id.clone()),
            )
            .to_owned();
        let stock_managed = Query::select()
            .expr(Expr::val(1))
            .from(item::Entity)
            .and_where(
                Expr::col((item::Entity, item::Column::VariantId)).eq(variant_column.clone()),
            )
            .to_owned();
        // A cart without a channel has no stock location: nothing in stock.
        let channel_locations = Query::select()
            .column(channels::channel_location::Column::StockLocationId)
            .from(channels::channel_location::Entity)
            .and_where(
                Expr::col(channels::channel_location::Column::SalesChannelId)
                    .eq(cart.sales_channel_id.clone()),
            )
            .to_owned();
        let in_stock = Query::select()
            .expr(
                Expr::col((level::Entity, level::Column::StockedQuantity))
                    .sub(Expr::col((level::Entity, level::Column::ReservedQuantity)))
                    .sum(),
            )
            .from(level::Entity)
            .inner_join(
                item::Entity,
                Expr::col((item::Entity, item::Column::Id))
                    .eq(Expr::col((level::Entity, level::Column::InventoryItemId))),
            )
            .and_where(Expr::col((item::Entity, item::Column::VariantId)).eq(variant_column))
            .and_where(
                Expr::col((level::Entity, level::Column::LocationId))
                    .in_subquery(channel_locations),
            )
            .to_owned();
        let row = variant::Entity::find_by_id(variant_id)
            .select_only()
            .inner_join(product::Entity)
            .column_as(variant::Column::Id, "variant_id")
            .column_as(variant::Column::Title, "variant_title")
            .column_as(product::Column::Id, "product_id")
            .column_as(product::Column::Title, "product_title")
            .column_as(product::Column::Status, "product_status")
            .expr_as(scalar(unit_price), "unit_price")
            .expr_as(Expr::exists(in_channel), "in_channel")
            .expr_as(Expr::exists(stock_managed), "stock_managed")
            .expr_as(scalar(in_stock), "in_stock")
            .into_model::<OfferRow>()
            .one(db)
            .await?
            .filter(|row| row.product_status == catalog::product::Status::Published)
            .ok_or_else(|| DomainError::not_found("Variant", variant_id))?;
        if cart.sales_channel_id.is_some() && !row.in_channel {
            return Err(DomainError::Invalid(format!(
                "{} is not sold in the cart's sales channel",
                row.product_title
            )));
        }
        let unit_price = row.unit_price.ok_or_else(|| {
            DomainError::Invalid(format!(
                "{} has no price in {}",
                row.product_title, cart.currency_code
            ))
        })?;
        Ok(Offer {
            variant_id: row.variant_id,
            variant_title: row.variant_title,
            product_id: row.product_id,
            product_title: row.product_title,
            unit_price,
            available: row.stock_managed.then_some(row.in_stock.unwrap_or(0)),
        })
    }

    /// Refuses more units than the cart's sales channel has available.
    fn ensure_in_stock(&self, quantity: i32) -> Result<(), DomainError> {
        check_stock(&self.product_title, self.available, quantity)
    }
}

/// A subquery answering one value.
fn scalar(query: SelectStatement) -> Expr {
    Expr::SubQuery(None, Box::new(query.into()))
}

/// Refuses more units of a stock-managed variant than the stock locations of
/// the cart's sales channel have available, as Medusa does (`not_allowed`).
/// Checkout reserves the units later, so a unit sold meanwhile is caught there.
fn check_stock(title: &str, available: Option<i64>, quantity: i32) -> Result<(), DomainError> {
    match available {
        Some(units) if units <= 0 => {
            Err(DomainError::NotAllowed(format!("{title} is out of stock")))
        }
        Some(units) if i64::from(quantity) > units => Err(DomainError::NotAllowed(format!(
            "only {units} of {title} in stock; your cart would hold {quantity}"
        ))),
        _ => Ok(()),
    }
}

/// [`check_stock`] for a variant in the cart's sales channel.
async fn ensure_in_stock(
    db: &impl ConnectionTrait,
    cart: &cart::Model,
    variant_id: &str,
    title: &str,
    quantity: i32,
) -> Result<(), DomainError> {
    let channel_ids: Vec<String> = cart.sales_channel_id.iter().cloned().collect();
    let available = inventory::available_in_channels(db, &[variant_id.to_owned()], &channel_ids)
        .await?
        .remove(variant_id);
    check_stock(title, available, quantity)
}

/// Sets a line's quantity; 0 removes the line. Raising it is refused beyond the stock.
pub async fn update_line_item(
    db: &impl crate::db::Writable,
    cart_id: &str,
    line_id: &str,
    quantity: i32,
) -> Result<CartDetail, DomainError> {
    if !(0..=MAX_LINE_QUANTITY).contains(&quantity) {
        return Err(DomainError::Invalid(format!(
            "quantity must be between 0 and {MAX_LINE_QUANTITY}"
        )));
    }
    let txn = crate::db::begin_write(db).await?;
    let cart = open_cart_to_change(&txn, cart_id).await?;
    let line = line_item::Entity::find_by_id(line_id)
        .filter(line_item::Column::CartId.eq(cart_id))
        .one(&txn)
        .await?
        .ok_or_else(|| DomainError::not_found("Line item", line_id))?;
    if quantity > line.quantity {
        ensure_in_stock(&txn, &cart, &line.variant_id, &line.title, quantity).await?;
    }
    if quantity == 0 {
        line.into_active_model().delete(&txn).await?;
    } else {
        let mut line = line.into_active_model();
        line.quantity = Set(quantity);
        line.update(&txn).await?;
    }
    crate::loyalty::cart_lines_changed(&txn, cart_id).await?;
    txn.commit().await?;
    get_cart(db, cart_id).await
}

pub async fn set_email(
    db: &impl ConnectionTrait,
    cart_id: &str,
    email: &Email,
) -> Result<(), DomainError> {
    let cart = open_cart(db, cart_id).await?;
    let mut active = cart.into_active_model();
    active.email = Set(Some(email.to_string()));
    active.updated_at = Set(Utc::now());
    active.update(db).await?;
    Ok(())
}

/// Sets the address the cart ships to, or takes it off (a pickup needs none).
pub async fn set_shipping_address(
    db: &impl ConnectionTrait,
    cart_id: &str,
    address: Option<&Address>,
) -> Result<(), DomainError> {
    let cart = open_cart(db, cart_id).await?;
    let mut active = cart.into_active_model();
    active.shipping_address = Set(address.map(to_json).transpose()?);
    active.updated_at = Set(Utc::now());
    active.update(db).await?;
    Ok(())
}

/// Ships the cart with `option_id`, replacing an earlier choice. The option
/// must belong to the cart's region; its amount is copied.
pub async fn add_shipping_method(
    db: &impl crate::db::Writable,
    cart_id: &str,
    option_id: &str,
) -> Result<CartDetail, DomainError> {
    let txn = crate::db::begin_write(db).await?;
    let cart = open_cart_to_change(&txn, cart_id).await?;
    let option = shipping::find_option(&txn, option_id).await?;
    if cart.region_id.as_deref() != Some(option.region_id.as_str()) {
        return Err(DomainError::Invalid(format!(
            "shipping option {} is not available for the cart's region",
            option.name
        )));
    }
    if !option.enabled_in_store {
        return Err(DomainError::Invalid(format!(
            "shipping option {} is not offered in the store",
            option.name
        )));
    }
    shipping_method::Entity::delete_many()
        .filter(shipping_method::Column::CartId.eq(cart_id))
        .exec(&txn)
        .await?;
    shipping_method::ActiveModel {
        id: Set(new_id("casm")),
        cart_id: Set(cart_id.to_owned()),
        shipping_option_id: Set(option.id),
        name: Set(option.name),
        amount: Set(option.amount),
        created_at: Set(Utc::now()),
    }
    .insert(&txn)
    .await?;
    txn.commit().await?;
    get_cart(db, cart_id).await
}

/// Takes shipping option `option_id` off every open cart that chose it (the
/// option is gone or kept back); their shoppers choose again. Placed orders
/// keep what they were placed with.
pub(crate) async fn drop_shipping_option(
    db: &impl ConnectionTrait,
    option_id: &str,
) -> Result<(), DomainError> {
    let choosing = || {
        shipping_method::Entity::find()
            .select_only()
            .column(shipping_method::Column::CartId)
            .filter(shipping_method::Column::ShippingOptionId.eq(option_id))
            .into_query()
    };
    // Subqueries, not id lists: abandoned carts that chose a machine's
    // pickup pile up past what one statement may bind.
    let open_choosing = cart::Entity::find()
        .select_only()
        .column(cart::Column::Id)
        .filter(cart::Column::Id.in_subquery(choosing()))
        .filter(cart::Column::CompletedAt.is_null())
        .into_query();
    // First mark them changed, so whoever kept one as it was reads it again.
    cart::Entity::update_many()
        .col_expr(cart::Column::UpdatedAt, Expr::value(Utc::now()))
        .filter(cart::Column::Id.in_subquery(choosing()))
        .filter(cart::Column::CompletedAt.is_null())
        .exec(db)
        .await?;
    shipping_method::Entity::delete_many()
        .filter(shipping_method::Column::ShippingOptionId.eq(option_id))
        .filter(shipping_method::Column::CartId.in_subquery(open_choosing))
        .exec(db)
        .await?;
    Ok(())
}

/// Applies promotion codes; all or none: one invalid code refuses them all.
pub async fn apply_promotions(
    db: &impl crate::db::Writable,
    cart_id: &str,
    codes: &[String],
) -> Result<CartDetail, DomainError> {
    let txn = crate::db::begin_write(db).await?;
    open_cart_to_change(&txn, cart_id).await?;
    attach_promotions(&txn, cart_id, codes).await?;
    txn.commit().await?;
    get_cart(db, cart_id).await
}

async fn attach_promotions(
    db: &impl ConnectionTrait,
    cart_id: &str,
    codes: &[String],
) -> Result<(), DomainError> {
    if codes.is_empty() {
        return Ok(());
    }
    let cart = open_cart(db, cart_id).await?;
    for code in codes {
        let promotion = promotions::find_usable(db, code, &cart.currency_code).await?;
        promotions::attach(db, cart_id, &promotion.id).await?;
    }
    Ok(())
}

pub async fn remove_promotions(
    db: &impl crate::db::Writable,
    cart_id: &str,
    codes: &[String],
) -> Result<CartDetail, DomainError> {
    let txn = crate::db::begin_write(db).await?;
    open_cart_to_change(&txn, cart_id).await?;
    promotions::detach(&txn, cart_id, codes).await?;
    txn.commit().await?;
    get_cart(db, cart_id).await
}

async fn open_cart(db: &impl ConnectionTrait, cart_id: &str) -> Result<cart::Model, DomainError> {
    let cart = cart::Entity::find_by_id(cart_id)
        .one(db)
        .await?
        .ok_or_else(|| DomainError::not_found("Cart", cart_id))?;
    ensure_open(&cart)?;
    Ok(cart)
}

/// Opens the cart for a change within a transaction. It is marked changed
/// first: on PostgreSQL its row then stays locked until commit, so concurrent
/// changes of one cart queue instead of each acting on the same old state.
async fn open_cart_to_change(
    txn: &impl ConnectionTrait,
    cart_id: &str,
) -> Result<cart::Model, DomainError> {
    touch_at(txn, cart_id, now_stored()).await?;
    open_cart(txn, cart_id).await
}

/// Attributes the open cart to a signed-in customer, so its order shows in
/// their order history; the cart takes their email unless it has one.
/// A cart of another registered customer stays theirs (Medusa's transfer rule).
pub async fn set_customer(
    db: &impl ConnectionTrait,
    cart_id: &str,
    customer_id: &str,
) -> Result<(), DomainError> {
    let cart = open_cart(db, cart_id).await?;
    if let Some(owner) = cart
        .customer_id
        .as_deref()
        .filter(|owner| *owner != customer_id)
    {
        let registered = customer::Entity::find_by_id(owner)
            .one(db)
            .await?
            .is_some_and(|owner| owner.has_account);
        if registered {
            return Err(DomainError::Invalid(
                "Cannot transfer cart to another customer".into(),
            ));
        }
    }
    let email = match &cart.email {
        Some(_) => None,
        None => Some(customer_email(db, customer_id).await?),
    };
    let mut active = cart.into_active_model();
    active.customer_id = Set(Some(customer_id.to_owned()));
    if let Some(email) = email {
        active.email = Set(Some(email));
    }
    active.updated_at = Set(Utc::now());
    active.update(db).await?;
    Ok(())
}

/// A signed-in customer's email fills their cart's, as in Medusa.
async fn customer_email(
    db: &impl ConnectionTrait,
    customer_id: &str,
) -> Result<String, DomainError> {
    customer::Entity::find_by_id(customer_id)
        .one(db)
        .await?
        .map(|customer| customer.email)
        .ok_or_else(|| DomainError::not_found("Customer", customer_id))
}
