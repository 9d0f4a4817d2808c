//! Stripe's test cards (https://docs.stripe.com/testing): each test
//! PaymentMethod id (`pm_card_visa`) and card number behaves as Stripe's test
//! mode does. One card is the simulator's own: Stripe has no test card whose
//! capture fails, so `pm_card_captureExpired` / 4000 0000 0000 7726 models an
//! authorization that expired before capture (see [`Behavior::CaptureExpires`]).

/// What happens when the card is used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Behavior {
    Succeeds,
    /// Refused by the issuer: at every charge and at the card check of an
    /// attach or SetupIntent when `checked_on_attach`.
    Declines(Decline),
    /// 4000 0000 0000 0341: attaches and sets up, every charge is declined.
    AttachesButChargesFail,
    /// 4000 0000 0000 3220 and 4000 0027 6000 3184: every payment and setup
    /// needs 3-D Secure; off-session it is declined `authentication_required`.
    AlwaysAuthenticate,
    /// 4000 0025 0000 3155: needs 3-D Secure on session and at setup; once
    /// set up for off-session use, off-session payments go through.
    AuthenticateUnlessSetUp,
    /// 4000 0000 0000 0259: succeeds, then the payment is disputed (fraudulent).
    Disputed,
    /// Simulator-only (4000 0000 0000 7726): authorizes; capturing it fails
    /// `charge_expired_for_capture` and the PaymentIntent is canceled, as when
    /// an authorization expired before capture.
    CaptureExpires,
    /// A number that is not a test card: declined `test_mode_live_card`.
    LiveCard,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Decline {
    pub code: &'static str,
    pub decline_code: Option<&'static str>,
    pub message: &'static str,
    pub checked_on_attach: bool,
}

const GENERIC: Decline = Decline {
    code: "card_declined",
    decline_code: Some("generic_decline"),
    message: "Your card was declined.",
    checked_on_attach: true,
};

pub const AUTHENTICATION_REQUIRED: Decline = Decline {
    code: "authentication_required",
    decline_code: Some("authentication_required"),
    message: "Your card was declined. This transaction requires authentication.",
    checked_on_attach: false,
};

#[derive(Debug, Clone, Copy)]
pub struct TestCard {
    /// The test PaymentMethod id, when Stripe has one.
    pub pm: Option<&'static str>,
    pub number: &'static str,
    pub brand: &'static str,
    pub funding: &'static str,
    pub country: &'static str,
    pub behavior: Behavior,
}

const fn card(
    pm: &'static str,
    number: &'static str,
    brand: &'static str,
    behavior: Behavior,
) -> TestCard {
    TestCard {
        pm: Some(pm),
        number,
        brand,
        funding: "credit",
        country: "US",
        behavior,
    }
}

