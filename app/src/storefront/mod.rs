//! What shoppers see: the catalog, product pages and the cart.

pub mod account;
pub mod card;
pub mod cart;
pub mod checkout;
pub mod home;
pub mod loyalty_panel;
pub mod loyalty_summary;
pub mod machine;
pub mod password_reset;
pub mod product;
pub mod returns;

use leptos::prelude::*;
use leptos_router::components::{A, Outlet};
use serde::{Deserialize, Serialize};

use crate::components::format_money;
use account::{AccountLink, form_error};
use cart::{AddToCart, UpdateCartLine, cart_summary};
use checkout::PlaceOrder;
pub use password_reset::RESET_PASSWORD_PATH;

/// A product as the storefront lists it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProductCard {
    pub handle: String,
    pub title: String,
    pub description: Option<String>,
    /// The first category it is filed in, if any.
    pub category: Option<CategoryLink>,
    pub variants: Vec<VariantChoice>,
    /// Options a shopper picks a variant by (Size: 330 ml, 500 ml), in order.
    pub options: Vec<OptionChoice>,
    /// Its thumbnail (else its first picture).
    pub picture: Option<Picture>,
}

/// A product's picture; `srcset` lists the smaller copies of one uploaded here.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Picture {
    pub url: String,
    pub srcset: Option<String>,
}

/// A product's picture sized for where it shows: `sizes` tells the browser
/// how wide it is drawn, so a phone fetches the copy it needs and no more.
#[component]
pub fn ProductPicture(
    picture: Picture,
    alt: String,
    sizes: &'static str,
    lazy: bool,
) -> impl IntoView {
    view! {
        <img
            class="product-picture"
            src=picture.url
            srcset=picture.srcset
            sizes=sizes
            alt=alt
            loading=if lazy { "lazy" } else { "eager" }
            decoding="async"
        />
    }
}

/// A category as a catalog filter: `/?category=<handle>`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CategoryLink {
    pub name: String,
    pub handle: String,
}

impl CategoryLink {
    pub fn href(&self) -> String {
        format!("/?category={}", self.handle)
    }
}

#[cfg(feature = "ssr")]
impl From<domain::catalog::category::Model> for CategoryLink {
    fn from(c: domain::catalog::category::Model) -> Self {
        Self {
            name: c.name,
            handle: c.handle,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VariantChoice {
    pub id: String,
    pub title: String,
    /// Minor units in the store currency; `None` when the variant has no price there.
    pub price: Option<i64>,
    pub currency: String,
    /// (option title, value), in the product's option order.
    pub options: Vec<(String, String)>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OptionChoice {
    pub title: String,
    pub values: Vec<String>,
}

impl VariantChoice {
    pub fn price_label(&self) -> String {
        self.price.map_or_else(
            || "Price on request".to_owned(),
            |p| format_money(p, &self.currency),
        )
    }
}

#[cfg(feature = "ssr")]
impl ProductCard {
    pub fn from_detail(detail: domain::catalog::ProductDetail, currency: &str) -> Self {
        Self {
            handle: detail.product.handle,
            title: detail.product.title,
            description: detail.product.description,
            category: detail.categories.into_iter().next().map(CategoryLink::from),
            variants: detail
                .variants
                .into_iter()
                .map(|v| VariantChoice {
                    price: v.price_in(currency),
                    options: v
                        .options
                        .iter()
                        .map(|(title, value)| (title.clone(), value.value.clone()))
                        .collect(),
                    id: v.variant.id,
                    title: v.variant.title,
                    currency: currency.to_owned(),
                })
                .collect(),
            options: detail
                .options
                .into_iter()
                .map(|o| OptionChoice {
                    title: o.option.title,
                    values: o.values.into_iter().map(|v| v.value).collect(),
                })
                .collect(),
            picture: detail
                .product
                .thumbnail
                .or_else(|| detail.images.into_iter().next().map(|i| i.url))
                .map(|url| Picture { url, srcset: None }),
        }
    }

    /// Gives the cards' uploaded pictures their `srcset`.
    pub async fn add_srcsets(
        cards: &mut [ProductCard],
        db: &domain::db::DatabaseConnection,
    ) -> Result<(), domain::DomainError> {
        let urls: Vec<String> = cards
            .iter()
            .filter_map(|c| Some(c.picture.as_ref()?.url.clone()))
            .collect();
        let mut srcsets = domain::files::srcsets_of(db, &urls).await?;
        for picture in cards.iter_mut().filter_map(|c| c.picture.as_mut()) {
            picture.srcset = srcsets.remove(&picture.url);
        }
        Ok(())
    }
}

/// The storefront frame: header with the account link and cart count, then the page.
#[component]
pub fn StorefrontLayout() -> impl IntoView {
    // The actions that change the cart live here, shared by every page, so
    // the header count follows each of them.
    let add_to_cart = ServerAction::<AddToCart>::new();
    let update_line = ServerAction::<UpdateCartLine>::new();
    let place_order = ServerAction::<PlaceOrder>::new();
    provide_context(add_to_cart);
    provide_context(update_line);
    provide_context(place_order);
    let add_error = form_error(add_to_cart.value());
    let totals = Resource::new(
        move || {
            (
                add_to_cart.version().get(),
                update_line.version().get(),
                place_order.version().get(),
            )
        },
        |_| cart_summary(),
    );
    view! {
        <header class="site-header">
            <A href="/" attr:class="brand">"Automat"</A>
            <nav>
                <a href="/machines" data-testid="machines-link">"Machines near you"</a>
                <AccountLink />
                <a href="/cart" class="cart-indicator" data-testid="cart-link">
                    "Cart "
                    <Transition fallback=|| view! { <span class="cart-count" data-testid="cart-count">"0"</span> }>
                        {move || Suspend::new(async move {
                            let count = totals.await.map(|s| s.item_count).unwrap_or(0);
                            view! { <span class="cart-count" data-testid="cart-count">{count}</span> }
                        })}
                    </Transition>
                </a>
            </nav>
        </header>
        <main class="page">
            // Adding happens on many pages (catalog, product): one place says what went wrong.
            {move || add_error().map(|e| view! { <p class="notice error" role="alert" data-testid="cart-error">{e}</p> })}
            <Outlet />
        </main>
    }
}
