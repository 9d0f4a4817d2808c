//! Products: a filterable, paginated table and an editor (create and edit)
//! with variants, prices, stock per location and sales channels. Forms and
//! filters are plain HTML forms, so they work before hydration too.
//!
//! The pages share `/admin/products[/:id]` with the Admin API: browsers asking
//! for HTML get the page (see the server's `admin::PAGE_PATHS`).

use std::collections::BTreeMap;

use leptos::prelude::*;
use leptos_router::hooks::{use_params_map, use_query_map};
use serde::{Deserialize, Serialize};

use super::product_options::{EditedOption, OptionActions, ProductOptions};
use crate::components::ErrorNotice;

pub const PAGE_SIZE: u64 = 20;
pub const PRODUCTS_PATH: &str = "/admin/products";
pub const PRODUCTS_CSV_PATH: &str = "/admin/exports/products.csv";
const STATUSES: [&str; 2] = ["draft", "published"];

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProductRow {
    pub id: String,
    pub title: String,
    pub handle: String,
    pub status: String,
    pub variants: usize,
    /// The first variant's price in the store's currency, formatted.
    pub price: Option<String>,
    pub channels: usize,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProductTable {
    pub rows: Vec<ProductRow>,
    pub count: u64,
}

/// One page of every product (drafts too), filtered by text and status.
#[server(endpoint = "/admin/products/list")]
pub async fn list_products(
    q: Option<String>,
    status: Option<String>,
    offset: u64,
) -> Result<ProductTable, ServerFnError> {
    use crate::{components::format_money, server_context::*};
    let ctx = server_context()?;
    require_admin(
        &session().await?,
        domain::admin_users::Permission::ManageStore,
    )
    .await?;
    let query = domain::catalog::ProductQuery {
        q,
        offset,
        limit: PAGE_SIZE,
        ..Default::default()
    };
    let statuses = status
        .iter()
        .filter(|s| !s.is_empty())
        .map(|s| domain::states::parse(s, "a product status"))
        .collect::<Result<Vec<_>, _>>()
        .map_err(to_server_error)?;
    let page = domain::catalog::list_in_statuses(&ctx.db, &query, &statuses)
        .await
        .map_err(to_server_error)?;
    Ok(ProductTable {
        count: page.count,
        rows: page
            .products
            .into_iter()
            .map(|p| ProductRow {
                price: p
                    .variants
                    .first()
                    .and_then(|v| v.price_in(&ctx.currency))
                    .map(|amount| format_money(amount, &ctx.currency)),
                variants: p.variants.len(),
                channels: p.sales_channel_ids.len(),
                id: p.product.id,
                title: p.product.title,
                handle: p.product.handle,
                status: p.product.status.to_string(),
            })
            .collect(),
    })
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Named {
    pub id: String,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct EditedProduct {
    pub id: String,
    pub title: String,
    pub handle: String,
    pub description: String,
    pub status: String,
    pub channel_ids: Vec<String>,
    pub variants: Vec<EditedVariant>,
    pub pictures: Vec<ShownPicture>,
    pub options: Vec<EditedOption>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct EditedVariant {
    pub id: String,
    pub title: String,
    pub sku: String,
    /// In major units of the store's currency, as typed ("3.50").
    pub price: String,
    pub weight: String,
    /// Stocked quantity by stock location id.
    pub stock: BTreeMap<String, i32>,
    /// Option id → the variant's value of it.
    pub options: BTreeMap<String, String>,
}

/// What the editor shows: the product (none when creating one), and the
/// locations and channels to choose from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EditorData {
    pub product: Option<EditedProduct>,
    pub locations: Vec<Named>,
    pub channels: Vec<Named>,
    pub currency: String,
}

#[server(endpoint = "/admin/products/editor")]
pub async fn load_editor(id: Option<String>) -> Result<EditorData, ServerFnError> {
    use domain::{catalog, channels, inventory, paging::Page, pricing::money::to_major_units};

    use crate::server_context::*;
    let ctx = server_context()?;
    require_admin(
        &session().await?,
        domain::admin_users::Permission::ManageStore,
    )
    .await?;
    let product = match id {
        None => None,
        Some(id) => {
            let detail = catalog::find_product(&ctx.db, &id)
                .await
                .map_err(to_server_error)?;
            let mut variants = Vec::new();
            for v in detail.variants {
                let mut stock = BTreeMap::new();
                if let Some(item) = inventory::find_item_by_variant(&ctx.db, &v.variant.id)
                    .await
                    .map_err(to_server_error)?
                {
                    for level in inventory::levels_of(&ctx.db, &item.id)
                        .await
                        .map_err(to_server_error)?
                    {
                        stock.insert(level.location_id, level.stocked_quantity);
                    }
                }
                let options = v
                    .options
                    .iter()
                    .map(|(_, value)| (value.option_id.clone(), value.value.clone()))
                    .collect();
                variants.push(EditedVariant {
                    options,
                    price: v
                        .price_in(&ctx.currency)
                        .map(|amount| format!("{:.2}", to_major_units(amount, &ctx.currency)))
                        .unwrap_or_default(),
                    weight: v
                        .variant
                        .weight_grams
                        .map(|w| w.to_string())
                        .unwrap_or_default(),
                    id: v.variant.id,
                    title: v.variant.title,
                    sku: v.variant.sku.unwrap_or_default(),
                    stock,
                });
            }
            let thumbnail = detail.product.thumbnail.clone();
            let pictures = detail
                .images
                .into_iter()
                .map(|image| ShownPicture {
                    thumbnail: thumbnail.as_deref() == Some(image.url.as_str()),
                    id: image.id,
                    url: image.url,
                })
                .collect();
            let options = detail
                .options
                .into_iter()
                .map(|o| EditedOption {
                    id: o.option.id,
                    title: o.option.title,
                    values: o.values.into_iter().map(|v| v.value).collect(),
                })
                .collect();
            Some(EditedProduct {
                options,
                pictures,
                id: detail.product.id,
                title: detail.product.title,
                handle: detail.product.handle,
                description: detail.product.description.unwrap_or_default(),
                status: detail.product.status.to_string(),
                channel_ids: detail.sales_channel_ids,
                variants,
            })
        }
    };
    let Page {
        items: locations, ..
    } = channels::list_stock_location_page(&ctx.db, None, 0, catalog::MAX_PAGE_SIZE)
        .await
        .map_err(to_server_error)?;
    let channels = channels::list_sales_channels(&ctx.db)
        .await
        .map_err(to_server_error)?;
    Ok(EditorData {
        product,
        locations: locations
            .into_iter()
            .map(|l| Named {
                id: l.id,
                name: l.name,
            })
            .collect(),
        channels: channels
            .into_iter()
            .map(|c| Named {
                id: c.id,
                name: c.name,
            })
            .collect(),
        currency: ctx.currency,
    })
}

/// One variant row of the editor form, as the browser sends it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct VariantForm {
    #[serde(default)]
    pub id: String,
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub sku: String,
    #[serde(default)]
    pub price: String,
    #[serde(default)]
    pub weight: String,
    /// Stocked quantity by stock location id, as typed.
    #[serde(default)]
    pub stock: BTreeMap<String, String>,
    /// Option id → the chosen value.
    #[serde(default)]
    pub options: BTreeMap<String, String>,
    /// Present when the row's "remove" box is ticked.
    pub remove: Option<String>,
}

/// Creates (no `id`) or updates a product from the editor form, then shows it.
#[server(endpoint = "/admin/products/save")]
pub async fn save_product(
    #[server(default)] id: String,
    title: String,
    #[server(default)] handle: String,
    #[server(default)] description: String,
    status: String,
    #[server(default)] channels: BTreeMap<String, String>,
    #[server(default)] variants: Vec<VariantForm>,
) -> Result<(), ServerFnError> {
    use domain::catalog::editing::{self, ProductChanges, ProductInput};

    use crate::server_context::*;
    let ctx = server_context()?;
    require_admin(
        &session().await?,
        domain::admin_users::Permission::ManageStore,
    )
    .await?;
    let variants = variants
        .into_iter()
        .filter(|v| v.remove.is_none() && !v.is_blank())
        .map(|v| v.into_input(&ctx.currency))
        .collect::<Result<Vec<_>, _>>()
        .map_err(to_server_error)?;
    let channel_ids: Vec<String> = channels.into_keys().collect();
    let id = if id.trim().is_empty() {
        let input = ProductInput {
            title,
            handle: Some(handle),
            description: Some(description),
            status: Some(status),
            variants,
            sales_channel_ids: channel_ids,
            ..Default::default()
        };
        editing::create(&ctx.db, input)
            .await
            .map_err(to_server_error)?
    } else {
        let variants = keep_other_prices(&ctx.db, &id, &ctx.currency, variants)
            .await
            .map_err(to_server_error)?;
        let changes = ProductChanges {
            title: Some(title),
            handle: Some(handle).filter(|h| !h.trim().is_empty()),
            description: Some(description),
            status: Some(status),
            sales_channel_ids: Some(channel_ids),
            variants: Some(variants),
            ..Default::default()
        };
        editing::update(&ctx.db, &id, changes)
            .await
            .map_err(to_server_error)?;
        id
    };
    leptos_axum::redirect(&format!("{PRODUCTS_PATH}/{id}"));
    Ok(())
}

impl VariantForm {
    /// A row left empty (the editor always offers one for a new variant).
    #[cfg(feature = "ssr")]
    fn is_blank(&self) -> bool {
        self.id.is_empty()
            && [&self.title, &self.sku, &self.price, &self.weight]
                .iter()
                .all(|f| f.trim().is_empty())
            && self.stock.values().all(|q| q.trim().is_empty())
    }

    #[cfg(feature = "ssr")]
    fn into_input(
        self,
        currency: &str,
    ) -> Result<domain::catalog::editing::VariantInput, domain::DomainError> {
        use domain::{DomainError, pricing::money::to_minor_units};
        let number = |text: &str, what: &str| -> Result<Option<f64>, DomainError> {
            let text = text.trim();
            if text.is_empty() {
                return Ok(None);
            }
            text.replace(',', ".")
                .parse::<f64>()
                .map(Some)
                .map_err(|_| DomainError::Invalid(format!("{what} must be a number, not {text:?}")))
        };
        let price = number(&self.price, "a price")?
            .map(|amount| to_minor_units(amount, currency))
            .transpose()?;
        let weight = number(&self.weight, "a weight")?
            .map(|grams| {
                if grams.fract() != 0.0 || !(0.0..=i32::MAX as f64).contains(&grams) {
                    return Err(DomainError::Invalid(format!(
                        "a weight is whole grams, not {grams}"
                    )));
                }
                Ok(grams as i32)
            })
            .transpose()?;
        let mut stock = Vec::new();
        for (location_id, quantity) in &self.stock {
            if let Some(quantity) = number(quantity, "a stocked quantity")? {
                if quantity.fract() != 0.0 || quantity.abs() > i32::MAX as f64 {
                    return Err(DomainError::Invalid(format!(
                        "a stocked quantity is a whole number, not {quantity}"
                    )));
                }
                stock.push((location_id.clone(), quantity as i32));
            }
        }
        Ok(domain::catalog::editing::VariantInput {
            id: Some(self.id).filter(|id| !id.is_empty()),
            title: Some(self.title).filter(|t| !t.trim().is_empty()),
            sku: Some(self.sku),
            barcode: None,
            weight_grams: weight,
            prices: Some(
                price
                    .map(|amount| (currency.to_owned(), amount))
                    .into_iter()
                    .collect(),
            ),
            // Keyed by option id here; `keep_other_prices` turns them into titles.
            options: self.options,
            manage_inventory: None,
            stock,
        })
    }
}

/// The editor shows prices in the store's currency only; a variant's prices
/// in other currencies stay as they are. The rows name options by id; the
/// domain takes titles.
#[cfg(feature = "ssr")]
async fn keep_other_prices(
    db: &domain::db::DatabaseConnection,
    product_id: &str,
    currency: &str,
    mut variants: Vec<domain::catalog::editing::VariantInput>,
) -> Result<Vec<domain::catalog::editing::VariantInput>, domain::DomainError> {
    let existing = domain::catalog::find_product(db, product_id).await?;
    for input in &mut variants {
        input.options = std::mem::take(&mut input.options)
            .into_iter()
            .map(|(option_id, value)| {
                let title = existing
                    .options
                    .iter()
                    .find(|o| o.option.id == option_id)
                    .map(|o| o.option.title.clone())
                    .ok_or_else(|| domain::DomainError::not_found("product option", &option_id))?;
                Ok((title, value))
            })
            .collect::<Result<_, domain::DomainError>>()?;
        let Some(current) = existing
            .variants
            .iter()
            .find(|v| Some(&v.variant.id) == input.id.as_ref())
        else {
            continue;
        };
        if let Some(prices) = &mut input.prices {
            prices.extend(
                current
                    .prices
                    .iter()
                    .filter(|p| p.currency_code != currency)
                    .map(|p| (p.currency_code.clone(), p.amount)),
            );
        }
    }
    Ok(variants)
}

#[component]
pub fn ProductsPage() -> impl IntoView {
    let query = use_query_map();
    let page = move || {
        query
            .read()
            .get("page")
            .and_then(|p| p.parse::<u64>().ok())
            .filter(|p| *p >= 1)
            .unwrap_or(1)
    };
    let q = move || query.read().get("q").filter(|q| !q.is_empty());
    let status = move || {
        query
            .read()
            .get("status")
            .filter(|s| STATUSES.contains(&s.as_str()))
    };
    let products = Resource::new(
        move || (q(), status(), page()),
        |(q, status, page)| list_products(q, status, (page - 1) * PAGE_SIZE),
    );
    view! {
        <div class="page-title">
            <h1>"Products"</h1>
            <a href=format!("{PRODUCTS_PATH}/new") class="button" data-testid="new-product">"New product"</a>
            // Every product, one row per variant; `download` keeps the router's hands off.
            <a href=PRODUCTS_CSV_PATH download="" data-testid="export-products">"Export CSV"</a>
        </div>
        <form method="get" action=PRODUCTS_PATH class="filters" role="search">
            <input type="search" name="q" placeholder="Search title or handle" value=q />
            <select name="status">
                <option value="" selected=move || status().is_none()>"Any status"</option>
                {STATUSES
                    .into_iter()
                    .map(|s| view! { <option value=s selected=move || status().as_deref() == Some(s)>{s}</option> })
                    .collect_view()}
            </select>
            <button type="submit">"Filter"</button>
        </form>
        <Transition fallback=|| view! { <p class="loading">"Loading products…"</p> }>
            <ErrorBoundary fallback=|errors| view! { <ErrorNotice errors=errors /> }>
                {move || Suspend::new(async move {
                    let filters = Filters { q: q(), status: status() };
                    let number = page();
                    products.await.map(|table| view! { <ProductsTable table number filters /> })
                })}
            </ErrorBoundary>
        </Transition>
    }
}

#[derive(Debug, Clone, PartialEq)]
struct Filters {
    q: Option<String>,
    status: Option<String>,
}

impl Filters {
    fn any(&self) -> bool {
        self.q.is_some() || self.status.is_some()
    }

    /// The list's address with these filters on page `n`.
    fn href(&self, n: u64) -> String {
        let mut href = format!("{PRODUCTS_PATH}?page={n}");
        if let Some(q) = &self.q {
            href.push_str(&format!("&q={}", crate::redirects::query_value(q)));
        }
        if let Some(status) = &self.status {
            href.push_str(&format!("&status={status}"));
        }
        href
    }
}

#[component]
fn ProductsTable(table: ProductTable, number: u64, filters: Filters) -> impl IntoView {
    if table.rows.is_empty() {
        let message = if number > 1 {
            view! { <p class="empty">"This page is empty. "<a href=PRODUCTS_PATH>"Back to the first page"</a></p> }.into_any()
        } else if filters.any() {
            view! { <p class="empty">"No products match these filters. "<a href=PRODUCTS_PATH>"Clear the filters"</a></p> }.into_any()
        } else {
            view! { <p class="empty">"No products yet. "<a href=format!("{PRODUCTS_PATH}/new")>"Create the first one"</a>" — it shows in the store once published to a sales channel."</p> }.into_any()
        };
        return message;
    }
    let pages = table.count.div_ceil(PAGE_SIZE).max(1);
    view! {
        <p class="muted">{format!("{} products", table.count)}</p>
        <table class="data" data-testid="products-table">
            <thead>
                <tr>
                    <th>"Product"</th>
                    <th>"Handle"</th>
                    <th>"Status"</th>
                    <th>"Variants"</th>
                    <th>"Price"</th>
                    <th>"Channels"</th>
                </tr>
            </thead>
            <tbody>
                {table
                    .rows
                    .into_iter()
                    .map(|row| {
                        let handle = row.handle.clone();
                        view! {
                            <tr data-product=handle>
                                <td><a href=format!("{PRODUCTS_PATH}/{}", row.id)>{row.title}</a></td>
                                <td><code>{row.handle}</code></td>
                                <td><span class=format!("badge {}", row.status)>{row.status.clone()}</span></td>
                                <td>{row.variants}</td>
                                <td>{row.price.unwrap_or_else(|| "—".to_owned())}</td>
                                <td>{row.channels}</td>
                            </tr>
                        }
                    })
                    .collect_view()}
            </tbody>
        </table>
        {(pages > 1)
            .then(|| {
                view! {
                    <nav class="pager" aria-label="Pages">
                        {(number > 1).then(|| view! { <a href=filters.href(number - 1) rel="prev">"← Previous"</a> })}
                        <span class="muted">{format!("Page {number} of {pages}")}</span>
                        {(number < pages).then(|| view! { <a href=filters.href(number + 1) rel="next">"Next →"</a> })}
                    </nav>
                }
            })}
    }
    .into_any()
}

/// `/admin/products/new` and `/admin/products/:id`.
#[component]
pub fn ProductEditorPage() -> impl IntoView {
    let params = use_params_map();
    let id = move || params.read().get("id").filter(|id| id != "new");
    // The pictures' buttons change the product: it is loaded again after each.
    let pictures = PictureActions {
        remove: ServerAction::new(),
        choose: ServerAction::new(),
    };
    let options = OptionActions::default();
    let data = Resource::new(
        move || {
            (
                id(),
                pictures.remove.version().get()
                    + pictures.choose.version().get()
                    + options.version(),
            )
        },
        |(id, _)| load_editor(id),
    );
    view! {
        <Transition fallback=|| view! { <p class="loading">"Loading…"</p> }>
            <ErrorBoundary fallback=|errors| view! { <ErrorNotice errors=errors /> }>
                {move || Suspend::new(async move { data.await.map(|data| view! { <ProductForm data pictures options /> }) })}
            </ErrorBoundary>
        </Transition>
    }
}

#[derive(Clone, Copy)]
struct PictureActions {
    remove: ServerAction<RemovePicture>,
    choose: ServerAction<ChooseThumbnail>,
}

#[component]
fn ProductForm(
    data: EditorData,
    pictures: PictureActions,
    options: OptionActions,
) -> impl IntoView {
    let save = ServerAction::<SaveProduct>::new();
    let error = move || {
        save.value()
            .get()
            .and_then(|r| r.err())
            .map(|e| crate::components::plain_error(&e))
    };
    let creating = data.product.is_none();
    let product = data.product.unwrap_or_else(|| EditedProduct {
        status: "draft".into(),
        ..Default::default()
    });
    // Existing variants, then an empty row for a new one.
    let mut rows = product.variants.clone();
    rows.push(EditedVariant::default());
    let locations = data.locations;
    let currency = data.currency.to_uppercase();
    let shown = (!creating).then(|| (product.id.clone(), product.pictures.clone()));
    let option_editor = (!creating).then(|| {
        (
            product.id.clone(),
            product.options.clone(),
            product.variants.len(),
        )
    });
    let product_options = product.options.clone();
    view! {
        <p><a href=PRODUCTS_PATH>"← Products"</a></p>
        <h1>{if creating { "New product".to_owned() } else { product.title.clone() }}</h1>
        {move || error().map(|e| view! { <p class="notice error" role="alert">{e}</p> })}
        <ActionForm action=save attr:class="stacked editor" attr:data-testid="product-form">
            <input type="hidden" name="id" value=product.id.clone() />
            <label>"Title" <input name="title" required value=product.title.clone() /></label>
            <label>
                "Handle"
                <input name="handle" value=product.handle.clone() placeholder="made from the title when empty" />
            </label>
            <label>"Description" <textarea name="description" rows="3">{product.description.clone()}</textarea></label>
            <label>
                "Status"
                <select name="status">
                    {STATUSES
                        .into_iter()
                        .map(|s| view! { <option value=s selected={product.status == s}>{s}</option> })
                        .collect_view()}
                </select>
            </label>
            <fieldset>
                <legend>"Sales channels"</legend>
                {data
                    .channels
                    .into_iter()
                    .map(|c| {
                        let checked = product.channel_ids.contains(&c.id);
                        view! {
                            <label class="inline">
                                <input type="checkbox" name=format!("channels[{}]", c.id) value="on" checked=checked />
                                {c.name}
                            </label>
                        }
                    })
                    .collect_view()}
            </fieldset>
            <fieldset>
                <legend>"Variants"</legend>
                <table class="data variants">
                    <thead>
                        <tr>
                            <th>"Title"</th>
                            {product_options.iter().map(|o| view! { <th>{o.title.clone()}</th> }).collect_view()}
                            <th>"SKU"</th>
                            <th>{format!("Price ({currency})")}</th>
                            <th>"Weight (g)"</th>
                            {locations.iter().map(|l| view! { <th>{format!("Stock: {}", l.name)}</th> }).collect_view()}
                            <th>"Remove"</th>
                        </tr>
                    </thead>
                    <tbody>
                        {rows
                            .into_iter()
                            .enumerate()
                            .map(|(i, v)| {
                                let field = move |name: &str| format!("variants[{i}][{name}]");
                                let is_new = v.id.is_empty();
                                view! {
                                    <tr data-variant=i>
                                        <td>
                                            <input type="hidden" name=field("id") value=v.id.clone() />
                                            <input name=field("title") value=v.title.clone() placeholder={if is_new { "New variant" } else { "" }} />
                                        </td>
                                        {product_options
                                            .iter()
                                            .map(|o| {
                                                let chosen = v.options.get(&o.id).cloned().unwrap_or_default();
                                                view! {
                                                    <td>
                                                        <select name=format!("variants[{i}][options][{}]", o.id) aria-label=o.title.clone()>
                                                            {o.values
                                                                .iter()
                                                                .map(|value| view! { <option value=value.clone() selected=*value == chosen>{value.clone()}</option> })
                                                                .collect_view()}
                                                        </select>
                                                    </td>
                                                }
                                            })
                                            .collect_view()}
                                        <td><input name=field("sku") value=v.sku.clone() /></td>
                                        <td><input name=field("price") value=v.price.clone() inputmode="decimal" /></td>
                                        <td><input name=field("weight") value=v.weight.clone() inputmode="numeric" /></td>
                                        {locations
                                            .iter()
                                            .map(|l| {
                                                let quantity = v.stock.get(&l.id).map(|q| q.to_string()).unwrap_or_default();
                                                view! {
                                                    <td>
                                                        <input name=format!("variants[{i}][stock][{}]", l.id) value=quantity inputmode="numeric" />
                                                    </td>
                                                }
                                            })
                                            .collect_view()}
                                        <td>
                                            {(!is_new).then(|| view! { <input type="checkbox" name=field("remove") value="on" /> })}
                                        </td>
                                    </tr>
                                }
                            })
                            .collect_view()}
                    </tbody>
                </table>
            </fieldset>
            <button type="submit" disabled=move || save.pending().get()>
                {if creating { "Create product" } else { "Save changes" }}
            </button>
        </ActionForm>
        {option_editor
            .map(|(product_id, shown, variant_count)| {
                view! { <ProductOptions product_id options=shown variant_count actions=options /> }
            })}
        {shown.map(|(product_id, shown)| view! { <ProductPictures product_id shown actions=pictures /> })}
    }
}

/// A picture of the product on its page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ShownPicture {
    pub id: String,
    pub url: String,
    pub thumbnail: bool,
}

#[server(endpoint = "/admin/products/remove-picture")]
pub async fn remove_picture(product_id: String, image_id: String) -> Result<(), ServerFnError> {
    use crate::server_context::*;
    let ctx = admin_context(domain::admin_users::Permission::ManageStore).await?;
    domain::catalog::editing::remove_image(&ctx.db, &product_id, &image_id)
        .await
        .map_err(to_server_error)?;
    leptos_axum::redirect(&format!("{PRODUCTS_PATH}/{product_id}"));
    Ok(())
}

#[server(endpoint = "/admin/products/choose-thumbnail")]
pub async fn choose_thumbnail(product_id: String, url: String) -> Result<(), ServerFnError> {
    use crate::server_context::*;
    let ctx = admin_context(domain::admin_users::Permission::ManageStore).await?;
    let changes = domain::catalog::editing::ProductChanges {
        thumbnail: Some(url),
        ..Default::default()
    };
    domain::catalog::editing::update(&ctx.db, &product_id, changes)
        .await
        .map_err(to_server_error)?;
    leptos_axum::redirect(&format!("{PRODUCTS_PATH}/{product_id}"));
    Ok(())
}

/// The product's pictures, in order, with a form to upload more: a plain
/// multipart form to `POST /admin/products/{id}/images`, which comes back
/// here (with `upload_error` when a file is refused).
#[component]
fn ProductPictures(
    product_id: String,
    shown: Vec<ShownPicture>,
    actions: PictureActions,
) -> impl IntoView {
    let query = use_query_map();
    let upload_error = move || query.read().get("upload_error");
    let action_error = move || {
        actions
            .remove
            .value()
            .get()
            .or_else(|| actions.choose.value().get())
            .and_then(|r| r.err())
            .map(|e| crate::components::plain_error(&e))
    };
    let upload_to = format!("{PRODUCTS_PATH}/{product_id}/images");
    let tiles = if shown.is_empty() {
        view! { <p class="empty">"No pictures yet. The first one you add becomes the thumbnail shoppers see."</p> }
            .into_any()
    } else {
        view! {
            <ul class="picture-grid">
                {shown
                    .into_iter()
                    .enumerate()
                    .map(|(n, picture)| {
                        view! { <PictureTile picture n=n + 1 product_id=product_id.clone() actions /> }
                    })
                    .collect_view()}
            </ul>
        }
        .into_any()
    };
    view! {
        <section class="pictures" aria-labelledby="pictures-heading" data-testid="product-pictures">
            <h2 id="pictures-heading">"Pictures"</h2>
            {move || upload_error().map(|e| view! { <p class="notice error" role="alert">{e}</p> })}
            {move || action_error().map(|e| view! { <p class="notice error" role="alert">{e}</p> })}
            {tiles}
            <form method="post" enctype="multipart/form-data" action=upload_to class="stacked" data-testid="picture-upload">
                <label>
                    "Add pictures (JPEG, PNG, WebP or GIF, up to 10 at once)"
                    <input type="file" name="files" accept="image/jpeg,image/png,image/webp,image/gif" multiple required />
                </label>
                <button type="submit">"Upload"</button>
            </form>
        </section>
    }
}

#[component]
fn PictureTile(
    picture: ShownPicture,
    n: usize,
    product_id: String,
    actions: PictureActions,
) -> impl IntoView {
    let PictureActions { remove, choose } = actions;
    let (remove_product, choose_product) = (product_id.clone(), product_id);
    let url = picture.url.clone();
    view! {
        <li>
            <img src=picture.url.clone() alt=format!("Picture {n}") loading="lazy" width="160" height="160" />
            {if picture.thumbnail {
                view! { <p class="badge">"Thumbnail"</p> }.into_any()
            } else {
                view! {
                    <ActionForm action=choose>
                        <input type="hidden" name="product_id" value=choose_product.clone() />
                        <input type="hidden" name="url" value=url.clone() />
                        <button type="submit" class="secondary">"Make thumbnail"</button>
                    </ActionForm>
                }
                .into_any()
            }}
            <ActionForm action=remove>
                <input type="hidden" name="product_id" value=remove_product.clone() />
                <input type="hidden" name="image_id" value=picture.id.clone() />
                <button type="submit" class="danger" aria-label=format!("Remove picture {n}")>"Remove"</button>
            </ActionForm>
        </li>
    }
}
