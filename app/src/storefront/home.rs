//! The catalog: published products, newest first, optionally of one
//! category, or those the search finds for the words typed (`/search?q=`),
//! best match first; either sorted by price or name when asked (`sort=`).

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;
use serde::{Deserialize, Serialize};

use super::{CategoryLink, ProductCard, ProductPicture, cart::AddToCartForm};
use crate::components::ErrorNotice;

pub const PAGE_SIZE: u64 = 24;
/// Where the search box sends its words.
pub const SEARCH_PATH: &str = "/search";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CatalogPage {
    pub products: Vec<ProductCard>,
    pub count: u64,
}

/// The orders a shopper may choose (`sort=`, the Store API's `order`
/// values), and what the choice is called.
pub const SORTS: [(&str, &str); 4] = [
    ("price", "Price: low to high"),
    ("-price", "Price: high to low"),
    ("title", "Name: A to Z"),
    ("-created_at", "Newest"),
];

/// One page of the catalog; with `category` (a handle) only that category's
/// products, none when no visible category has that handle; with `q` only
/// those the search finds; in `sort`'s order (one of [`SORTS`]; anything
/// else is the default: best match when searched, else newest).
#[server(endpoint = "/catalog/products")]
pub async fn list_products(
    offset: u64,
    category: Option<String>,
    q: Option<String>,
    sort: Option<String>,
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
        q,
        category_ids,
        sales_channel_ids: (!ctx.storefront_channel_ids.is_empty())
            .then(|| ctx.storefront_channel_ids.clone()),
        // An order the page does not offer (an edited URL) is the default one.
        order: sort
            .filter(|s| SORTS.iter().any(|(value, _)| value == s))
            .and_then(|s| domain::catalog::ProductOrder::parse(&s, Some(&ctx.currency)).ok())
            .unwrap_or_default(),
        offset,
        limit: PAGE_SIZE,
        ..Default::default()
    };
    let page = domain::search::list_published(&ctx.db, ctx.search.as_ref(), query)
        .await
        .map_err(|e| match e {
            domain::search::SearchError::Domain(e) => to_server_error(e),
            domain::search::SearchError::Engine(e) => {
                tracing::error!(error = %e, "search failed");
                set_error_status(http::StatusCode::SERVICE_UNAVAILABLE);
                ServerFnError::new("search is not available right now; try again")
            }
        })?;
    let mut products: Vec<ProductCard> = page
        .products
        .into_iter()
        .map(|p| ProductCard::from_detail(p, &ctx.currency))
        .collect();
    ProductCard::add_srcsets(&mut products, &ctx.db)
        .await
        .map_err(to_server_error)?;
    Ok(CatalogPage {
        count: page.count,
        products,
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
    let q = move || {
        query
            .read()
            .get("q")
            .map(|q| q.trim().to_owned())
            .filter(|q| !q.is_empty())
    };
    let sort = move || {
        query
            .read()
            .get("sort")
            .filter(|s| SORTS.iter().any(|(value, _)| value == s))
    };
    let products = Resource::new(
        move || (page(), category(), q(), sort()),
        |(page, category, q, sort)| list_products((page - 1) * PAGE_SIZE, category, q, sort),
    );
    let categories = Resource::new(|| (), |_| list_categories());
    view! {
        <h1>
            {move || match q() {
                Some(q) => format!("Results for “{q}”"),
                None => "Fresh from the machine".to_owned(),
            }}
        </h1>
        {move || view! { <SearchBox current=q() sort=sort() /> }}
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
                    let q = q();
                    let sort = sort();
                    products.await.map(|catalog| view! { <ProductGrid page=catalog number category q sort /> })
                })}
            </ErrorBoundary>
        </Transition>
    }
}

/// The words to look for and the order; a plain GET form, so it works
/// before hydration.
#[component]
fn SearchBox(current: Option<String>, sort: Option<String>) -> impl IntoView {
    let searched = current.is_some();
    let default_order = if searched { "Best match" } else { "Newest" };
    let unsorted = sort.is_none();
    let options = SORTS
        .iter()
        // Without words the default already is newest first.
        .filter(|(value, _)| searched || *value != "-created_at")
        .map(|(value, label)| {
            let chosen = sort.as_deref() == Some(*value);
            view! { <option value=*value selected=chosen>{*label}</option> }
        })
        .collect_view();
    view! {
        <form class="catalog-search" role="search" method="get" action=SEARCH_PATH>
            <label for="catalog-q">"Search products"</label>
            <input
                type="search"
                id="catalog-q"
                name="q"
                value=current
                placeholder="Chocolate, coffee, …"
                autocomplete="off"
                enterkeyhint="search"
            />
            <label for="catalog-sort">"Sort by"</label>
            <select id="catalog-sort" name="sort">
                <option value="" selected=unsorted>{default_order}</option>
                {options}
            </select>
            <button type="submit">"Search"</button>
        </form>
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
fn ProductGrid(
    page: CatalogPage,
    number: u64,
    category: Option<String>,
    q: Option<String>,
    sort: Option<String>,
) -> impl IntoView {
    let pages = page.count.div_ceil(PAGE_SIZE).max(1);
    if page.products.is_empty() && number > 1 {
        return view! { <p class="empty">"This page is empty. "<a href="/">"Back to the first page"</a></p> }.into_any();
    }
    if let Some(q) = q.as_deref().filter(|_| page.products.is_empty()) {
        return view! {
            <p class="empty" role="status">
                {format!("No products match “{q}”. Check the spelling or try fewer words. ")}
                <a href="/">"See all products"</a>
            </p>
        }
        .into_any();
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
                            {product.picture.clone().map(|picture| {
                                view! {
                                    <ProductPicture picture alt=product.title.clone() sizes="(max-width: 40rem) 45vw, 15rem" lazy=true />
                                }
                            })}
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
        <Pager number pages category q sort />
    }
    .into_any()
}

/// Previous / next links, keeping the category or the search and the
/// order; plain links, so they work before hydration.
#[component]
fn Pager(
    number: u64,
    pages: u64,
    category: Option<String>,
    q: Option<String>,
    sort: Option<String>,
) -> impl IntoView {
    let sorted = sort
        .map(|s| format!("&sort={}", crate::redirects::query_value(&s)))
        .unwrap_or_default();
    let href = move |n: u64| match (&q, &category) {
        (Some(q), _) => format!(
            "{SEARCH_PATH}?q={}&page={n}{sorted}",
            crate::redirects::query_value(q)
        ),
        (None, Some(handle)) => format!("/?category={handle}&page={n}{sorted}"),
        (None, None) => format!("/?page={n}{sorted}"),
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