pub static CARDS: &[TestCard] = &[
    card(
        "pm_card_visa",
        "4242424242424242",
        "visa",
        Behavior::Succeeds,
    ),
    TestCard {
        funding: "debit",
        ..card(
            "pm_card_visa_debit",
            "4000056655665556",
            "visa",
            Behavior::Succeeds,
        )
    },
    card(
        "pm_card_mastercard",
        "5555555555554444",
        "mastercard",
        Behavior::Succeeds,
    ),
    card(
        "pm_card_amex",
        "378282246310005",
        "amex",
        Behavior::Succeeds,
    ),
    card(
        "pm_card_visa_chargeDeclined",
        "4000000000000002",
        "visa",
        Behavior::Declines(GENERIC),
    ),
    card(
        "pm_card_visa_chargeDeclinedInsufficientFunds",
        "4000000000009995",
        "visa",
        Behavior::Declines(Decline {
            code: "card_declined",
            decline_code: Some("insufficient_funds"),
            message: "Your card has insufficient funds.",
            checked_on_attach: false,
        }),
    ),
    card(
        "pm_card_chargeDeclinedExpiredCard",
        "4000000000000069",
        "visa",
        Behavior::Declines(Decline {
            code: "expired_card",
            decline_code: Some("expired_card"),
            message: "Your card has expired.",
            checked_on_attach: true,
        }),
    ),
    card(
        "pm_card_chargeDeclinedIncorrectCvc",
        "4000000000000127",
        "visa",
        Behavior::Declines(Decline {
            code: "incorrect_cvc",
            decline_code: Some("incorrect_cvc"),
            message: "Your card's security code is incorrect.",
            checked_on_attach: true,
        }),
    ),
    card(
        "pm_card_chargeDeclinedProcessingError",
        "4000000000000119",
        "visa",
        Behavior::Declines(Decline {
            code: "processing_error",
            decline_code: Some("processing_error"),
            message: "An error occurred while processing your card. Try again in a little bit.",
            checked_on_attach: true,
        }),
    ),
    card(
        "pm_card_chargeCustomerFail",
        "4000000000000341",
        "visa",
        Behavior::AttachesButChargesFail,
    ),
    card(
        "pm_card_threeDSecure2Required",
        "4000000000003220",
        "visa",
        Behavior::AlwaysAuthenticate,
    ),
    card(
        "pm_card_authenticationRequired",
        "4000002760003184",
        "visa",
        Behavior::AlwaysAuthenticate,
    ),
    card(
        "pm_card_authenticationRequiredOnSetup",
        "4000002500003155",
        "visa",
        Behavior::AuthenticateUnlessSetUp,
    ),
    card(
        "pm_card_createDispute",
        "4000000000000259",
        "visa",
        Behavior::Disputed,
    ),
    card(
        "pm_card_captureExpired",
        "4000000000007726",
        "visa",
        Behavior::CaptureExpires,
    ),
];

pub fn by_pm(id: &str) -> Option<&'static TestCard> {
    CARDS.iter().find(|c| c.pm == Some(id))
}

/// The test card with this number, or a live card of the brand its digits show.
pub fn by_number(number: &str) -> TestCard {
    CARDS
        .iter()
        .find(|c| c.number == number)
        .copied()
        .unwrap_or(TestCard {
            pm: None,
            number: "",
            brand: brand_of(number),
            funding: "credit",
            country: "US",
            behavior: Behavior::LiveCard,
        })
}

pub fn brand_of(number: &str) -> &'static str {
    let prefix = |n: usize| number.get(..n).and_then(|p| p.parse::<u32>().ok());
    match (prefix(1), prefix(2), prefix(4)) {
        (Some(4), _, _) => "visa",
        (_, Some(34 | 37), _) => "amex",
        (_, Some(51..=55), _) | (_, _, Some(2221..=2720)) => "mastercard",
        (_, Some(65), _) | (_, _, Some(6011)) => "discover",
        (_, Some(35), _) => "jcb",
        (_, Some(30 | 36 | 38), _) => "diners",
        (_, Some(62), _) => "unionpay",
        _ => "unknown",
    }
}

/// The Luhn checksum every card number passes.
pub fn luhn_valid(number: &str) -> bool {
    if !(12..=19).contains(&number.len()) || !number.bytes().all(|b| b.is_ascii_digit()) {
        return false;
    }
    let sum: u32 = number
        .bytes()
        .rev()
        .enumerate()
        .map(|(i, b)| {
            let d = u32::from(b - b'0');
            match (i % 2 == 1, d * 2) {
                (false, _) => d,
                (true, doubled) if doubled > 9 => doubled - 9,
                (true, doubled) => doubled,
            }
        })
        .sum();
    sum.is_multiple_of(10)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_test_card_passes_luhn() {
        for card in CARDS {
            assert!(luhn_valid(card.number), "{}", card.number);
            assert_eq!(brand_of(card.number), card.brand, "{}", card.number);
        }
        assert!(!luhn_valid("4242424242424241"));
    }
}
