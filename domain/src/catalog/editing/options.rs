//! A product's options (Size: S, M, L) after it exists: add, rename, change
//! values, delete, and create the variants for combinations not yet sold.
//!
//! The rule every function keeps: each variant of a product with options
//! has exactly one value of each option, and no two variants share a
//! combination (the storefront's picker finds a variant by its values).

use std::collections::{BTreeMap, BTreeSet, HashMap};

use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel, QueryFilter, Set,
    TransactionSession,
};

use super::{
    OptionInput, VariantInput, existing_product, insert_option, insert_variant, options_of,
    product_changed, required_text, valid_options, variants_of,
};
use crate::{
    DomainError,
    catalog::{
        OptionDetail, PRODUCT_UPDATED, option_value, price, product_option, variant, variant_option,
    },
    ids::new_id,
    inventory,
};

/// More variants than this from one "create the missing variants" would be
/// a typo in the values rather than a catalogue.
pub const MAX_GENERATED_VARIANTS: usize = 100;

/// Changes to an option; `None` keeps a field.
#[derive(Debug, Clone, Default)]
pub struct OptionChanges {
    pub title: Option<String>,
    /// The option's values in display order: values kept keep their ids, new
    /// ones are added, those left out are deleted (refused while a variant
    /// has one).
    pub values: Option<Vec<String>>,
}

/// Adds an option after the product's others; its id. Variants the product
/// already has get a value of it, so each still has one value of every
/// option and no two the same combination.
pub async fn add(
    db: &impl crate::db::Writable,
    product_id: &str,
    input: OptionInput,
) -> Result<String, DomainError> {
    let option = valid_options(std::slice::from_ref(&input))?.remove(0);
    let txn = crate::db::begin_write(db).await?;
    existing_product(&txn, product_id).await?;
    let existing = options_of(&txn, product_id).await?;
    ensure_title_free(&existing, &option.title, None)?;
    let rank = existing.last().map_or(0, |o| o.option.rank as usize + 1);
    insert_option(&txn, product_id, rank, &option).await?;
    let added = options_of(&txn, product_id)
        .await?
        .into_iter()
        .find(|o| o.option.title == option.title)
        .ok_or_else(|| DomainError::not_found("product option", &option.title))?;
    // Variants that were told apart take the first value; variants that were
    // not (say Can and Bottle, before any option) take the values in turn,
    // which tells them apart from now on.
    let mut alike: HashMap<BTreeSet<String>, usize> = HashMap::new();
    for (variant, combo) in combinations(&txn, product_id).await? {
        let nth = alike.entry(combo).or_default();
        let value = added.values.get(*nth).ok_or_else(|| {
            DomainError::Conflict(format!(
                "more than {} variants have the same option values; give option {} \
                 a value for each of them",
                added.values.len(),
                added.option.title
            ))
        })?;
        *nth += 1;
        variant_option::ActiveModel {
            variant_id: Set(variant.id),
            option_value_id: Set(value.id.clone()),
        }
        .insert(&txn)
        .await?;
    }
    product_changed(&txn, PRODUCT_UPDATED, product_id).await?;
    txn.commit().await?;
    Ok(added.option.id)
}

/// Renames an option or changes its values.
pub async fn update(
    db: &impl crate::db::Writable,
    product_id: &str,
    option_id: &str,
    changes: OptionChanges,
) -> Result<(), DomainError> {
    let txn = crate::db::begin_write(db).await?;
    existing_product(&txn, product_id).await?;
    let options = options_of(&txn, product_id).await?;
    let current = option_in(&options, option_id)?;
    if let Some(title) = &changes.title {
        let title = required_text(title, "an option needs a title")?;
        ensure_title_free(&options, &title, Some(option_id))?;
        let mut active = current.option.clone().into_active_model();
        active.title = Set(title);
        active.update(&txn).await?;
    }
    if let Some(values) = changes.values {
        let input = OptionInput {
            title: current.option.title.clone(),
            values,
        };
        let values = valid_options(&[input])?.remove(0).values;
        replace_values(&txn, product_id, current, &values).await?;
    }
    product_changed(&txn, PRODUCT_UPDATED, product_id).await?;
    txn.commit().await?;
    Ok(())
}

