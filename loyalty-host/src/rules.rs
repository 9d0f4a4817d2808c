//! The promotion engine: which rewards a basket earns, and the points a
//! finalized basket is worth. Amounts are minor units.

use serde::{Deserialize, Serialize};

use crate::config::{HostConfig, PromotionKind};

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BasketLine {
    pub line_id: String,
    pub item_code: String,
    #[serde(default)]
    pub description: String,
    pub quantity: i64,
    pub unit_price: i64,
}

impl BasketLine {
    fn total(&self) -> i64 {
        self.quantity.saturating_mul(self.unit_price)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum RewardType {
    LineDiscount,
    TicketDiscount,
    PointsMultiplier,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Reward {
    pub reward_id: String,
    #[serde(rename = "type")]
    pub reward_type: RewardType,
    pub description: String,
    /// Auto-applied; otherwise optional.
    pub instant: bool,
    /// The basket line a line discount applies to.
    pub line_id: Option<String>,
    pub discount_amount: i64,
    pub points_multiplier: Option<i64>,
    pub points_cost: i64,
}

/// Every reward `basket` qualifies for, given the member's balance.
pub fn rewards(config: &HostConfig, basket: &[BasketLine], points_balance: i64) -> Vec<Reward> {
    let subtotal: i64 = basket.iter().map(BasketLine::total).sum();
    let mut found = Vec::new();
    for promo in &config.promotions {
        if subtotal < promo.min_subtotal || (!promo.instant && promo.points_cost > points_balance) {
            continue;
        }
        let matches = |line: &&BasketLine| {
            promo.item_codes.is_empty()
                || promo
                    .item_codes
                    .iter()
                    .any(|code| code.eq_ignore_ascii_case(&line.item_code))
        };
        let reward =
            |reward_id: String, reward_type, line_id, discount_amount, multiplier| Reward {
                reward_id,
                reward_type,
                description: promo.description.clone(),
                instant: promo.instant,
                line_id,
                discount_amount,
                points_multiplier: multiplier,
                points_cost: promo.points_cost,
            };
        match promo.kind {
            PromotionKind::LineDiscount => {
                for line in basket.iter().filter(matches) {
                    let off = promo.amount_off.saturating_mul(line.quantity)
                        + line.total() * promo.percent_off / 100;
                    let off = off.min(line.total());
                    if off > 0 {
                        found.push(reward(
                            format!("{}:{}", promo.id, line.line_id),
                            RewardType::LineDiscount,
                            Some(line.line_id.clone()),
                            off,
                            None,
                        ));
                    }
                }
            }
            PromotionKind::TicketDiscount => {
                let off = (promo.amount_off + subtotal * promo.percent_off / 100).min(subtotal);
                if off > 0 {
                    found.push(reward(
                        promo.id.clone(),
                        RewardType::TicketDiscount,
                        None,
                        off,
                        None,
                    ));
                }
            }
            PromotionKind::PointsMultiplier => {
                if basket.iter().any(|line| matches(&line)) {
                    found.push(reward(
                        promo.id.clone(),
                        RewardType::PointsMultiplier,
                        None,
                        0,
                        Some(promo.multiplier),
                    ));
                }
            }
        }
    }
    found
}

/// Points earned for paying `paid` minor units with `applied` rewards: the
/// base rate times the largest multiplier among them.
pub fn points_earned(config: &HostConfig, paid: i64, applied: &[&Reward]) -> i64 {
    let multiplier = applied
        .iter()
        .filter_map(|r| r.points_multiplier)
        .max()
        .unwrap_or(1);
    (paid.max(0) / config.points.unit_minor) * config.points.points_per_unit * multiplier
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(id: &str, code: &str, quantity: i64, unit_price: i64) -> BasketLine {
        BasketLine {
            line_id: id.into(),
            item_code: code.into(),
            description: String::new(),
            quantity,
            unit_price,
        }
    }

    #[test]
    fn demo_basket_earns_line_ticket_and_multiplier_rewards() {
        let config = HostConfig::demo();
        let basket = [
            line("l1", "COLD-BREW-COFFEE", 2, 350),
            line("l2", "VEGAN-BUDDHA-BOWL", 1, 900),
        ];
        let found = rewards(&config, &basket, 1000);
        let coffee = found
            .iter()
            .find(|r| r.reward_id == "coffee-50:l1")
            .unwrap();
        assert_eq!(coffee.discount_amount, 100);
        assert!(coffee.instant);
        let ticket = found
            .iter()
            .find(|r| r.reward_id == "ticket-10pct")
            .unwrap();
        assert_eq!(ticket.discount_amount, 160);
        assert!(!ticket.instant);
        let double = found
            .iter()
            .find(|r| r.reward_type == RewardType::PointsMultiplier)
            .unwrap();
        assert_eq!(points_earned(&config, 1600, &[double]), 32);
    }

    #[test]
    fn optional_rewards_need_enough_points() {
        let config = HostConfig::demo();
        let basket = [line("l1", "DARK-CHOCOLATE-BAR", 1, 200)];
        assert!(rewards(&config, &basket, 10).is_empty());
        let found = rewards(&config, &basket, 300);
        assert_eq!(found[0].discount_amount, 200, "never more than the line");
    }
}
