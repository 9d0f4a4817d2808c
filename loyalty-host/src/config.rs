//! The loyalty program the host runs: clients allowed to call it, members,
//! points rules and promotions. Read from TOML (see `demo.toml`).

use serde::Deserialize;

const DEMO: &str = include_str!("../demo.toml");

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HostConfig {
    #[serde(default = "default_token_lifetime")]
    pub token_lifetime_secs: u64,
    pub clients: Vec<ClientCredentials>,
    #[serde(default)]
    pub points: PointsRules,
    #[serde(default)]
    pub members: Vec<MemberConfig>,
    #[serde(default)]
    pub promotions: Vec<Promotion>,
}

fn default_token_lifetime() -> u64 {
    3600
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClientCredentials {
    pub client_id: String,
    pub client_secret: String,
}

/// `points_per_unit` points for every `unit_minor` minor units paid.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PointsRules {
    pub points_per_unit: i64,
    pub unit_minor: i64,
}

impl Default for PointsRules {
    fn default() -> Self {
        Self {
            points_per_unit: 1,
            unit_minor: 100,
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MemberConfig {
    pub phone: String,
    pub member_id: String,
    pub name: String,
    #[serde(default)]
    pub points: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PromotionKind {
    /// Off each matching line: `amount_off` per unit and/or `percent_off`.
    LineDiscount,
    /// Off the whole basket: `amount_off` and/or `percent_off`.
    TicketDiscount,
    /// Multiplies the points earned.
    PointsMultiplier,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Promotion {
    pub id: String,
    pub description: String,
    pub kind: PromotionKind,
    /// Applied automatically; otherwise the shopper may choose it.
    #[serde(default)]
    pub instant: bool,
    /// Item codes (SKUs) the promotion applies to; empty means every item.
    #[serde(default)]
    pub item_codes: Vec<String>,
    #[serde(default)]
    pub amount_off: i64,
    #[serde(default)]
    pub percent_off: i64,
    #[serde(default)]
    pub min_subtotal: i64,
    #[serde(default)]
    pub multiplier: i64,
    /// Points the member spends to redeem it.
    #[serde(default)]
    pub points_cost: i64,
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("invalid loyalty host config: {0}")]
    Parse(#[from] toml::de::Error),
    #[error("invalid loyalty host config: {0}")]
    Invalid(String),
}

impl HostConfig {
    pub fn parse(text: &str) -> Result<Self, ConfigError> {
        let config: Self = toml::from_str(text)?;
        config.validate()?;
        Ok(config)
    }

    pub fn load(path: &str) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_owned(),
            source,
        })?;
        Self::parse(&text)
    }

    /// The checked-in demo program (`demo.toml`).
    pub fn demo() -> Self {
        Self::parse(DEMO).expect("demo.toml is valid")
    }

    fn validate(&self) -> Result<(), ConfigError> {
        if self.points.unit_minor <= 0 || self.points.points_per_unit < 0 {
            return Err(ConfigError::Invalid(
                "points.unit_minor must be positive and points_per_unit not negative".into(),
            ));
        }
        for p in &self.promotions {
            let invalid = !(0..=100).contains(&p.percent_off)
                || p.amount_off < 0
                || p.points_cost < 0
                || (p.kind == PromotionKind::PointsMultiplier && p.multiplier < 1);
            if invalid {
                return Err(ConfigError::Invalid(format!(
                    "promotion {}: percent_off 0..=100, amounts and costs not negative, multiplier >= 1",
                    p.id
                )));
            }
        }
        Ok(())
    }
}

/// Digits only, so "+1 555 010 0001" and "15550100001" name the same member.
pub fn normalize_phone(phone: &str) -> String {
    phone.chars().filter(char::is_ascii_digit).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_demo_config_parses() {
        let demo = HostConfig::demo();
        assert!(!demo.members.is_empty());
        assert!(demo.promotions.iter().any(|p| p.instant));
        assert!(demo.promotions.iter().any(|p| !p.instant));
    }

    #[test]
    fn bad_promotions_are_refused() {
        let text = r#"
            clients = []
            [[promotions]]
            id = "x"
            description = "x"
            kind = "ticket_discount"
            percent_off = 150
        "#;
        assert!(matches!(
            HostConfig::parse(text),
            Err(ConfigError::Invalid(_))
        ));
    }
}
