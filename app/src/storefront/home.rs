//! The catalog: published products, newest first, optionally of one category.

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;
use serde::{Deserialize, Serialize};

use super::{CategoryLink, ProductCard, cart::AddToCartForm};
use crate::components::ErrorNotice;

pub const PAGE_SIZE: u64 = 24;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CatalogPage {
    pub products: Vec<ProductCard>,
    pub count: u64,
}

/// One page of the catalog; with `category` (a handle) only that category's
/// products, none when no visible category has that handle.
#[server(endpoint = "/catalog/products")]
pub async fn list_products(
    offset: u64,
    category: Option<String>,
) -> Result<CatalogPage, ServerFnError> {
    use domain::catalog::taxonomy::{self, CategoryQuery};

    use crate::server_context::*;
    let ctx = server_context()?;
    let category_ids = match category {
        None => Vec::new(),
        Some(handle) => {
            let found = taxonomy::list_visible_categories(
                &ctx.db,
                &CategoryQuery {
                    handle: Some(handle),
                    limit: 1,
                    ..Default::default()
                },
            )
            .await
            .map_err(to_server_error)?;
            match found.categories.into_iter().next() {
                Some(detail) => vec![detail.category.id],
                None => {
                    return Ok(CatalogPage {
                        products: Vec::new(),
                        count: 0,
                    });
                }
            }
        }
    };
    let query = domain::catalog::ProductQuery {
        category_ids,
        sales_channel_ids: (!ctx.storefront_channel_ids.is_empty())
            .then(|| ctx.storefront_channel_ids.clone()),
        offset,
        limit: PAGE_SIZE,
        ..Default::default()
    };
    let page = domain::catalog::list_published(&ctx.db, &query)
        .await
        .map_err(to_server_error)?;
    Ok(CatalogPage {
        count: page.count,
        products: page
            .products
            .into_iter()
            .map(|p| ProductCard::from_detail(p, &ctx.currency))
            .collect(),
    })
}

/// The top-level categories shoppers may filter by.
#[server(endpoint = "/catalog/categories")]
pub async fn list_categories() -> Result<Vec<CategoryLink>, ServerFnError> {
    use domain::catalog::{
        MAX_PAGE_SIZE,
        taxonomy::{self, CategoryQuery, ParentFilter},
    };

    use crate::server_context::*;
    let ctx = server_context()?;
    let query = CategoryQuery {
        parent: Some(ParentFilter::Root),
        limit: MAX_PAGE_SIZE,
        ..Default::default()
    };
    let page = taxonomy::list_visible_categories(&ctx.db, &query)
        .await
        .map_err(to_server_error)?;
    Ok(page
        .categories
        .into_iter()
        .map(|detail| detail.category.into())
        .collect())
}

#[component]
pub fn HomePage() -> impl IntoView {
    let query = use_query_map();
    // `?page=N`, 1-based; anything unreadable means the first page.
    let page = move || {
        query
            .read()
            .get("page")
            .and_then(|p| p.parse::<u64>().ok())
            .filter(|p| *p >= 1)
            .unwrap_or(1)
    };
    let category = move || query.read().get("category").filter(|c| !c.is_empty());
    let products = Resource::new(
        move || (page(), category()),
        |(page, category)| list_products((page - 1) * PAGE_SIZE, category),
    );
    let categories = Resource::new(|| (), |_| list_categories());
    view! {
        <h1>"Fresh from the machine"</h1>
        <Transition fallback=|| ()>
            {move || Suspend::new(async move {
                let current = category();
                categories.await.ok().map(|links| view! { <CategoryNav links current /> })
            })}
        </Transition>
        <Transition fallback=|| view! { <p class="loading">"Loading products…"</p> }>
            <ErrorBoundary fallback=|errors| view! { <ErrorNotice errors=errors /> }>
                {move || Suspend::new(async move {
                    let number = page();
                    let category = category();
                    products.await.map(|catalog| view! { <ProductGrid page=catalog number category /> })
                })}
            </ErrorBoundary>
        </Transition>
    }
}

/// "All" and one link per category; plain links, so they work before hydration.
#[component]
fn CategoryNav(links: Vec<CategoryLink>, current: Option<String>) -> impl IntoView {
    (!links.is_empty()).then(|| {
        let all_current = current.is_none().then_some("page");
        view! {
            <nav class="category-nav" aria-label="Categories">
                <a href="/" aria-current=all_current>"All"</a>
                {links
                    .into_iter()
                    .map(|link| {
                        let is_current = (current.as_deref() == Some(link.handle.as_str())).then_some("page");
                        let href = link.href();
                        view! { <a href=href aria-current=is_current>{link.name}</a> }
                    })
                    .collect_view()}
            </nav>
        }
    })
}

#[component]
fn ProductGrid(page: CatalogPage, number: u64, category: Option<String>) -> impl IntoView {
    let pages = page.count.div_ceil(PAGE_SIZE).max(1);
    if page.products.is_empty() && number > 1 {
        return view! { <p class="empty">"This page is empty. "<a href="/">"Back to the first page"</a></p> }.into_any();
    }
    if page.products.is_empty() && category.is_some() {
        return view! { <p class="empty">"Nothing in this category. "<a href="/">"See all products"</a></p> }.into_any();
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
                            {product
                                .category
                                .map(|c| {
                                    let href = c.href();
                                    view! { <a href=href class="product-category">{c.name}</a> }
                                })}
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
        <Pager number pages category />
    }
    .into_any()
}

/// Previous / next links, keeping the category; plain links, so they work before hydration.
#[component]
fn Pager(number: u64, pages: u64, category: Option<String>) -> impl IntoView {
    let href = move |n: u64| match &category {
        Some(handle) => format!("/?category={handle}&page={n}"),
        None => format!("/?page={n}"),
    };
    (pages > 1).then(|| {
        view! {
            <nav class="pager" aria-label="Pages">
                {(number > 1).then(|| view! { <a href=href(number - 1) rel="prev">"← Previous"</a> })}
                <span class="muted">{format!("Page {number} of {pages}")}</span>
                {(number < pages).then(|| view! { <a href=href(number + 1) rel="next">"Next →"</a> })}
            </nav>
        }
    })
}