/// Deletes an option and its values; the variants lose their value of it.
/// Refused when two variants would then be the same.
pub async fn delete(
    db: &impl crate::db::Writable,
    product_id: &str,
    option_id: &str,
) -> Result<(), DomainError> {
    let txn = crate::db::begin_write(db).await?;
    existing_product(&txn, product_id).await?;
    let options = options_of(&txn, product_id).await?;
    let gone = option_in(&options, option_id)?;
    let gone_values: BTreeSet<&str> = gone.values.iter().map(|v| v.id.as_str()).collect();
    let mut seen: HashMap<BTreeSet<String>, String> = HashMap::new();
    for (variant, values) in combinations(&txn, product_id).await? {
        let variant = variant.title;
        let rest: BTreeSet<String> = values
            .into_iter()
            .filter(|v| !gone_values.contains(v.as_str()))
            .collect();
        if rest.is_empty() {
            continue;
        }
        if let Some(twin) = seen.insert(rest, variant.clone()) {
            return Err(DomainError::Conflict(format!(
                "without option {}, variants {twin} and {variant} would be the same; \
                 delete one of them first",
                gone.option.title
            )));
        }
    }
    // The values' rows cascade to the variants' links.
    product_option::Entity::delete_by_id(option_id)
        .exec(&txn)
        .await?;
    product_changed(&txn, PRODUCT_UPDATED, product_id).await?;
    txn.commit().await?;
    Ok(())
}

/// Creates a variant for every combination of option values the product
/// does not sell yet, priced like its first variant and with its stock
/// tracked if the first variant's is (none in stock); how many were created.
pub async fn create_missing_variants(
    db: &impl crate::db::Writable,
    product_id: &str,
) -> Result<usize, DomainError> {
    let txn = crate::db::begin_write(db).await?;
    existing_product(&txn, product_id).await?;
    let options = options_of(&txn, product_id).await?;
    if options.is_empty() {
        return Err(DomainError::Invalid(
            "the product has no options to make variants from".into(),
        ));
    }
    // Counted before any combination is built: a few long value lists would
    // otherwise make millions of them in memory.
    let possible = options
        .iter()
        .fold(1usize, |n, o| n.saturating_mul(o.values.len()));
    if possible > MAX_GENERATED_VARIANTS {
        return Err(DomainError::Invalid(format!(
            "the options make {possible} variants; at most {MAX_GENERATED_VARIANTS} are created at once"
        )));
    }
    let variants = variants_of(&txn, product_id).await?;
    let existing: BTreeSet<BTreeSet<String>> = combinations(&txn, product_id)
        .await?
        .into_iter()
        .map(|(_, combo)| combo)
        .collect();
    let all = all_combinations(&options);
    let missing: Vec<&Vec<&option_value::Model>> = all
        .iter()
        .filter(|combo| !existing.contains(&combo.iter().map(|v| v.id.clone()).collect()))
        .collect();
    if variants.len() + missing.len() > MAX_GENERATED_VARIANTS {
        return Err(DomainError::Invalid(format!(
            "the options make {} variants; at most {MAX_GENERATED_VARIANTS} are created at once",
            variants.len() + missing.len()
        )));
    }
    let (prices, managed): (Vec<(String, i64)>, bool) = match variants.first() {
        Some(first) => (
            price::Entity::find()
                .filter(price::Column::VariantId.eq(&first.id))
                .all(&txn)
                .await?
                .into_iter()
                .map(|p| (p.currency_code, p.amount))
                .collect(),
            inventory::find_item_by_variant(&txn, &first.id)
                .await?
                .is_some(),
        ),
        None => (Vec::new(), true),
    };
    for (n, combo) in missing.iter().enumerate() {
        let chosen: BTreeMap<String, String> = options
            .iter()
            .zip(combo.iter())
            .map(|(o, v)| (o.option.title.clone(), v.value.clone()))
            .collect();
        let title = combo
            .iter()
            .map(|v| v.value.as_str())
            .collect::<Vec<_>>()
            .join(" / ");
        let input = VariantInput {
            title: Some(title),
            prices: Some(prices.clone()),
            options: chosen,
            manage_inventory: Some(managed),
            ..Default::default()
        };
        insert_variant(&txn, product_id, variants.len() + n, input, &options).await?;
    }
    if !missing.is_empty() {
        product_changed(&txn, PRODUCT_UPDATED, product_id).await?;
    }
    txn.commit().await?;
    Ok(missing.len())
}

/// Refuses a value combination another variant of the product already has.
pub(super) async fn ensure_combination_free(
    db: &impl ConnectionTrait,
    product_id: &str,
    value_ids: &[String],
    except_variant: Option<&str>,
) -> Result<(), DomainError> {
    if value_ids.is_empty() {
        return Ok(());
    }
    let wanted: BTreeSet<String> = value_ids.iter().cloned().collect();
    let twin = combinations(db, product_id)
        .await?
        .into_iter()
        .find(|(variant, values)| Some(variant.id.as_str()) != except_variant && *values == wanted);
    match twin {
        Some((variant, _)) => Err(DomainError::Conflict(format!(
            "variant {} already has these option values",
            variant.title
        ))),
        None => Ok(()),
    }
}

