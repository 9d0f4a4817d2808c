//! Cart totals: one pure function from lines, shipping, promotions, the
//! region's tax and the tip to every amount a cart or order shows.
//!
//! Amounts are integer minor units. Prices, shipping amounts and fixed
//! discounts are *stated* the way the region states prices: tax included
//! when the region is tax-inclusive, tax on top otherwise.
//!
//! Order of work, per line:
//! 1. `original` = unit price × quantity (stated).
//! 2. Promotions, in the order they were applied, each take from what the
//!    earlier ones left, so a line's discount never exceeds its amount.
//! 3. Tax is computed on the discounted amount, once per line (not per
//!    unit), rounding half away from zero to the minor unit — the same rule
//!    as [`crate::pricing::TaxedAmount`].
//!
//! Vocabulary (Medusa's): `subtotal` is without tax and before discounts,
//! `total` is what is paid (tax included, discounts taken), `discount_total`
//! is the sum of the adjustments as stated. So `total = subtotal −
//! discount_subtotal + tax_total` always, and `total = original_total −
//! discount_total` when prices include tax. Shipping is taxed at the region's
//! rate but never discounted; the tip is neither taxed nor discounted.

use sea_orm::sea_query::StringLen;

use crate::pricing::{divide_rounding, region};

const BASIS: i128 = 10_000;

/// How a region taxes: a rate in basis points, prices stated with or without it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Tax {
    pub rate_basis_points: i32,
    pub inclusive: bool,
}

impl Tax {
    /// A cart without a region is not taxed.
    pub fn of_region(region: Option<&region::Model>) -> Self {
        region.map_or_else(Self::default, |r| Self {
            rate_basis_points: r.tax_rate_basis_points,
            inclusive: r.tax_inclusive,
        })
    }

    /// `(without tax, tax)` of a stated amount.
    fn split(self, stated: i64) -> (i64, i64) {
        let rate = i128::from(self.rate_basis_points);
        let stated_wide = i128::from(stated);
        if self.inclusive {
            let net = divide_rounding(stated_wide * BASIS, BASIS + rate) as i64;
            (net, stated - net)
        } else {
            (stated, divide_rounding(stated_wide * rate, BASIS) as i64)
        }
    }
}

/// What a promotion takes off.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DiscountValue {
    /// Basis points of the amount: 1000 is 10 %.
    Percentage(i64),
    /// Minor units, stated like prices.
    Fixed(i64),
}

/// What a promotion applies to; stored (and shown) as Medusa's
/// `target_type`, `items` or `order`.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    sea_orm::EnumIter,
    sea_orm::DeriveActiveEnum,
    serde::Serialize,
    serde::Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
