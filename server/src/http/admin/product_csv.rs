//! `GET /admin/exports/products.csv`: the whole catalogue, one row per
//! variant (a product without variants gets one row), with Medusa's product
//! export column names so a spreadsheet made for one reads the other.
//! Prices are in major units ("Variant Price EUR" 2.50), as people type them.

use axum::{extract::State, response::Response};
use domain::{
    catalog::{
        ProductDetail, VariantDetail,
        export::{self, ExportShape},
    },
    pricing::money::{decimals, to_major_units},
};

use crate::{
    http::{
        auth::AuthenticatedAdmin,
        csv::{Rows, csv_stream, text_cell},
        error::ApiError,
    },
    state::AppState,
};

const PRODUCT_COLUMNS: [&str; 10] = [
    "Product Id",
    "Product Handle",
    "Product Title",
    "Product Subtitle",
    "Product Description",
    "Product Status",
    "Product Thumbnail",
    "Product Collection",
    "Product Categories",
    "Product Tags",
];
const VARIANT_COLUMNS: [&str; 5] = [
    "Variant Id",
    "Variant Title",
    "Variant Sku",
    "Variant Barcode",
    "Variant Weight",
];

pub async fn products_csv(
    _admin: AuthenticatedAdmin,
    State(state): State<AppState>,
) -> Result<Response, ApiError> {
    let shape = export::shape(&state.db).await?;
    let header = header(&shape);
    let header: Vec<&str> = header.iter().map(String::as_str).collect();
    let filename = format!("products-{}.csv", chrono::Utc::now().format("%Y-%m-%d"));
    Ok(csv_stream(filename, &header, 0, move |offset| {
        let db = state.db.clone();
        let shape = shape.clone();
        async move {
            let (products, next) = export::page(&db, offset).await?;
            let rows = products.iter().flat_map(|p| rows(p, &shape)).collect();
            Ok((rows, next))
        }
    }))
}

fn header(shape: &ExportShape) -> Vec<String> {
    let mut header: Vec<String> = PRODUCT_COLUMNS
        .iter()
        .chain(&VARIANT_COLUMNS)
        .map(|c| c.to_string())
        .collect();
    for currency in &shape.currencies {
        header.push(format!("Variant Price {}", currency.to_uppercase()));
    }
    for n in 1..=shape.options {
        header.push(format!("Variant Option {n} Name"));
        header.push(format!("Variant Option {n} Value"));
    }
    header
}

fn rows(detail: &ProductDetail, shape: &ExportShape) -> Rows {
    let p = &detail.product;
    let join = |names: Vec<&str>| text_cell(&names.join("; "));
    let product = [
        p.id.clone(),
        p.handle.clone(),
        text_cell(&p.title),
        text_cell(p.subtitle.as_deref().unwrap_or_default()),
        text_cell(p.description.as_deref().unwrap_or_default()),
        p.status.to_string(),
        p.thumbnail.clone().unwrap_or_default(),
        text_cell(detail.collection.as_ref().map_or("", |c| c.title.as_str())),
        join(detail.categories.iter().map(|c| c.name.as_str()).collect()),
        join(detail.tags.iter().map(|t| t.value.as_str()).collect()),
    ];
    if detail.variants.is_empty() {
        let width = VARIANT_COLUMNS.len() + shape.currencies.len() + 2 * shape.options;
        return vec![
            product
                .into_iter()
                .chain(vec![String::new(); width])
                .collect(),
        ];
    }
    detail
        .variants
        .iter()
        .map(|v| {
            product
                .iter()
                .cloned()
                .chain(variant_cells(v, shape))
                .collect()
        })
        .collect()
}

fn variant_cells(detail: &VariantDetail, shape: &ExportShape) -> Vec<String> {
    let v = &detail.variant;
    let mut cells = vec![
        v.id.clone(),
        text_cell(&v.title),
        text_cell(v.sku.as_deref().unwrap_or_default()),
        text_cell(v.barcode.as_deref().unwrap_or_default()),
        v.weight_grams.map(|w| w.to_string()).unwrap_or_default(),
    ];
    for currency in &shape.currencies {
        cells.push(
            detail
                .price_in(currency)
                .map(|amount| {
                    let places = decimals(currency) as usize;
                    format!("{:.places$}", to_major_units(amount, currency))
                })
                .unwrap_or_default(),
        );
    }
    for n in 0..shape.options {
        match detail.options.get(n) {
            Some((title, value)) => {
                cells.push(text_cell(title));
                cells.push(text_cell(&value.value));
            }
            None => cells.extend([String::new(), String::new()]),
        }
    }
    cells
}
