//! What left (or came onto) a scale, from its stable weight before and after a
//! session. Free of I/O.
//!
//! Each product on a scale weighs between its min and max per unit; a scale
//! adds up to its noise either way to every reading. A weight change is the
//! difference of two readings, so it is off by up to twice the noise; it is
//! explained by every count of units whose weight range, widened by that
//! much, contains the change. One such count is the answer; several are
//! ambiguous (e.g. two 200 g bars against one 400 g bottle); none means
//! something unknown moved.

/// One reading of a scale as a device reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sample {
    pub grams: i32,
    /// The device judged the load at rest.
    pub stable: bool,
}

/// The weight of a scale at rest: the median of its stable samples, so a
/// single transient spike (a bump against the machine) cannot move it.
/// `None` when no sample was stable.
pub fn stable_weight(samples: &[Sample]) -> Option<i32> {
    let mut stable: Vec<i32> = samples
        .iter()
        .filter(|s| s.stable)
        .map(|s| s.grams)
        .collect();
    if stable.is_empty() {
        return None;
    }
    stable.sort_unstable();
    Some(stable[(stable.len() - 1) / 2])
}

/// A product stocked on a scale, weights in grams.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Product {
    pub variant_id: String,
    pub unit_weight: i32,
    pub min_weight: i32,
    pub max_weight: i32,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScaleSetup {
    /// Grams a single reading may be off, either way.
    pub noise: i32,
    pub products: Vec<Product>,
}

/// Units of one variant that left the scale (negative: were put on it).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Count {
    pub variant_id: String,
    pub quantity: i32,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Within the scale's noise.
    Unchanged,
    Explained(Vec<Count>),
    /// Several counts fit, the likeliest (nominal weight nearest) first.
    Ambiguous(Vec<Vec<Count>>),
    /// No count of the assigned products fits the change.
    Unexplained {
        delta_grams: i64,
    },
}

/// More units than this in one session on one scale are not searched for.
const MAX_UNITS: i32 = 64;

impl ScaleSetup {
    /// Grams a change between two readings may be off, either way: each
    /// reading carries its own noise.
    fn delta_slack(&self) -> i64 {
        2 * i64::from(self.noise)
    }
}

/// Explains the change from `before` to `after` grams on `scale`.
///
/// Weights are added up as `i64`: two `i32` readings, and up to
/// [`MAX_UNITS`] units of `i32` weights, cannot overflow it whatever a
/// device or an admin entered.
pub fn explain(scale: &ScaleSetup, before: i32, after: i32) -> Outcome {
    let removed = i64::from(before) - i64::from(after);
    let delta = removed.abs();
    if delta <= scale.delta_slack() {
        return Outcome::Unchanged;
    }
    let mut fits = Vec::new();
    let mut quantities = vec![0; scale.products.len()];
    search(scale, delta, 0, &mut quantities, &mut fits);
    let sign = if removed < 0 { -1 } else { 1 };
    let as_counts = |quantities: &[i32]| -> Vec<Count> {
        let mut counts: Vec<Count> = scale
            .products
            .iter()
            .zip(quantities)
            .filter(|(_, q)| **q > 0)
            .map(|(p, q)| Count {
                variant_id: p.variant_id.clone(),
                quantity: q * sign,
            })
            .collect();
        counts.sort();
        counts
    };
    let nominal_distance = |quantities: &[i32]| -> i64 {
        let nominal: i64 = scale
            .products
            .iter()
            .zip(quantities)
            .map(|(p, q)| i64::from(p.unit_weight) * i64::from(*q))
            .sum();
        (nominal - delta).abs()
    };
    match fits.len() {
        0 => Outcome::Unexplained {
            delta_grams: -removed,
        },
        1 => Outcome::Explained(as_counts(&fits[0])),
        _ => {
            fits.sort_by_key(|q| nominal_distance(q));
            Outcome::Ambiguous(fits.iter().map(|q| as_counts(q)).collect())
        }
    }
}