pub enum DiscountTarget {
    /// Every unit of every line: a fixed value comes off each unit.
    #[sea_orm(string_value = "items")]
    #[serde(rename = "items")]
    EachItem,
    /// The items together: a fixed value is shared out over the lines in
    /// proportion to their amounts.
    #[sea_orm(string_value = "order")]
    #[serde(rename = "order")]
    Order,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Discount {
    pub promotion_id: String,
    pub code: String,
    pub value: DiscountValue,
    pub target: DiscountTarget,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineInput {
    pub id: String,
    pub unit_price: i64,
    pub quantity: i32,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TotalsInput {
    pub tax: Tax,
    pub lines: Vec<LineInput>,
    pub discounts: Vec<Discount>,
    /// The chosen shipping method's amount, stated.
    pub shipping: Option<i64>,
    pub tip: i64,
}

/// One promotion's share of one line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Adjustment {
    pub promotion_id: String,
    pub code: String,
    pub amount: i64,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LineTotals {
    pub id: String,
    pub unit_price: i64,
    pub quantity: i32,
    pub original_total: i64,
    pub original_tax_total: i64,
    pub subtotal: i64,
    pub discount_total: i64,
    pub discount_subtotal: i64,
    pub discount_tax_total: i64,
    pub tax_total: i64,
    pub total: i64,
    pub adjustments: Vec<Adjustment>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ShippingTotals {
    pub subtotal: i64,
    pub tax_total: i64,
    pub total: i64,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CartTotals {
    pub tax_inclusive: bool,
    pub items: Vec<LineTotals>,
    pub item_subtotal: i64,
    pub item_tax_total: i64,
    pub item_total: i64,
    pub original_item_total: i64,
    pub original_item_tax_total: i64,
    pub shipping: ShippingTotals,
    pub subtotal: i64,
    pub discount_total: i64,
    pub discount_subtotal: i64,
    pub discount_tax_total: i64,
    pub tax_total: i64,
    pub original_tax_total: i64,
    pub tip: i64,
    pub total: i64,
    pub original_total: i64,
}

/// Every total of a cart; see the module documentation for the rules.
pub fn compute(input: &TotalsInput) -> CartTotals {
    let originals: Vec<i64> = input
        .lines
        .iter()
        .map(|l| l.unit_price.max(0) * i64::from(l.quantity.max(0)))
        .collect();
    let adjustments = allocate_discounts(input, &originals);
    let items: Vec<LineTotals> = input
        .lines
        .iter()
        .zip(originals)
        .zip(adjustments)
        .map(|((line, original), adjustments)| line_totals(input.tax, line, original, adjustments))
        .collect();
    let sum = |f: fn(&LineTotals) -> i64| items.iter().map(f).sum::<i64>();
    let (shipping_subtotal, shipping_tax) = input
        .shipping
        .map_or((0, 0), |amount| input.tax.split(amount.max(0)));
    let shipping = ShippingTotals {
        subtotal: shipping_subtotal,
        tax_total: shipping_tax,
        total: shipping_subtotal + shipping_tax,
    };
    let tip = input.tip.max(0);
    let item_total = sum(|l| l.total);
    let original_item_total = sum(|l| l.original_total);
    let item_tax_total = sum(|l| l.tax_total);
    let original_item_tax_total = sum(|l| l.original_tax_total);
    let item_subtotal = sum(|l| l.subtotal);
    CartTotals {
        tax_inclusive: input.tax.inclusive,
        item_subtotal,
        item_tax_total,
        item_total,
        original_item_total,
        original_item_tax_total,
        subtotal: item_subtotal + shipping.subtotal,
        discount_total: sum(|l| l.discount_total),
        discount_subtotal: sum(|l| l.discount_subtotal),
        discount_tax_total: sum(|l| l.discount_tax_total),
        tax_total: item_tax_total + shipping.tax_total,
        original_tax_total: original_item_tax_total + shipping.tax_total,
        tip,
        total: item_total + shipping.total + tip,
        original_total: original_item_total + shipping.total + tip,
        shipping,
        items,
    }
}

fn line_totals(
    tax: Tax,
    line: &LineInput,
    original: i64,
    adjustments: Vec<Adjustment>,
) -> LineTotals {
    let discount: i64 = adjustments.iter().map(|a| a.amount).sum();
    let (subtotal, original_tax) = tax.split(original);
    let (discounted_net, tax_total) = tax.split(original - discount);
    let discount_tax_total = original_tax - tax_total;
    LineTotals {
        id: line.id.clone(),
        unit_price: line.unit_price,
        quantity: line.quantity,
        original_total: subtotal + original_tax,
        original_tax_total: original_tax,
        subtotal,
        discount_total: discount,
        discount_subtotal: subtotal - discounted_net,
        discount_tax_total,
        tax_total,
        total: discounted_net + tax_total,
        adjustments,
    }
}

/// Each line's adjustments, promotions taken in order, each from what is left.
fn allocate_discounts(input: &TotalsInput, originals: &[i64]) -> Vec<Vec<Adjustment>> {
    let mut left = originals.to_vec();
    let mut adjustments = vec![Vec::new(); originals.len()];
    for discount in &input.discounts {
        let amounts: Vec<i64> = match (discount.value, discount.target) {
            (DiscountValue::Percentage(basis_points), _) => left
                .iter()
                .map(|&l| {
                    let share = divide_rounding(
                        i128::from(l) * i128::from(basis_points.clamp(0, 10_000)),
                        BASIS,
                    );
                    (share as i64).min(l)
                })
                .collect(),
            (DiscountValue::Fixed(per_unit), DiscountTarget::EachItem) => input
                .lines
                .iter()
                .zip(&left)
                .map(|(line, &l)| (per_unit.max(0).saturating_mul(i64::from(line.quantity))).min(l))
                .collect(),
            (DiscountValue::Fixed(amount), DiscountTarget::Order) => {
                share_out(amount.max(0), &left)
            }
        };
        for (index, amount) in amounts.into_iter().enumerate() {
            if amount > 0 {
                left[index] -= amount;
                adjustments[index].push(Adjustment {
                    promotion_id: discount.promotion_id.clone(),
                    code: discount.code.clone(),
                    amount,
                });
            }
        }
    }
    adjustments
}

/// Shares `amount` (at most the sum of `weights`) over the lines in
/// proportion to `weights`: each gets the floor of its share, and the minor
/// units left go one each to the largest remainders (earlier lines first on
/// a tie), so the shares add up exactly and none exceeds its weight.
fn share_out(amount: i64, weights: &[i64]) -> Vec<i64> {
    let whole: i128 = weights.iter().map(|&w| i128::from(w)).sum();
    if whole == 0 {
        return vec![0; weights.len()];
    }
    let amount = i128::from(amount).min(whole);
    let mut shares: Vec<i128> = weights
        .iter()
        .map(|&w| amount * i128::from(w) / whole)
        .collect();
    let mut by_remainder: Vec<usize> = (0..weights.len()).collect();
    by_remainder.sort_by_key(|&i| std::cmp::Reverse(amount * i128::from(weights[i]) % whole));
    let mut missing = amount - shares.iter().sum::<i128>();
    for index in by_remainder {
        if missing == 0 {
            break;
        }
        if shares[index] < i128::from(weights[index]) {
            shares[index] += 1;
            missing -= 1;
        }
    }
    shares.into_iter().map(|s| s as i64).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_keep_their_stored_words() {
        crate::states::assert_words::<DiscountTarget>(&["items", "order"]);
    }

    fn line(id: &str, unit_price: i64, quantity: i32) -> LineInput {
        LineInput {
            id: id.into(),
            unit_price,
            quantity,
        }
    }

    fn discount(value: DiscountValue, target: DiscountTarget) -> Discount {
        Discount {
            promotion_id: "promo_1".into(),
            code: "TEST".into(),
            value,
            target,
        }
    }

    fn tax(rate_basis_points: i32, inclusive: bool) -> Tax {
        Tax {
            rate_basis_points,
            inclusive,
        }
    }

    #[test]
    fn inclusive_prices_contain_their_tax() {
        let totals = compute(&TotalsInput {
            tax: tax(2000, true),
            lines: vec![line("a", 150, 2), line("b", 80, 1)],
            ..Default::default()
        });
        assert_eq!(totals.total, 380);
        assert_eq!(totals.original_total, 380);
        // 300 / 1.2 = 250; 80 / 1.2 = 66.67 → 67
        assert_eq!(totals.items[0].subtotal, 250);
        assert_eq!(totals.items[1].subtotal, 67);
        assert_eq!(totals.item_subtotal, 317);
        assert_eq!(totals.tax_total, 63);
        assert_eq!(totals.subtotal + totals.tax_total, totals.total);
    }

    #[test]
    fn exclusive_prices_get_tax_on_top() {
        let totals = compute(&TotalsInput {
            tax: tax(2000, false),
            lines: vec![line("a", 150, 2), line("b", 80, 1)],
            ..Default::default()
        });
        assert_eq!(totals.subtotal, 380);
        assert_eq!(totals.tax_total, 60 + 16);
        assert_eq!(totals.total, 456);
    }

    #[test]
    fn tax_is_rounded_per_line_half_away_from_zero() {
        // 3 × 199 = 597 at 7.5 % = 44.775 → 45 (per unit it would be 3 × 15 = 45 too,
        // but 5 × 33 = 165 at 7.5 % = 12.375 → 12, not 5 × 2.475 → 5 × 2 = 10)
        let totals = compute(&TotalsInput {
            tax: tax(750, false),
            lines: vec![line("a", 199, 3), line("b", 33, 5)],
            ..Default::default()
        });
        assert_eq!(totals.items[0].tax_total, 45);
        assert_eq!(totals.items[1].tax_total, 12);
    }

    #[test]
    fn tax_is_computed_after_the_discount() {
        let totals = compute(&TotalsInput {
            tax: tax(2000, false),
            lines: vec![line("a", 1000, 1)],
            discounts: vec![discount(
                DiscountValue::Percentage(1000),
                DiscountTarget::Order,
            )],
            ..Default::default()
        });
        let item = &totals.items[0];
        assert_eq!(item.discount_total, 100);
        assert_eq!(item.tax_total, 180, "20 % of 900");
        assert_eq!(item.total, 1080);
        assert_eq!(item.discount_tax_total, 20);
        assert_eq!(totals.original_total, 1200);
        assert_eq!(
            totals.total,
            totals.subtotal - totals.discount_subtotal + totals.tax_total
        );
    }

    #[test]
    fn inclusive_discounts_come_off_the_shown_price() {
        let totals = compute(&TotalsInput {
            tax: tax(2000, true),
            lines: vec![line("a", 1200, 1)],
            discounts: vec![discount(DiscountValue::Fixed(120), DiscountTarget::Order)],
            ..Default::default()
        });
        assert_eq!(totals.total, 1080);
        assert_eq!(totals.discount_total, 120);
        assert_eq!(totals.tax_total, 180, "1080 / 1.2 = 900 without tax");
        assert_eq!(totals.original_total - totals.discount_total, totals.total);
    }

    #[test]
    fn a_fixed_order_discount_is_shared_exactly_and_never_exceeds_a_line() {
        let totals = compute(&TotalsInput {
            tax: tax(0, false),
            lines: vec![line("a", 100, 1), line("b", 100, 1), line("c", 100, 1)],
            discounts: vec![discount(DiscountValue::Fixed(100), DiscountTarget::Order)],
            ..Default::default()
        });
        let shares: Vec<i64> = totals.items.iter().map(|i| i.discount_total).collect();
        assert_eq!(shares, [34, 33, 33]);
        assert_eq!(totals.total, 200);
    }

    #[test]
    fn fixed_per_item_discounts_multiply_by_quantity() {
        let totals = compute(&TotalsInput {
            lines: vec![line("a", 150, 3)],
            discounts: vec![discount(DiscountValue::Fixed(20), DiscountTarget::EachItem)],
            ..Default::default()
        });
        assert_eq!(totals.discount_total, 60);
        assert_eq!(totals.total, 390);
    }

    #[test]
    fn totals_never_go_negative() {
        let totals = compute(&TotalsInput {
            tax: tax(2000, false),
            lines: vec![line("a", 150, 1), line("b", 80, 2)],
            discounts: vec![
                discount(DiscountValue::Fixed(10_000), DiscountTarget::Order),
                discount(DiscountValue::Fixed(500), DiscountTarget::EachItem),
                discount(DiscountValue::Percentage(5000), DiscountTarget::Order),
            ],
            shipping: Some(490),
            tip: 100,
        });
        assert!(
            totals
                .items
                .iter()
                .all(|i| i.total == 0 && i.tax_total == 0)
        );
        assert_eq!(totals.discount_total, 310);
        assert_eq!(totals.total, 588 + 100, "shipping and tip stay");
    }

    #[test]
    fn shipping_is_taxed_and_the_tip_is_added_untaxed() {
        let totals = compute(&TotalsInput {
            tax: tax(2000, false),
            lines: vec![line("a", 1000, 1)],
            shipping: Some(500),
            tip: 150,
            ..Default::default()
        });
        assert_eq!(totals.shipping.total, 600);
        assert_eq!(totals.subtotal, 1500);
        assert_eq!(totals.tax_total, 300);
        assert_eq!(totals.total, 1200 + 600 + 150);
        assert_eq!(totals.original_total, totals.total);
    }

    #[test]
    fn promotions_apply_in_order_on_what_is_left() {
        let totals = compute(&TotalsInput {
            lines: vec![line("a", 1000, 1)],
            discounts: vec![
                discount(DiscountValue::Fixed(200), DiscountTarget::Order),
                discount(DiscountValue::Percentage(1000), DiscountTarget::Order),
            ],
            ..Default::default()
        });
        let amounts: Vec<i64> = totals.items[0]
            .adjustments
            .iter()
            .map(|a| a.amount)
            .collect();
        assert_eq!(amounts, [200, 80]);
        assert_eq!(totals.total, 720);
    }
}
