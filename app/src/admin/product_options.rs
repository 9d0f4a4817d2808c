//! The product editor's options (Size: S, M, L): add, rename, change values,
//! delete, and create the variants for combinations not sold yet. Each form
//! posts on its own and comes back to the product, so it works before
//! hydration too.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

/// An option as the editor shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct EditedOption {
    pub id: String,
    pub title: String,
    pub values: Vec<String>,
}

/// "S, M , L" → ["S", "M", "L"]; the domain refuses what is left empty.
#[cfg(feature = "ssr")]
fn split_values(values: &str) -> Vec<String> {
    values
        .split(',')
        .map(|v| v.trim().to_owned())
        .filter(|v| !v.is_empty())
        .collect()
}

#[server(endpoint = "/admin/products/add-option")]
pub async fn add_product_option(
    product_id: String,
    title: String,
    values: String,
) -> Result<(), ServerFnError> {
    use crate::server_context::*;
    let ctx = admin_context(domain::admin_users::Permission::ManageStore).await?;
    let input = domain::catalog::editing::OptionInput {
        title,
        values: split_values(&values),
    };
    domain::catalog::editing::options::add(&ctx.db, &product_id, input)
        .await
        .map_err(to_server_error)?;
    leptos_axum::redirect(&format!("{}/{product_id}", super::products::PRODUCTS_PATH));
    Ok(())
}

#[server(endpoint = "/admin/products/save-option")]
pub async fn save_product_option(
    product_id: String,
    option_id: String,
    title: String,
    values: String,
) -> Result<(), ServerFnError> {
    use crate::server_context::*;
    let ctx = admin_context(domain::admin_users::Permission::ManageStore).await?;
    let changes = domain::catalog::editing::options::OptionChanges {
        title: Some(title),
        values: Some(split_values(&values)),
    };
    domain::catalog::editing::options::update(&ctx.db, &product_id, &option_id, changes)
        .await
        .map_err(to_server_error)?;
    leptos_axum::redirect(&format!("{}/{product_id}", super::products::PRODUCTS_PATH));
    Ok(())
}

#[server(endpoint = "/admin/products/delete-option")]
pub async fn delete_product_option(
    product_id: String,
    option_id: String,
) -> Result<(), ServerFnError> {
    use crate::server_context::*;
    let ctx = admin_context(domain::admin_users::Permission::ManageStore).await?;
    domain::catalog::editing::options::delete(&ctx.db, &product_id, &option_id)
        .await
        .map_err(to_server_error)?;
    leptos_axum::redirect(&format!("{}/{product_id}", super::products::PRODUCTS_PATH));
    Ok(())
}

#[server(endpoint = "/admin/products/create-variants")]
pub async fn create_missing_variants(product_id: String) -> Result<usize, ServerFnError> {
    use crate::server_context::*;
    let ctx = admin_context(domain::admin_users::Permission::ManageStore).await?;
    let created = domain::catalog::editing::options::create_missing_variants(&ctx.db, &product_id)
        .await
        .map_err(to_server_error)?;
    leptos_axum::redirect(&format!("{}/{product_id}", super::products::PRODUCTS_PATH));
    Ok(created)
}

/// The option forms' actions; the editor loads the product again after each.
#[derive(Clone, Copy)]
pub struct OptionActions {
    pub add: ServerAction<AddProductOption>,
    pub save: ServerAction<SaveProductOption>,
    pub delete: ServerAction<DeleteProductOption>,
    pub create_variants: ServerAction<CreateMissingVariants>,
}

impl Default for OptionActions {
    fn default() -> Self {
        Self {
            add: ServerAction::new(),
            save: ServerAction::new(),
            delete: ServerAction::new(),
            create_variants: ServerAction::new(),
        }
    }
}

impl OptionActions {
    /// Changes whenever one of the forms has been sent.
    pub fn version(&self) -> usize {
        self.add.version().get()
            + self.save.version().get()
            + self.delete.version().get()
            + self.create_variants.version().get()
    }

    /// The last refusal of any of the forms, in words.
    fn error(&self) -> Option<String> {
        let refused = |e: Option<Result<(), ServerFnError>>| e.and_then(|r| r.err());
        refused(self.add.value().get())
            .or_else(|| refused(self.save.value().get()))
            .or_else(|| refused(self.delete.value().get()))
            .or_else(|| self.create_variants.value().get().and_then(|r| r.err()))
            .map(|e| crate::components::plain_error(&e))
    }
}

#[component]
pub fn ProductOptions(
    product_id: String,
    options: Vec<EditedOption>,
    variant_count: usize,
    actions: OptionActions,
) -> impl IntoView {
    let combinations = options
        .iter()
        .fold(1usize, |n, o| n.saturating_mul(o.values.len()));
    let has_options = !options.is_empty();
    let list = if options.is_empty() {
        view! {
            <p class="empty">
                "No options yet. Add one (Size: 330 ml, 500 ml) and shoppers pick a variant by its values."
            </p>
        }
        .into_any()
    } else {
        view! {
            <ul class="option-list">
                {options
                    .into_iter()
                    .map(|option| view! { <OptionRow product_id=product_id.clone() option actions /> })
                    .collect_view()}
            </ul>
        }
        .into_any()
    };
    let add_product = product_id.clone();
    view! {
        <section class="product-options" aria-labelledby="options-heading" data-testid="product-options">
            <h2 id="options-heading">"Options"</h2>
            {move || actions.error().map(|e| view! { <p class="notice error" role="alert">{e}</p> })}
            {list}
            <ActionForm action=actions.add attr:class="stacked option-form" attr:data-testid="add-option">
                <input type="hidden" name="product_id" value=add_product />
                <label>"New option" <input name="title" required placeholder="Size" /></label>
                <label>
                    "Its values, separated by commas"
                    <input name="values" required placeholder="330 ml, 500 ml" />
                </label>
                <button type="submit" class="secondary">"Add option"</button>
            </ActionForm>
            {has_options
                .then(|| {
                    let missing = combinations.saturating_sub(variant_count);
                    view! {
                        <ActionForm action=actions.create_variants attr:data-testid="create-variants">
                            <input type="hidden" name="product_id" value=product_id.clone() />
                            <p class="hint">
                                {format!(
                                    "The options make {combinations} combinations; the product has {variant_count} variants. \
                                     New variants take the first variant's prices and stock tracking, with none in stock."
                                )}
                            </p>
                            <button type="submit" class="secondary" disabled=missing == 0>
                                "Create the missing variants"
                            </button>
                        </ActionForm>
                    }
                })}
        </section>
    }
}

#[component]
fn OptionRow(product_id: String, option: EditedOption, actions: OptionActions) -> impl IntoView {
    let values = option.values.join(", ");
    let EditedOption { id, title, .. } = option;
    let (save_product, save_id, save_title) = (product_id.clone(), id.clone(), title.clone());
    let label = format!("Delete option {title}");
    view! {
        <li data-option=title>
            <ActionForm action=actions.save attr:class="inline-form">
                <input type="hidden" name="product_id" value=save_product.clone() />
                <input type="hidden" name="option_id" value=save_id.clone() />
                <label>"Option" <input name="title" required value=save_title.clone() /></label>
                <label>"Values" <input name="values" required value=values.clone() /></label>
                <button type="submit" class="secondary">"Save option"</button>
            </ActionForm>
            <ActionForm action=actions.delete>
                <input type="hidden" name="product_id" value=product_id.clone() />
                <input type="hidden" name="option_id" value=id.clone() />
                <button type="submit" class="danger" aria-label=label.clone()>"Delete"</button>
            </ActionForm>
        </li>
    }
}
