//! One product with its variants: a list of them, or, for a product with
//! options, a picker (Size, Flavour) that finds the variant.

use leptos::prelude::*;
use leptos_router::{
    NavigateOptions,
    hooks::{use_location, use_navigate, use_params_map, use_query_map},
};

use super::{OptionChoice, ProductCard, ProductPicture, VariantChoice, cart::AddToCartForm};
use crate::components::{ErrorNotice, NotFound};
use crate::redirects::query_value;

#[server(endpoint = "/catalog/product")]
pub async fn get_product(handle: String) -> Result<Option<ProductCard>, ServerFnError> {
    use crate::server_context::*;
    let ctx = server_context()?;
    let found = if ctx.storefront_channel_ids.is_empty() {
        domain::catalog::find_published(&ctx.db, &handle).await
    } else {
        domain::catalog::find_published_in_channels(&ctx.db, &handle, &ctx.storefront_channel_ids)
            .await
    };
    match found {
        Ok(detail) => {
            let mut card = [ProductCard::from_detail(detail, &ctx.currency)];
            ProductCard::add_srcsets(&mut card, &ctx.db)
                .await
                .map_err(to_server_error)?;
            let [card] = card;
            Ok(Some(card))
        }
        Err(domain::DomainError::NotFound { .. }) => Ok(None),
        Err(e) => Err(to_server_error(e)),
    }
}

#[component]
pub fn ProductPage() -> impl IntoView {
    let params = use_params_map();
    let product = Resource::new(
        move || params.read().get("handle").unwrap_or_default(),
        get_product,
    );
    view! {
        <Transition fallback=|| view! { <p class="loading">"Loading…"</p> }>
            <ErrorBoundary fallback=|errors| view! { <ErrorNotice errors=errors /> }>
                {move || Suspend::new(async move {
                    product
                        .await
                        .map(|found| match found {
                            Some(product) => view! { <ProductDetail product /> }.into_any(),
                            None => view! { <NotFound /> }.into_any(),
                        })
                })}
            </ErrorBoundary>
        </Transition>
    }
}

#[component]
fn ProductDetail(product: ProductCard) -> impl IntoView {
    view! {
        <article class="product-detail">
            <p><a href="/">"← All products"</a></p>
            <h1>{product.title.clone()}</h1>
            {product.picture.clone().map(|picture| {
                view! {
                    <ProductPicture picture alt=product.title.clone() sizes="(max-width: 40rem) 100vw, 30rem" lazy=false />
                }
            })}
            {product
                .category
                .map(|c| {
                    let href = c.href();
                    view! { <p class="product-category"><a href=href>{c.name}</a></p> }
                })}
            <p>{product.description.clone().unwrap_or_default()}</p>
            {if product.options.is_empty() {
                view! { <VariantList variants=product.variants /> }.into_any()
            } else {
                view! { <OptionPicker options=product.options variants=product.variants /> }.into_any()
            }}
        </article>
    }
}

#[component]
fn VariantList(variants: Vec<VariantChoice>) -> impl IntoView {
    view! {
            <ul class="variants">
                {variants
                    .into_iter()
                    .map(|v| {
                        view! {
                            <li class="variant">
                                <span class="variant-title">{v.title.clone()}</span>
                                <span class="price">{v.price_label()}</span>
                                <AddToCartForm variant_id=v.id with_quantity=true />
                            </li>
                        }
                    })
                    .collect_view()}
            </ul>
    }
}

/// One group of choices per option, read from and written to the query
/// (`?Size=500+ml&Flavour=Peach`), so a choice is a link that can be shared
/// and the picker works before hydration: its "Show" button sends the form.
/// Once hydrated, a tap shows the variant at once and the button hides.
#[component]
fn OptionPicker(options: Vec<OptionChoice>, variants: Vec<VariantChoice>) -> impl IntoView {
    let query = use_query_map();
    let hydrated = RwSignal::new(false);
    Effect::new(move || hydrated.set(true));
    let first = variants
        .first()
        .map(|v| v.options.clone())
        .unwrap_or_default();
    let options = StoredValue::new(options);
    let variants = StoredValue::new(variants);
    // The value of each option: the query's, when it is one, else the first variant's.
    let selected = move || -> Vec<(String, String)> {
        let query = query.read();
        options.with_value(|options| {
            options
                .iter()
                .map(|o| {
                    let from_query = query.get(&o.title).filter(|v| o.values.contains(v));
                    let value = from_query
                        .or_else(|| {
                            first
                                .iter()
                                .find(|(t, _)| *t == o.title)
                                .map(|(_, v)| v.clone())
                        })
                        .unwrap_or_else(|| o.values[0].clone());
                    (o.title.clone(), value)
                })
                .collect()
        })
    };
    let selected = Memo::new(move |_| selected());
    let chosen = move || {
        let selected = selected.get();
        variants.with_value(|variants| {
            variants
                .iter()
                .find(|v| selected.iter().all(|s| v.options.contains(s)))
                .cloned()
        })
    };
    let navigate = use_navigate();
    let location = use_location();
    let choose = move |title: String, value: String| {
        let mut query = String::new();
        for (t, v) in selected.get_untracked() {
            let v = if t == title { value.clone() } else { v };
            query.push(if query.is_empty() { '?' } else { '&' });
            query.push_str(&format!("{}={}", query_value(&t), query_value(&v)));
        }
        let path = location.pathname.get_untracked();
        navigate(
            &format!("{path}{query}"),
            NavigateOptions {
                replace: true,
                scroll: false,
                ..Default::default()
            },
        );
    };
    view! {
        <form method="get" class="option-picker" data-testid="option-picker">
            {options
                .get_value()
                .into_iter()
                .map(|option| {
                    let title = option.title.clone();
                    view! {
                        <fieldset>
                            <legend>{option.title.clone()}</legend>
                            {option
                                .values
                                .into_iter()
                                .map(|value| {
                                    let (t, v) = (title.clone(), value.clone());
                                    let (t2, v2) = (title.clone(), value.clone());
                                    let choose = choose.clone();
                                    // The attribute for the page as served; the property once hydrated.
                                    let checked = selected.get_untracked().iter().any(|(st, sv)| *st == title && *sv == value);
                                    view! {
                                        <label class="choice">
                                            <input
                                                type="radio"
                                                name=title.clone()
                                                value=value.clone()
                                                checked=checked
                                                prop:checked=move || selected.read().iter().any(|(st, sv)| *st == t2 && *sv == v2)
                                                on:change=move |_| choose(t.clone(), v.clone())
                                            />
                                            <span>{value}</span>
                                        </label>
                                    }
                                })
                                .collect_view()}
                        </fieldset>
                    }
                })
                .collect_view()}
            <button type="submit" class="secondary" hidden=move || hydrated.get()>"Show"</button>
        </form>
        {move || match chosen() {
            Some(v) => view! {
                <div class="chosen-variant" data-testid="chosen-variant" aria-live="polite">
                    <span class="variant-title">{v.title.clone()}</span>
                    <span class="price">{v.price_label()}</span>
                    <AddToCartForm variant_id=v.id with_quantity=true />
                </div>
            }
            .into_any(),
            None => view! {
                <p class="notice" data-testid="chosen-variant" aria-live="polite">
                    "This combination is not sold. Choose another."
                </p>
            }
            .into_any(),
        }}
    }
}
