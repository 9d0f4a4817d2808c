//! Medusa's JSON carries amounts in major units (1.5 for €1.50); inside we
//! keep integer minor units. These are the conversions between the two.

use crate::DomainError;

/// Currencies without a minor unit (ISO 4217 exponent 0) that a store may sell in.
const ZERO_DECIMAL_CURRENCIES: &[&str] = &[
    "bif", "clp", "djf", "gnf", "isk", "jpy", "kmf", "krw", "pyg", "rwf", "ugx", "vnd", "vuv",
    "xaf", "xof", "xpf",
];

/// How many decimals `currency_code` has (2 unless it is a zero-decimal currency).
pub fn decimals(currency_code: &str) -> u32 {
    if ZERO_DECIMAL_CURRENCIES.contains(&currency_code.to_ascii_lowercase().as_str()) {
        0
    } else {
        2
    }
}

/// `amount` minor units of `currency_code` as a major-unit number, e.g. 150 eur → 1.5, 500 jpy → 500.
pub fn to_major_units(amount: i64, currency_code: &str) -> f64 {
    amount as f64 / 10_i64.pow(decimals(currency_code)) as f64
}

/// A major-unit amount as whole minor units, e.g. 1.5 eur → 150; refused
/// when negative, not a number, or finer than the currency's minor unit.
pub fn to_minor_units(amount: f64, currency_code: &str) -> Result<i64, DomainError> {
    let scaled = amount * 10_i64.pow(decimals(currency_code)) as f64;
    let minor = scaled.round();
    if !amount.is_finite() || amount < 0.0 || (scaled - minor).abs() > 1e-6 || minor > 1e15 {
        return Err(DomainError::Invalid(format!(
            "{amount} is not an amount of {currency_code}"
        )));
    }
    Ok(minor as i64)
}

/// An amount a person typed in major units ("4.50", "4,50") as whole minor
/// units of `currency_code`; `what` names it in the error.
pub fn parse_major_units(text: &str, currency_code: &str, what: &str) -> Result<i64, DomainError> {
    let typed = text.trim();
    let amount: f64 = typed
        .replace(',', ".")
        .parse()
        .map_err(|_| DomainError::Invalid(format!("{what} must be a number, not {typed:?}")))?;
    to_minor_units(amount, currency_code)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn two_decimal_currencies_divide_by_a_hundred() {
        assert_eq!(to_major_units(150, "eur"), 1.5);
        assert_eq!(to_major_units(199, "USD"), 1.99);
        assert_eq!(to_major_units(0, "eur"), 0.0);
        assert_eq!(to_major_units(-250, "gbp"), -2.5);
    }

    #[test]
    fn zero_decimal_currencies_stay_whole() {
        assert_eq!(to_major_units(500, "jpy"), 500.0);
        assert_eq!(to_major_units(12_000, "krw"), 12_000.0);
        assert_eq!(decimals("JPY"), 0);
        assert_eq!(decimals("eur"), 2);
    }

    #[test]
    fn major_units_become_whole_minor_units() {
        assert_eq!(to_minor_units(1.5, "eur").unwrap(), 150);
        assert_eq!(to_minor_units(2.99, "usd").unwrap(), 299);
        assert_eq!(to_minor_units(500.0, "jpy").unwrap(), 500);
        assert!(to_minor_units(1.234, "eur").is_err());
        assert!(to_minor_units(-1.0, "eur").is_err());
        assert!(to_minor_units(0.5, "jpy").is_err());
        assert_eq!(to_minor_units(0.29, "eur").unwrap(), 29);
        assert!(to_minor_units(f64::NAN, "eur").is_err());
    }

    #[test]
    fn typed_amounts_take_a_comma_or_a_point() {
        assert_eq!(parse_major_units(" 4.50 ", "eur", "a price").unwrap(), 450);
        assert_eq!(parse_major_units("4,5", "eur", "a price").unwrap(), 450);
        assert_eq!(parse_major_units("300", "jpy", "a price").unwrap(), 300);
        let refused = parse_major_units("four", "eur", "a price").unwrap_err();
        assert_eq!(
            refused.to_string(),
            "a price must be a number, not \"four\""
        );
        assert!(parse_major_units("-1", "eur", "a price").is_err());
        assert!(parse_major_units("1.005", "eur", "a price").is_err());
    }
}
