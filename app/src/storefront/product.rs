//! One product with its variants.

use leptos::prelude::*;
use leptos_router::hooks::use_params_map;

use super::{ProductCard, ProductPicture, cart::AddToCartForm};
use crate::components::{ErrorNotice, NotFound};

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
            <ul class="variants">
                {product
                    .variants
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
        </article>
    }
}
