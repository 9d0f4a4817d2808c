/// Formats an amount in minor units, e.g. `format_money(150, "eur")` → `€1.50`.
pub fn format_money(amount: i64, currency: &str) -> String {
    let sign = if amount < 0 { "-" } else { "" };
    let abs = amount.unsigned_abs();
    let symbol = match currency.to_ascii_lowercase().as_str() {
        "eur" => "€".to_owned(),
        "usd" => "$".to_owned(),
        "gbp" => "£".to_owned(),
        other => format!("{} ", other.to_uppercase()),
    };
    format!("{sign}{symbol}{}.{:02}", abs / 100, abs % 100)
}

#[cfg(test)]
mod tests {
    use super::format_money;

    #[test]
    fn formats_minor_units() {
        assert_eq!(format_money(150, "eur"), "€1.50");
        assert_eq!(format_money(5, "usd"), "$0.05");
        assert_eq!(format_money(-1999, "gbp"), "-£19.99");
        assert_eq!(format_money(100_000, "sek"), "SEK 1000.00");
    }
}