/// Each variant (by its title) with its option value ids.
async fn combinations(
    db: &impl ConnectionTrait,
    product_id: &str,
) -> Result<Vec<(variant::Model, BTreeSet<String>)>, DomainError> {
    let variants = variants_of(db, product_id).await?;
    let mut values: HashMap<String, BTreeSet<String>> = HashMap::new();
    for link in variant_option::Entity::find()
        .filter(variant_option::Column::VariantId.is_in(variants.iter().map(|v| v.id.clone())))
        .all(db)
        .await?
    {
        values
            .entry(link.variant_id)
            .or_default()
            .insert(link.option_value_id);
    }
    Ok(variants
        .into_iter()
        .map(|v| {
            let combo = values.remove(&v.id).unwrap_or_default();
            (v, combo)
        })
        .collect())
}

/// Every combination of one value per option, in the options' order.
fn all_combinations(options: &[OptionDetail]) -> Vec<Vec<&option_value::Model>> {
    options.iter().fold(vec![Vec::new()], |combos, option| {
        combos
            .iter()
            .flat_map(|combo| {
                option.values.iter().map(move |value| {
                    let mut next = combo.clone();
                    next.push(value);
                    next
                })
            })
            .collect()
    })
}

fn option_in<'a>(
    options: &'a [OptionDetail],
    option_id: &str,
) -> Result<&'a OptionDetail, DomainError> {
    options
        .iter()
        .find(|o| o.option.id == option_id)
        .ok_or_else(|| DomainError::not_found("product option", option_id))
}

fn ensure_title_free(
    options: &[OptionDetail],
    title: &str,
    except: Option<&str>,
) -> Result<(), DomainError> {
    if options
        .iter()
        .any(|o| o.option.title == title && Some(o.option.id.as_str()) != except)
    {
        return Err(DomainError::Conflict(format!(
            "the product already has an option {title}"
        )));
    }
    Ok(())
}

/// Makes `values` the option's values in that order.
async fn replace_values(
    db: &impl ConnectionTrait,
    product_id: &str,
    option: &OptionDetail,
    values: &[String],
) -> Result<(), DomainError> {
    let in_use: BTreeSet<String> = combinations(db, product_id)
        .await?
        .into_iter()
        .flat_map(|(_, combo)| combo)
        .collect();
    for dropped in option.values.iter().filter(|v| !values.contains(&v.value)) {
        if in_use.contains(&dropped.id) {
            return Err(DomainError::Conflict(format!(
                "a variant has {} {}; change or delete that variant before removing the value",
                option.option.title, dropped.value
            )));
        }
        option_value::Entity::delete_by_id(&dropped.id)
            .exec(db)
            .await?;
    }
    for (rank, value) in values.iter().enumerate() {
        match option.values.iter().find(|v| &v.value == value) {
            Some(kept) => {
                let mut active = kept.clone().into_active_model();
                active.rank = Set(rank as i32);
                active.update(db).await?;
            }
            None => {
                option_value::ActiveModel {
                    id: Set(new_id("optval")),
                    option_id: Set(option.option.id.clone()),
                    value: Set(value.clone()),
                    rank: Set(rank as i32),
                }
                .insert(db)
                .await?;
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn option(title: &str, values: &[&str]) -> OptionDetail {
        OptionDetail {
            option: product_option::Model {
                id: format!("opt_{title}"),
                product_id: "prod".into(),
                title: title.into(),
                rank: 0,
            },
            values: values
                .iter()
                .enumerate()
                .map(|(rank, value)| option_value::Model {
                    id: format!("{title}_{value}"),
                    option_id: format!("opt_{title}"),
                    value: (*value).into(),
                    rank: rank as i32,
                })
                .collect(),
        }
    }

    #[test]
    fn every_combination_once_in_option_order() {
        let options = [
            option("Size", &["S", "M"]),
            option("Flavour", &["Lemon", "Lime", "Mint"]),
        ];
        let combos: Vec<String> = all_combinations(&options)
            .iter()
            .map(|c| {
                c.iter()
                    .map(|v| v.value.as_str())
                    .collect::<Vec<_>>()
                    .join("/")
            })
            .collect();
        assert_eq!(
            combos,
            ["S/Lemon", "S/Lime", "S/Mint", "M/Lemon", "M/Lime", "M/Mint"]
        );
    }

    #[test]
    fn no_options_make_one_empty_combination() {
        assert_eq!(all_combinations(&[]).len(), 1);
    }
}
