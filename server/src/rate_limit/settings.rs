//! How many attempts each [`Rule`] allows, as configured.

use std::{str::FromStr, time::Duration};

use clap::Args;
use domain::rate_limits::Rule;
use ipnet::IpNet;

/// Limits per client address and per target, as `ADDRESS,TARGET` (e.g.
/// `30/min,10/min`; `off` for no limit on one side or, alone, on both).
#[derive(Debug, Clone, Args)]
pub struct RateLimitSettings {
    /// Customer sign-ins (Store API and storefront), per address and per email.
    #[arg(
        long = "rate-limit-customer-sign-in",
        env = "AUTOMAT_RATE_LIMIT_CUSTOMER_SIGN_IN",
        default_value = "30/min,10/min"
    )]
    pub customer_sign_in: Limits,

    /// Admin sign-ins (Admin API and dashboard), per address and per email.
    #[arg(
        long = "rate-limit-admin-sign-in",
        env = "AUTOMAT_RATE_LIMIT_ADMIN_SIGN_IN",
        default_value = "30/min,10/min"
    )]
    pub admin_sign_in: Limits,

    /// Customer sign-ups, per address and per email.
    #[arg(
        long = "rate-limit-registration",
        env = "AUTOMAT_RATE_LIMIT_REGISTRATION",
        default_value = "10/min,5/min"
    )]
    pub registration: Limits,

    /// Password reset emails asked for, per address and per email.
    #[arg(
        long = "rate-limit-password-reset",
        env = "AUTOMAT_RATE_LIMIT_PASSWORD_RESET",
        default_value = "10/min,5/h"
    )]
    pub password_reset: Limits,

    /// Loyalty member look-ups by phone, per address and per phone number.
    #[arg(
        long = "rate-limit-loyalty-identify",
        env = "AUTOMAT_RATE_LIMIT_LOYALTY_IDENTIFY",
        default_value = "20/min,10/min"
    )]
    pub loyalty_identify: Limits,

    /// Promotion codes tried, per address and per cart.
    #[arg(
        long = "rate-limit-promotion-code",
        env = "AUTOMAT_RATE_LIMIT_PROMOTION_CODE",
        default_value = "30/min,10/min"
    )]
    pub promotion_code: Limits,

    /// Vending machines opened (purchases and returns), per address and per shopper.
    #[arg(
        long = "rate-limit-machine-opening",
        env = "AUTOMAT_RATE_LIMIT_MACHINE_OPENING",
        default_value = "20/min,6/min"
    )]
    pub machine_opening: Limits,

    /// Machines signing in to the broker, per address and per device id. A
    /// whole fleet may reconnect from behind one address after an outage.
    #[arg(
        long = "rate-limit-mqtt-sign-in",
        env = "AUTOMAT_RATE_LIMIT_MQTT_SIGN_IN",
        default_value = "600/min,10/min"
    )]
    pub mqtt_sign_in: Limits,

    /// What every key in Redis starts with, so stores sharing a Redis (or
    /// test runs) keep their own counts.
    #[arg(
        long = "rate-limit-prefix",
        env = "AUTOMAT_RATE_LIMIT_PREFIX",
        default_value = "automat:rate"
    )]
    pub prefix: String,

    /// Proxies (addresses or CIDR ranges, comma-separated) whose
    /// `X-Forwarded-For` is believed; by default nobody's, and the TCP peer
    /// is the client.
    #[arg(long, env = "AUTOMAT_TRUSTED_PROXIES", value_delimiter = ',')]
    pub trusted_proxies: Vec<ProxyRange>,
}

impl RateLimitSettings {
    pub fn limits(&self, rule: Rule) -> Limits {
        match rule {
            Rule::CustomerSignIn => self.customer_sign_in,
            Rule::AdminSignIn => self.admin_sign_in,
            Rule::Registration => self.registration,
            Rule::PasswordReset => self.password_reset,
            Rule::LoyaltyIdentify => self.loyalty_identify,
            Rule::PromotionCode => self.promotion_code,
            Rule::MachineOpening => self.machine_opening,
            Rule::MqttSignIn => self.mqtt_sign_in,
        }
    }

    /// Every rule off (tests of something else that repeat an action).
    pub fn off(&mut self) {
        for limits in [
            &mut self.customer_sign_in,
            &mut self.admin_sign_in,
            &mut self.registration,
            &mut self.password_reset,
            &mut self.loyalty_identify,
            &mut self.promotion_code,
            &mut self.machine_opening,
            &mut self.mqtt_sign_in,
        ] {
            *limits = Limits::OFF;
        }
    }
}

