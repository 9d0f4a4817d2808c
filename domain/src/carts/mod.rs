//! Shopping carts: line items, the region (currency and tax), the sales
//! channel, addresses, a shipping method, promotions and a tip. Prices are
//! copied onto the line when it is added, so a later price change never
//! alters a cart behind the shopper. Totals are computed on every read by
//! [`totals::compute`], never stored.

pub mod cart;
mod channel;
pub mod line_item;
pub mod shipping_method;
pub mod totals;

use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel, QueryFilter,
    QueryOrder, Set, TransactionSession, sea_query::Expr,
};
use serde::{Deserialize, Serialize};

pub use channel::{cart_of_payment_collection, sales_channel_of};

use crate::{
    DomainError, catalog, channels,
    credentials::Email,
    customers::customer,
    ids::new_id,
    inventory,
    pricing::{self, region},
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
    pub region: Option<region::Model>,
    pub shipping_method: Option<shipping_method::Model>,
    pub promotions: Vec<promotion::Model>,
    pub totals: totals::CartTotals,
}

impl CartDetail {
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

pub async fn create_cart(
    db: &impl crate::db::Writable,
    new: NewCart,
) -> Result<CartDetail, DomainError> {
    let region = match &new.region_id {
        Some(id) => Some(pricing::find_region(db, id).await?.region),
        None => default_region(db, new.currency_code.as_deref()).await?,
    };
    let currency_code = match (&region, &new.currency_code) {
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
    let sales_channel_id = match new.sales_channel_id {
        Some(id) => Some(channels::find_sales_channel(db, &id).await?.id),
        None => channels::list_sales_channels(db)
            .await?
            .into_iter()
            .next()
            .map(|c| c.id),
    };
    let email = match (new.email, &new.customer_id) {
        (Some(email), _) => Some(email.to_string()),
        (None, Some(customer_id)) => Some(customer_email(db, customer_id).await?),
        (None, None) => None,
    };
    // Only the writes hold the database's single writer turn.
    let txn = crate::db::begin_write(db).await?;
    let now = Utc::now();
    let cart = cart::ActiveModel {
        id: Set(new_id("cart")),
        currency_code: Set(currency_code),
        region_id: Set(region.map(|r| r.id)),
        sales_channel_id: Set(sales_channel_id),
        email: Set(email),
        customer_id: Set(new.customer_id),
        payment_collection_id: Set(None),
        shipping_address: Set(new.shipping_address.as_ref().map(to_json).transpose()?),
        billing_address: Set(new.billing_address.as_ref().map(to_json).transpose()?),
        metadata: Set(new.metadata.as_ref().map(to_json).transpose()?),
        tip: Set(0),
        completed_at: Set(None),
        completion_claimed_until: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(&txn)
    .await?;
    for item in &new.items {
        add_line_item(&txn, &cart.id, &item.variant_id, item.quantity).await?;
    }
    attach_promotions(&txn, &cart.id, &new.promo_codes).await?;
    txn.commit().await?;
    get_cart(db, &cart.id).await
}

/// The region in `currency_code` (first by name), or the first region when
/// no currency is asked for.
pub(crate) async fn default_region(
    db: &impl ConnectionTrait,
    currency_code: Option<&str>,
) -> Result<Option<region::Model>, DomainError> {
    let mut select = region::Entity::find();
    if let Some(code) = currency_code {
        select = select.filter(region::Column::CurrencyCode.eq(code.to_lowercase()));
    }
    Ok(select
        .order_by_asc(region::Column::Name)
        .order_by_asc(region::Column::Id)
        .one(db)
        .await?)
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
    let cart = cart::Entity::find_by_id(cart_id)
        .one(db)
        .await?
        .ok_or_else(|| DomainError::not_found("Cart", cart_id))?;
    let items = line_item::Entity::find()
        .filter(line_item::Column::CartId.eq(cart_id))
        .order_by_asc(line_item::Column::CreatedAt)
        .order_by_asc(line_item::Column::Id)
        .all(db)
        .await?;
    let region = match &cart.region_id {
        Some(id) => region::Entity::find_by_id(id).one(db).await?,
        None => None,
    };
    let shipping_method = shipping_method::Entity::find()
        .filter(shipping_method::Column::CartId.eq(cart_id))
        .one(db)
        .await?;
    let promotions = promotions::of_cart(db, cart_id).await?;
    let mut discounts: Vec<totals::Discount> =
        promotions.iter().map(promotions::discount).collect();
    let loyalty_discount = crate::loyalty::discount_for_items(db, cart_id, &items).await?;
    if loyalty_discount > 0 {
        discounts.push(totals::Discount {
            promotion_id: LOYALTY_DISCOUNT.into(),
            code: LOYALTY_DISCOUNT.into(),
            value: totals::DiscountValue::Fixed(loyalty_discount),
            target: totals::DiscountTarget::Order,
        });
    }
    let totals = totals::compute(&totals::TotalsInput {
        tax: totals::Tax::of_region(region.as_ref()),
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
    Ok(CartDetail {
        cart,
        items,
        region,
        shipping_method,
        promotions,
        totals,
    })
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
    if !(1..=MAX_LINE_QUANTITY).contains(&quantity) {
        return Err(DomainError::Invalid(format!(
            "quantity must be between 1 and {MAX_LINE_QUANTITY}"
        )));
    }
    // Everything is checked before taking the writer turn. Holding it, one
    // conditional update confirms the cart is as it was read; only if it moved
    // (completed, another channel or currency, the line changed) is it all
    // checked again inside. SQLite has one writer: the turn is the bottleneck.
    let seen = open_cart(db, cart_id).await?;
    let seen_line = find_line(db, cart_id, variant_id).await?;
    let mut offer = Offer::of(db, &seen, variant_id).await?;
    let mut total = line_total(seen_line.as_ref(), quantity)?;
    ensure_in_stock(db, &seen, variant_id, &offer.product.title, total).await?;

    let txn = crate::db::begin_write(db).await?;
    let mut line = find_line(&txn, cart_id, variant_id).await?;
    let unchanged = line.as_ref().map(|l| (&l.id, l.quantity))
        == seen_line.as_ref().map(|l| (&l.id, l.quantity))
        && touch_if_unchanged(&txn, &seen).await?;
    if !unchanged {
        let cart = open_cart(&txn, cart_id).await?;
        offer = Offer::of(&txn, &cart, variant_id).await?;
        line = find_line(&txn, cart_id, variant_id).await?;
        total = line_total(line.as_ref(), quantity)?;
        ensure_in_stock(&txn, &cart, variant_id, &offer.product.title, total).await?;
        touch(&txn, cart).await?;
    }
    match line {
        Some(line) => {
            let mut line = line.into_active_model();
            line.quantity = Set(total);
            line.update(&txn).await?;
        }
        None => {
            let Offer {
                variant,
                product,
                unit_price,
            } = offer;
            line_item::ActiveModel {
                id: Set(new_id("cali")),
                cart_id: Set(cart_id.to_owned()),
                variant_id: Set(variant.id),
                product_id: Set(product.id),
                title: Set(product.title),
                variant_title: Set(variant.title),
                quantity: Set(quantity),
                unit_price: Set(unit_price),
                created_at: Set(Utc::now()),
            }
            .insert(&txn)
            .await?;
        }
    }
    crate::loyalty::cart_lines_changed(&txn, cart_id).await?;
    txn.commit().await?;
    get_cart(db, cart_id).await
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

/// Marks the cart changed if it is still open, in the same channel and
/// currency as `seen`; answers whether it was.
async fn touch_if_unchanged(
    db: &impl ConnectionTrait,
    seen: &cart::Model,
) -> Result<bool, DomainError> {
    let same_channel = match &seen.sales_channel_id {
        Some(id) => cart::Column::SalesChannelId.eq(id.clone()),
        None => cart::Column::SalesChannelId.is_null(),
    };
    let touched = cart::Entity::update_many()
        .col_expr(cart::Column::UpdatedAt, Expr::value(Utc::now()))
        .filter(cart::Column::Id.eq(seen.id.clone()))
        .filter(cart::Column::CompletedAt.is_null())
        .filter(cart::Column::CurrencyCode.eq(seen.currency_code.clone()))
        .filter(same_channel)
        .exec(db)
        .await?;
    Ok(touched.rows_affected == 1)
}

/// A variant as a cart may buy it: sold in the cart's sales channel, at its
/// price in the cart's currency.
struct Offer {
    variant: catalog::variant::Model,
    product: catalog::product::Model,
    unit_price: i64,
}

impl Offer {
    async fn of(
        db: &impl ConnectionTrait,
        cart: &cart::Model,
        variant_id: &str,
    ) -> Result<Offer, DomainError> {
        let (variant, product, prices) = catalog::find_variant(db, variant_id).await?;
        if let Some(channel_id) = &cart.sales_channel_id
            && !channels::is_published_to(db, &product.id, channel_id).await?
        {
            return Err(DomainError::Invalid(format!(
                "{} is not sold in the cart's sales channel",
                product.title
            )));
        }
        let unit_price = prices
            .iter()
            .find(|p| p.currency_code == cart.currency_code)
            .map(|p| p.amount)
            .ok_or_else(|| {
                DomainError::Invalid(format!(
                    "{} has no price in {}",
                    product.title, cart.currency_code
                ))
            })?;
        Ok(Offer {
            variant,
            product,
            unit_price,
        })
    }
}

/// Refuses more units of a stock-managed variant than the stock locations of
/// the cart's sales channel have available, as Medusa does (`not_allowed`).
/// Checkout reserves the units later, so a unit sold meanwhile is caught there.
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
    let cart = open_cart(&txn, cart_id).await?;
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
    touch(&txn, cart).await?;
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
    let cart = open_cart(&txn, cart_id).await?;
    let option = shipping::find_option(&txn, option_id).await?;
    if cart.region_id.as_deref() != Some(option.region_id.as_str()) {
        return Err(DomainError::Invalid(format!(
            "shipping option {} is not available for the cart's region",
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
    touch(&txn, cart).await?;
    txn.commit().await?;
    get_cart(db, cart_id).await
}

/// Applies promotion codes; all or none: one invalid code refuses them all.
pub async fn apply_promotions(
    db: &impl crate::db::Writable,
    cart_id: &str,
    codes: &[String],
) -> Result<CartDetail, DomainError> {
    let txn = crate::db::begin_write(db).await?;
    let cart = open_cart(&txn, cart_id).await?;
    attach_promotions(&txn, cart_id, codes).await?;
    touch(&txn, cart).await?;
    txn.commit().await?;
    get_cart(db, cart_id).await
}

async fn attach_promotions(
    db: &impl ConnectionTrait,
    cart_id: &str,
    codes: &[String],
) -> Result<(), DomainError> {
    for code in codes {
        let promotion = promotions::find_usable(db, code).await?;
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
    let cart = open_cart(&txn, cart_id).await?;
    promotions::detach(&txn, cart_id, codes).await?;
    touch(&txn, cart).await?;
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

async fn touch(db: &impl ConnectionTrait, cart: cart::Model) -> Result<(), DomainError> {
    let mut active = cart.into_active_model();
    active.updated_at = Set(Utc::now());
    active.update(db).await?;
    Ok(())
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
