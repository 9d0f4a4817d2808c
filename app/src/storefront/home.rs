//! The catalog: published products, newest first.

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;
use serde::{Deserialize, Serialize};

use super::{ProductCard, cart::AddToCartForm};
use crate::components::ErrorNotice;

pub const PAGE_SIZE: u64 = 24;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CatalogPage {
    pub products: Vec<ProductCard>,
    pub count: u64,
}

#[server(endpoint = "/catalog/products")]
pub async fn list_products(offset: u64) -> Result<CatalogPage, ServerFnError> {
    use crate::server_context::*;
    let ctx = server_context()?;
    let query = domain::catalog::ProductQuery { offset, limit: PAGE_SIZE, ..Default::default() };
    let page = domain::catalog::list_published(&ctx.db, &query).await.map_err(to_server_error)?;
    Ok(CatalogPage {
        count: page.count,
        products: page.products.into_iter().map(|p| ProductCard::from_detail(p, &ctx.currency)).collect(),
    })
}

#[component]
pub fn HomePage() -> impl IntoView {
    let query = use_query_map();
    // `?page=N`, 1-based; anything unreadable means the first page.
    let page = move || query.read().get("page").and_then(|p| p.parse::<u64>().ok()).filter(|p| *p >= 1).unwrap_or(1);
    let products = Resource::new(page, |page| list_products((page - 1) * PAGE_SIZE));
    view! {
        <h1>"Fresh from the machine"</h1>
        <Transition fallback=|| view! { <p class="loading">"Loading products…"</p> }>
            <ErrorBoundary fallback=|errors| view! { <ErrorNotice errors=errors.into() /> }>
                {move || Suspend::new(async move {
                    let number = page();
                    products.await.map(|catalog| view! { <ProductGrid page=catalog number /> })
                })}
            </ErrorBoundary>
        </Transition>
    }
}

#[component]
fn ProductGrid(page: CatalogPage, number: u64) -> impl IntoView {
    let pages = page.count.div_ceil(PAGE_SIZE).max(1);
    if page.products.is_empty() && number > 1 {
        return view! { <p class="empty">"This page is empty. "<a href="/">"Back to the first page"</a></p> }.into_any();
    }
    if page.products.is_empty() {
        return view! { <p class="empty">"No products yet. An operator can add them in the admin."</p> }.into_any();
    }
    view! {
        <p class="muted">{format!("{} products", page.count)}</p>
        <ul class="product-grid">
            {page
                .products
                .into_iter()
                .map(|product| {
                    let first = product.variants.first().cloned();
                    view! {
                        <li class="product-card" data-testid="product-card">
                            <a href=format!("/products/{}", product.handle) class="product-title">
                                {product.title.clone()}
                            </a>
                            <p class="muted">{product.description.clone().unwrap_or_default()}</p>
                            {first
                                .map(|v| {
                                    view! {
                                        <p class="price">{v.price_label()}</p>
                                        <AddToCartForm variant_id=v.id />
                                    }
                                })}
                        </li>
                    }
                })
                .collect_view()}
        </ul>
        <Pager number pages />
    }
    .into_any()
}

/// Previous / next links; plain links, so they work before hydration.
#[component]
fn Pager(number: u64, pages: u64) -> impl IntoView {
    (pages > 1).then(|| {
        view! {
            <nav class="pager" aria-label="Pages">
                {(number > 1).then(|| view! { <a href=format!("/?page={}", number - 1) rel="prev">"← Previous"</a> })}
                <span class="muted">{format!("Page {number} of {pages}")}</span>
                {(number < pages).then(|| view! { <a href=format!("/?page={}", number + 1) rel="next">"Next →"</a> })}
            </nav>
        }
    })
}
