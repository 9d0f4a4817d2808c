//! What a client may only try so often: the actions an attacker would repeat
//! (guessing passwords, promotion codes or loyalty members, opening machines,
//! flooding sign-ups and reset emails), and who counts as the same client.
//! Each action is counted twice: per client address and per target (the
//! account, phone number, cart, shopper or device it is aimed at), so neither
//! many addresses against one account nor one address against many accounts
//! gets far. The counting itself is the server's (in memory or in Redis).

use std::{fmt, net::IpAddr, time::Duration};

/// An action whose attempts are limited.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Rule {
    /// Target: the account's email.
    CustomerSignIn,
    /// Target: the admin user's email.
    AdminSignIn,
    /// Target: the email signed up with.
    Registration,
    /// Target: the email a reset link is asked for.
    PasswordReset,
    /// Target: the phone number looked up.
    LoyaltyIdentify,
    /// Target: the cart the codes are tried on.
    PromotionCode,
    /// Target: the shopper opening machines.
    MachineOpening,
    /// Target: the device id signing in to the broker.
    MqttSignIn,
}

impl Rule {
    pub const ALL: [Rule; 8] = [
        Rule::CustomerSignIn,
        Rule::AdminSignIn,
        Rule::Registration,
        Rule::PasswordReset,
        Rule::LoyaltyIdentify,
        Rule::PromotionCode,
        Rule::MachineOpening,
        Rule::MqttSignIn,
    ];

    /// A stable name, part of the keys counts are kept under.
    pub fn name(self) -> &'static str {
        match self {
            Rule::CustomerSignIn => "customer_sign_in",
            Rule::AdminSignIn => "admin_sign_in",
            Rule::Registration => "registration",
            Rule::PasswordReset => "password_reset",
            Rule::LoyaltyIdentify => "loyalty_identify",
            Rule::PromotionCode => "promotion_code",
            Rule::MachineOpening => "machine_opening",
            Rule::MqttSignIn => "mqtt_sign_in",
        }
    }

    /// What is counted, as a person would say it.
    fn attempts(self) -> &'static str {
        match self {
            Rule::CustomerSignIn | Rule::AdminSignIn | Rule::MqttSignIn => "sign-in attempts",
            Rule::Registration => "sign-ups",
            Rule::PasswordReset => "password reset requests",
            Rule::LoyaltyIdentify => "loyalty look-ups",
            Rule::PromotionCode => "promotion code attempts",
            Rule::MachineOpening => "machine openings",
        }
    }

    /// The target as counted: the same however it was written (emails
    /// trimmed and lower-cased, phone numbers as their digits), so a retry in
    /// capitals or with spaces counts against the same target.
    pub fn target_key(self, raw: &str) -> String {
        match self {
            Rule::CustomerSignIn | Rule::AdminSignIn | Rule::Registration | Rule::PasswordReset => {
                raw.trim().to_lowercase()
            }
            Rule::LoyaltyIdentify => raw.chars().filter(char::is_ascii_digit).collect(),
            Rule::PromotionCode | Rule::MachineOpening | Rule::MqttSignIn => raw.trim().to_owned(),
        }
    }
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Whom a count is kept for.
#[derive(Debug, Clone, Copy)]
pub enum Subject<'a> {
    /// The client's address. An IPv6 client is counted by its /64, the
    /// block one subscriber usually gets: one address each would be free.
    Address(IpAddr),
    /// What the attempt is aimed at, as [`Rule::target_key`] normalises it.
    Target(&'a str),
}

impl Subject<'_> {
    /// `address` or `target`, part of the keys counts are kept under.
    pub fn scope(&self) -> &'static str {
        match self {
            Subject::Address(_) => "address",
            Subject::Target(_) => "target",
        }
    }

    /// Who is counted, for `rule`: a digest of fixed length, so a store of
    /// counts holds no email address or phone number and no key of a
    /// hostile length.
    pub fn key(&self, rule: Rule) -> String {
        let counted = match self {
            Subject::Address(IpAddr::V4(ip)) => ip.to_string(),
            Subject::Address(IpAddr::V6(ip)) => match ip.to_ipv4_mapped() {
                Some(v4) => v4.to_string(),
                None => {
                    let s = ip.segments();
                    format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
                }
            },
            Subject::Target(target) => rule.target_key(target),
        };
        let digest = ring::digest::digest(&ring::digest::SHA256, counted.as_bytes());
        digest.as_ref()[..16]
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }
}

/// Refused: too many attempts; the next one is let through after this long.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryAfter {
    pub rule: Rule,
    pub wait: Duration,
}

impl RetryAfter {
    /// Whole seconds, rounded up (at least 1), for a `Retry-After` header.
    pub fn seconds(&self) -> u64 {
        let whole = self.wait.as_secs() + u64::from(self.wait.subsec_nanos() > 0);
        whole.max(1)
    }
}

impl fmt::Display for RetryAfter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let seconds = self.seconds();
        let when = match seconds {
            1 => "1 second".to_owned(),
            2..=90 => format!("{seconds} seconds"),
            _ => format!("{} minutes", seconds.div_ceil(60)),
        };
        write!(
            f,
            "Too many {} in a short time. Please try again in {when}.",
            self.rule.attempts()
        )
    }
}

#[cfg(test)]
mod tests {
    use std::{net::IpAddr, time::Duration};

    use super::{RetryAfter, Rule, Subject};

    #[test]
    fn targets_count_however_they_are_written() {
        let email = |raw| Subject::Target(raw).key(Rule::CustomerSignIn);
        assert_eq!(email(" Ada@Example.com "), email("ada@example.com"));
        let phone = |raw| Subject::Target(raw).key(Rule::LoyaltyIdentify);
        assert_eq!(phone("+1 (555) 010-0001"), phone("15550100001"));
    }

    #[test]
    fn an_ipv6_client_is_counted_by_its_block() {
        let key =
            |raw: &str| Subject::Address(raw.parse::<IpAddr>().unwrap()).key(Rule::AdminSignIn);
        assert_eq!(key("2001:db8:1:2::1"), key("2001:db8:1:2:ffff::9"));
        assert_ne!(key("2001:db8:1:2::1"), key("2001:db8:1:3::1"));
        assert_eq!(key("::ffff:192.0.2.7"), key("192.0.2.7"));
    }

    #[test]
    fn the_wait_reads_as_a_person_would_say_it() {
        let refused = |ms| RetryAfter {
            rule: Rule::CustomerSignIn,
            wait: Duration::from_millis(ms),
        };
        assert_eq!(refused(1).seconds(), 1);
        assert_eq!(refused(5_001).seconds(), 6);
        assert_eq!(
            refused(42_000).to_string(),
            "Too many sign-in attempts in a short time. Please try again in 42 seconds."
        );
        assert!(refused(600_000).to_string().ends_with("in 10 minutes."));
    }
}