/// Depth-first over the quantity of each product, pruning counts whose
/// lightest possible weight already exceeds the change.
fn search(
    scale: &ScaleSetup,
    delta: i64,
    index: usize,
    quantities: &mut Vec<i32>,
    fits: &mut Vec<Vec<i32>>,
) {
    let (lightest, heaviest, units) = scale.products.iter().zip(quantities.iter()).fold(
        (0i64, 0i64, 0),
        |(lo, hi, n), (p, q)| {
            let q64 = i64::from(*q);
            (
                lo + i64::from(p.min_weight) * q64,
                hi + i64::from(p.max_weight) * q64,
                n + q,
            )
        },
    );
    let slack = scale.delta_slack();
    if lightest - slack > delta || units > MAX_UNITS {
        return;
    }
    if index == scale.products.len() {
        if units > 0 && delta <= heaviest + slack {
            fits.push(quantities.clone());
        }
        return;
    }
    let mut quantity = 0;
    loop {
        quantities[index] = quantity;
        let lightest_now =
            lightest + i64::from(scale.products[index].min_weight) * i64::from(quantity);
        if lightest_now - slack > delta || units + quantity > MAX_UNITS {
            break;
        }
        search(scale, delta, index + 1, quantities, fits);
        quantity += 1;
    }
    quantities[index] = 0;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn product(variant: &str, unit: i32, tolerance: i32) -> Product {
        Product {
            variant_id: variant.into(),
            unit_weight: unit,
            min_weight: unit - tolerance,
            max_weight: unit + tolerance,
        }
    }

    fn scale(products: Vec<Product>) -> ScaleSetup {
        ScaleSetup { noise: 3, products }
    }

    fn counts(pairs: &[(&str, i32)]) -> Vec<Count> {
        let mut counts: Vec<Count> = pairs
            .iter()
            .map(|(v, q)| Count {
                variant_id: (*v).into(),
                quantity: *q,
            })
            .collect();
        counts.sort();
        counts
    }

    #[test]
    fn one_unit_taken() {
        let s = scale(vec![product("cola", 355, 5)]);
        assert_eq!(
            explain(&s, 3550, 3195),
            Outcome::Explained(counts(&[("cola", 1)]))
        );
    }

    #[test]
    fn several_units_taken() {
        let s = scale(vec![product("cola", 355, 5)]);
        assert_eq!(
            explain(&s, 3550, 3550 - 3 * 355),
            Outcome::Explained(counts(&[("cola", 3)]))
        );
    }

    #[test]
    fn units_of_different_weight_are_told_apart_weight_by_weight() {
        let s = scale(vec![product("cola", 355, 5), product("water", 520, 6)]);
        assert_eq!(
            explain(&s, 5000, 5000 - 2 * 355 - 520),
            Outcome::Explained(counts(&[("cola", 2), ("water", 1)]))
        );
        // 1,395 g is one cola and two waters, or four of the lightest colas
        // (1,400 g) read 6 g light: possible with 3 g of noise per reading.
        match explain(&s, 5000, 5000 - 355 - 2 * 520) {
            Outcome::Ambiguous(options) => {
                assert_eq!(options.len(), 2);
                assert_eq!(options[0], counts(&[("cola", 1), ("water", 2)]));
                assert_eq!(options[1], counts(&[("cola", 4)]));
            }
            other => panic!("expected ambiguity, got {other:?}"),
        }
    }

    #[test]
    fn noise_and_unit_spread_within_tolerance_still_count() {
        let s = scale(vec![product("cola", 355, 5)]);
        // Two slightly heavy cans and a noisy reading.
        assert_eq!(
            explain(&s, 3000, 3000 - 2 * 359 - 3),
            Outcome::Explained(counts(&[("cola", 2)]))
        );
        assert_eq!(
            explain(&s, 3000, 3000 - 2 * 351 + 3),
            Outcome::Explained(counts(&[("cola", 2)]))
        );
    }

    #[test]
    fn noise_alone_is_no_change() {
        let s = scale(vec![product("cola", 355, 5)]);
        assert_eq!(explain(&s, 3000, 3002), Outcome::Unchanged);
        assert_eq!(explain(&s, 3000, 2997), Outcome::Unchanged);
    }

    #[test]
    fn both_readings_off_by_the_noise_in_opposite_directions_is_no_change() {
        let s = scale(vec![product("cola", 355, 5)]);
        // Noise 3 g: before read 3 g light, after 3 g heavy, and the reverse.
        assert_eq!(explain(&s, 2997, 3003), Outcome::Unchanged);
        assert_eq!(explain(&s, 3003, 2997), Outcome::Unchanged);
        // One gram more is more than noise can do.
        assert_eq!(
            explain(&s, 2997, 3004),
            Outcome::Unexplained { delta_grams: 7 }
        );
    }

    #[test]
    fn a_unit_counts_with_both_readings_off_by_the_noise() {
        let s = scale(vec![product("cola", 355, 5)]); // 350..=360 g a can, noise 3 g
        let one_can = Outcome::Explained(counts(&[("cola", 1)]));
        // The heaviest can, before read 3 g heavy and after 3 g light: 366 g.
        assert_eq!(explain(&s, 3003, 3000 - 360 - 3), one_can);
        // The lightest can, before read 3 g light and after 3 g heavy: 344 g.
        assert_eq!(explain(&s, 2997, 3000 - 350 + 3), one_can);
        // Beyond that no can fits.
        assert_eq!(
            explain(&s, 3000, 3000 - 367),
            Outcome::Unexplained { delta_grams: -367 }
        );
        assert_eq!(
            explain(&s, 3000, 3000 - 343),
            Outcome::Unexplained { delta_grams: -343 }
        );
    }

    #[test]
    fn weight_added_counts_negative() {
        let s = scale(vec![product("cola", 355, 5)]);
        assert_eq!(
            explain(&s, 1000, 1000 + 2 * 355),
            Outcome::Explained(counts(&[("cola", -2)]))
        );
    }

    #[test]
    fn a_change_no_product_explains_is_unexplained() {
        let s = scale(vec![product("cola", 355, 5)]);
        assert_eq!(
            explain(&s, 3000, 2850),
            Outcome::Unexplained { delta_grams: -150 }
        );
        let empty = scale(vec![]);
        assert_eq!(
            explain(&empty, 3000, 2500),
            Outcome::Unexplained { delta_grams: -500 }
        );
    }

    #[test]
    fn equal_weights_from_different_counts_are_ambiguous_likeliest_first() {
        let s = scale(vec![product("bar", 200, 10), product("bottle", 404, 6)]);
        match explain(&s, 2000, 1596) {
            Outcome::Ambiguous(options) => {
                assert_eq!(options.len(), 2);
                assert_eq!(
                    options[0],
                    counts(&[("bottle", 1)]),
                    "404 g is nearer one bottle"
                );
                assert_eq!(options[1], counts(&[("bar", 2)]));
            }
            other => panic!("expected ambiguity, got {other:?}"),
        }
    }

    #[test]
    fn tolerances_that_overlap_only_at_the_edge_are_ambiguous() {
        // 3 × (95..105) = 285..315 and 2 × (145..155) = 290..310 both contain 300.
        let s = scale(vec![product("small", 100, 5), product("large", 150, 5)]);
        assert!(matches!(explain(&s, 1000, 700), Outcome::Ambiguous(_)));
    }

    #[test]
    fn extreme_weights_never_overflow() {
        // Whatever reaches it, explaining a change cannot overflow: the
        // bounds checked when a message is read are not its only guard.
        let s = scale(vec![product("cola", 355, 5)]);
        assert_eq!(
            explain(&s, i32::MAX, i32::MIN),
            Outcome::Unexplained {
                delta_grams: i64::from(i32::MIN) - i64::from(i32::MAX)
            }
        );
        assert_eq!(
            explain(&s, i32::MIN, i32::MAX),
            Outcome::Unexplained {
                delta_grams: i64::from(i32::MAX) - i64::from(i32::MIN)
            }
        );
        let heavy = ScaleSetup {
            noise: i32::MAX,
            products: vec![Product {
                variant_id: "anvil".into(),
                unit_weight: i32::MAX,
                min_weight: i32::MAX - 1,
                max_weight: i32::MAX,
            }],
        };
        assert!(matches!(
            explain(&heavy, i32::MAX, i32::MIN),
            Outcome::Ambiguous(_)
        ));
        let noiseless = ScaleSetup { noise: 0, ..heavy };
        assert_eq!(
            explain(&noiseless, i32::MAX, 0),
            Outcome::Explained(counts(&[("anvil", 1)]))
        );
    }

    #[test]
    fn stable_weight_ignores_unstable_samples_and_a_transient_spike() {
        let reading = |grams, stable| Sample { grams, stable };
        assert_eq!(
            stable_weight(&[
                reading(1000, true),
                reading(1400, false),
                reading(1000, true)
            ]),
            Some(1000)
        );
        // A bump the device wrongly judged stable is outvoted.
        assert_eq!(
            stable_weight(&[reading(999, true), reading(1420, true), reading(1001, true)]),
            Some(1001)
        );
        assert_eq!(stable_weight(&[reading(1000, false)]), None);
        assert_eq!(stable_weight(&[]), None);
    }

    #[test]
    fn a_bump_between_stable_readings_is_not_a_sale() {
        let s = scale(vec![product("cola", 355, 5)]);
        let before = stable_weight(&[Sample {
            grams: 3550,
            stable: true,
        }])
        .unwrap();
        let after = stable_weight(&[
            Sample {
                grams: 3551,
                stable: true,
            },
            Sample {
                grams: 3195,
                stable: true,
            },
            Sample {
                grams: 3549,
                stable: true,
            },
        ])
        .unwrap();
        assert_eq!(explain(&s, before, after), Outcome::Unchanged);
    }
}