/// One rule's limits; `None` for no limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    pub per_address: Option<Limit>,
    pub per_target: Option<Limit>,
}

impl Limits {
    pub const OFF: Limits = Limits {
        per_address: None,
        per_target: None,
    };
}

impl FromStr for Limits {
    type Err = String;

    fn from_str(raw: &str) -> Result<Self, Self::Err> {
        let side = |raw: &str| match raw.trim() {
            "off" => Ok(None),
            limit => limit.parse().map(Some),
        };
        match raw.split_once(',') {
            Some((address, target)) => Ok(Limits {
                per_address: side(address)?,
                per_target: side(target)?,
            }),
            None if raw.trim() == "off" => Ok(Limits::OFF),
            None => Err(format!(
                "{raw:?}: expected ADDRESS,TARGET limits such as 30/min,10/min (or off)"
            )),
        }
    }
}

/// At most `count` attempts in any `per`; after a burst, one more each
/// `per / count` (a generic cell rate: the same in memory and in Redis).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limit {
    pub count: u32,
    pub per: Duration,
}

impl Limit {
    /// The time one attempt takes back.
    pub fn interval(&self) -> Duration {
        self.per / self.count
    }
}

impl FromStr for Limit {
    type Err = String;

    /// `30/min`, `5/h`, `10/30s`, `3/15min`.
    fn from_str(raw: &str) -> Result<Self, Self::Err> {
        let invalid = || format!("{raw:?}: expected a limit such as 30/min, 5/h or 10/30s");
        let (count, window) = raw.trim().split_once('/').ok_or_else(invalid)?;
        let count: u32 = count.trim().parse().map_err(|_| invalid())?;
        let window = window.trim();
        let digits = window.chars().take_while(char::is_ascii_digit).count();
        let (amount, unit) = window.split_at(digits);
        let amount: u32 = if amount.is_empty() {
            1
        } else {
            amount.parse().map_err(|_| invalid())?
        };
        let unit = match unit {
            "s" | "sec" | "second" => Duration::from_secs(1),
            "m" | "min" | "minute" => Duration::from_secs(60),
            "h" | "hour" => Duration::from_secs(3600),
            _ => return Err(invalid()),
        };
        if count == 0 || amount == 0 {
            return Err(format!("{raw:?}: a limit needs a count and a time above 0"));
        }
        Ok(Limit {
            count,
            per: unit * amount,
        })
    }
}

/// A trusted proxy: one address, or a CIDR range.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProxyRange(pub IpNet);

impl FromStr for ProxyRange {
    type Err = String;

    fn from_str(raw: &str) -> Result<Self, Self::Err> {
        let raw = raw.trim();
        raw.parse::<IpNet>()
            .or_else(|_| raw.parse::<std::net::IpAddr>().map(IpNet::from))
            .map(ProxyRange)
            .map_err(|_| format!("{raw:?} is not an IP address or CIDR range"))
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::{Limit, Limits, ProxyRange};

    #[test]
    fn limits_read_as_written() {
        let limits: Limits = "30/min, 5/15min".parse().unwrap();
        assert_eq!(
            limits.per_address,
            Some(Limit {
                count: 30,
                per: Duration::from_secs(60)
            })
        );
        assert_eq!(limits.per_target.unwrap().per, Duration::from_secs(900));
        assert_eq!(
            limits.per_target.unwrap().interval(),
            Duration::from_secs(180)
        );
        assert_eq!("off".parse::<Limits>().unwrap(), Limits::OFF);
        let one_sided: Limits = "off,10/30s".parse().unwrap();
        assert_eq!(one_sided.per_address, None);
        assert_eq!(one_sided.per_target.unwrap().per, Duration::from_secs(30));
    }

    #[test]
    fn nonsense_is_explained() {
        for bad in [
            "30",
            "30/min",
            "0/min,1/min",
            "a/min,1/min",
            "3/fortnight,1/h",
            "3/0s,1/h",
        ] {
            let err = bad.parse::<Limits>().unwrap_err();
            assert!(
                err.contains("expected") || err.contains("above 0"),
                "{bad}: {err}"
            );
        }
    }

    #[test]
    fn proxies_are_addresses_or_ranges() {
        assert!(
            "10.0.0.0/8"
                .parse::<ProxyRange>()
                .unwrap()
                .0
                .contains(&"10.1.2.3".parse::<std::net::IpAddr>().unwrap())
        );
        assert!(
            "192.0.2.1"
                .parse::<ProxyRange>()
                .unwrap()
                .0
                .contains(&"192.0.2.1".parse::<std::net::IpAddr>().unwrap())
        );
        assert!("proxy.local".parse::<ProxyRange>().is_err());
    }
}
