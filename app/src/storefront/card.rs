//! Card payments in the browser, with Stripe.js or Finix.js: the card field,
//! confirming a payment (3-D Secure included) or tokenizing the card, and
//! saving a card. The script is loaded from the configured address by
//! `card.js`, and the card number is typed into the provider's own frame: it
//! never reaches our page's code or our server. Our server only ever hands
//! out a Stripe intent's `client_secret` (and later asks Stripe itself how
//! the intent stands) or receives Finix.js's token (`TK…`), which it turns
//! into a payment instrument with Finix.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

/// Where and as whom the browser loads Stripe.js.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StripeJs {
    /// `https://js.stripe.com/v3/`, or a stand-in's in tests.
    pub url: String,
    /// `pk_…`, which may be public.
    pub publishable_key: String,
}

/// Where the browser loads Finix.js, and what its card form tokenizes for.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FinixJs {
    /// `https://js.finix.com/v/2/finix.js`, or a stand-in's in tests.
    pub url: String,
    /// `sandbox` or `live`: which Finix the form sends the card to.
    pub environment: String,
    /// The application the tokens are for (`AP…`), which may be public.
    pub application_id: String,
}

/// The card scripts this store is configured with; a provider without its
/// script cannot take cards in the browser.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CardScripts {
    pub stripe: Option<StripeJs>,
    pub finix: Option<FinixJs>,
}

impl CardScripts {
    /// The addresses the pages load scripts from (for the content security policy).
    pub fn urls(&self) -> Vec<&str> {
        let stripe = self.stripe.as_ref().map(|s| s.url.as_str());
        let finix = self.finix.as_ref().map(|f| f.url.as_str());
        stripe.into_iter().chain(finix).collect()
    }
}

/// The script a card form loads, with what it needs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum CardScript {
    Stripe(StripeJs),
    Finix(FinixJs),
}

impl CardScripts {
    /// The script `form` needs, if the store is configured with it.
    pub fn for_form(&self, form: CardForm) -> Option<CardScript> {
        match form {
            CardForm::Stripe => self.stripe.clone().map(CardScript::Stripe),
            CardForm::Finix => self.finix.clone().map(CardScript::Finix),
        }
    }
}

/// How a provider takes a card in the browser.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum CardForm {
    /// Stripe.js confirms the provider's intent (3-D Secure included).
    Stripe,
    /// Finix.js turns the card into a token the server pays with.
    Finix,
}

impl CardForm {
    /// The form of a provider, if it takes cards in the browser.
    #[cfg(feature = "ssr")]
    pub fn of(provider: &dyn domain::payments::PaymentProvider) -> Option<Self> {
        if provider.confirmed_by_shopper() {
            Some(Self::Stripe)
        } else if provider.tokenized_in_browser() {
            Some(Self::Finix)
        } else {
            None
        }
    }
}

/// What the card script answered, as `card.js` passes it on: Stripe's
/// intent status (`succeeded`, `requires_capture`, …), Finix.js's token
/// (status `tokenized`), or why not.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
pub struct Answer {
    pub status: Option<String>,
    pub token: Option<String>,
    pub error: Option<CardError>,
}

/// Stripe's error object (https://docs.stripe.com/api/errors), the fields a
/// shopper's message is made of.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
pub struct CardError {
    pub message: Option<String>,
    pub code: Option<String>,
    pub decline_code: Option<String>,
}

impl Answer {
    /// The intent's status, or a message for the shopper. Stripe writes its
    /// card errors' messages for shoppers ("Your card was declined."), so
    /// they are shown as they are; a failure without one gets ours.
    pub fn outcome(self) -> Result<String, String> {
        match (self.status, self.error) {
            (_, Some(error)) => Err(error.message.unwrap_or_else(|| {
                match error.code.as_deref() {
                    Some("payment_intent_authentication_failure")
                    | Some("setup_intent_authentication_failure") => {
                        "Your bank could not confirm it was you. Try again, or use another card."
                    }
                    Some("expired_card") => "Your card has expired. Use another card.",
                    Some("incorrect_cvc") => "The card's security code is wrong.",
                    _ => "Your card was declined. Use another card.",
                }
                .to_owned()
            })),
            (Some(status), None) => Ok(status),
            (None, None) => Err("The card could not be checked; try again.".to_owned()),
        }
    }
}

/// The provider a signed-in shopper's saved cards belong to: the one a
/// machine's holds go through, when it is paid by card (Stripe, Finix);
/// `None` for the test provider, which keeps no cards.
#[cfg(feature = "ssr")]
pub async fn saved_card_provider(
    ctx: &crate::server_context::ServerContext,
) -> Result<Option<String>, ServerFnError> {
    use crate::server_context::to_server_error;
    let id = domain::payments::provider_for_holds(&ctx.db, &ctx.payment_providers, &ctx.currency)
        .await
        .map_err(to_server_error)?;
    let by_card = ctx
        .payment_providers
        .get(&id)
        .is_ok_and(|p| CardForm::of(p.as_ref()).is_some());
    Ok(by_card.then_some(id))
}

/// "Visa •••• 4242, expires 12/2034".
pub fn describe(brand: &str, last4: &str, exp_month: i64, exp_year: i64) -> String {
    let brand = match brand {
        "visa" => "Visa".to_owned(),
        "mastercard" => "Mastercard".to_owned(),
        "amex" | "american_express" => "American Express".to_owned(),
        "discover" => "Discover".to_owned(),
        "diners" | "diners_club" => "Diners Club".to_owned(),
        "jcb" => "JCB".to_owned(),
        "unionpay" => "UnionPay".to_owned(),
        "cartes_bancaires" => "Cartes Bancaires".to_owned(),
        other => other.replace('_', " "),
    };
    format!("{brand} •••• {last4}, expires {exp_month:02}/{exp_year}")
}

/// Whether a confirmed PaymentIntent is authorised (captured later, or at once).
pub fn payment_authorized(status: &str) -> bool {
    matches!(status, "requires_capture" | "succeeded")
}

#[cfg(feature = "hydrate")]
mod js {
    use wasm_bindgen::prelude::*;

    #[wasm_bindgen(module = "/src/storefront/card.js")]
    extern "C" {
        #[wasm_bindgen(js_name = mountCard)]
        pub fn mount_card(url: &str, publishable_key: &str, element_id: &str, done: JsValue);
        #[wasm_bindgen(js_name = confirmCardPayment)]
        pub fn confirm_card_payment(client_secret: &str, done: JsValue);
        #[wasm_bindgen(js_name = confirmCardSetup)]
        pub fn confirm_card_setup(client_secret: &str, done: JsValue);
        #[wasm_bindgen(js_name = mountFinix)]
        pub fn mount_finix(
            url: &str,
            environment: &str,
            application_id: &str,
            element_id: &str,
            done: JsValue,
        );
        #[wasm_bindgen(js_name = tokenizeFinix)]
        pub fn tokenize_finix(done: JsValue);
    }

    /// A callback for `card.js` that hands its one answer to `done`.
    pub fn reply(done: impl FnOnce(super::Answer) + 'static) -> JsValue {
        Closure::once_into_js(move |json: String| {
            done(serde_json::from_str(&json).unwrap_or_default())
        })
    }
}

/// Confirms the PaymentIntent of `client_secret` with the card typed into
/// the field (Stripe.js shows a 3-D Secure challenge when the bank asks).
pub fn confirm_payment(client_secret: &str, done: impl FnOnce(Answer) + 'static) {
    #[cfg(feature = "hydrate")]
    js::confirm_card_payment(client_secret, js::reply(done));
    // Only ever called from browser events, which the server never runs.
    #[cfg(not(feature = "hydrate"))]
    let _ = (client_secret, done);
}

/// Confirms the SetupIntent of `client_secret`: saves the typed card.
pub fn confirm_setup(client_secret: &str, done: impl FnOnce(Answer) + 'static) {
    #[cfg(feature = "hydrate")]
    js::confirm_card_setup(client_secret, js::reply(done));
    #[cfg(not(feature = "hydrate"))]
    let _ = (client_secret, done);
}

/// Turns the card typed into the Finix.js form into a token (`TK…`),
/// handed to `done` as the answer's `token`.
pub fn tokenize(done: impl FnOnce(Answer) + 'static) {
    #[cfg(feature = "hydrate")]
    js::tokenize_finix(js::reply(done));
    #[cfg(not(feature = "hydrate"))]
    let _ = done;
}

/// The token of a Finix.js answer, or a message for the shopper.
pub fn token_of(answer: Answer) -> Result<String, String> {
    let token = answer.token.clone();
    match (answer.outcome(), token) {
        (Err(message), _) => Err(message),
        (Ok(_), Some(token)) => Ok(token),
        (Ok(_), None) => Err("The card could not be checked; try again.".to_owned()),
    }
}

/// What a page without JavaScript shows where the card field would be.
const NEEDS_JAVASCRIPT: &str = "<p class=\"notice\" data-testid=\"card-needs-javascript\">\
     Card payment needs JavaScript: turn it on in your browser to pay by card.</p>";

/// Stripe's card field, mounted once the page runs (Stripe.js replaces the
/// element's content with its frame, so the element is left empty here).
#[component]
pub fn CardField(stripe: StripeJs, element_id: &'static str) -> impl IntoView {
    let (problem, set_problem) = signal(None::<String>);
    #[cfg(feature = "hydrate")]
    Effect::new(move |_| {
        js::mount_card(
            &stripe.url,
            &stripe.publishable_key,
            element_id,
            js::reply(move |answer| {
                if let Err(message) = answer.outcome() {
                    set_problem.set(Some(message));
                }
            }),
        );
    });
    #[cfg(not(feature = "hydrate"))]
    let _ = (stripe, set_problem);
    view! {
        // The text goes in whole, unparsed by the hydration (a browser
        // running scripts reads a <noscript>'s content as text).
        <noscript inner_html=NEEDS_JAVASCRIPT></noscript>
        <div class="card-field" id=element_id data-testid="card-field"></div>
        {move || problem.get().map(|p| view! { <p class="notice error" role="alert">{p}</p> })}
    }
}

/// Finix's card form (Finix.js renders it as its own frame in the element).
#[component]
pub fn FinixCardField(finix: FinixJs, element_id: &'static str) -> impl IntoView {
    let (problem, set_problem) = signal(None::<String>);
    #[cfg(feature = "hydrate")]
    Effect::new(move |_| {
        js::mount_finix(
            &finix.url,
            &finix.environment,
            &finix.application_id,
            element_id,
            js::reply(move |answer| {
                if let Err(message) = answer.outcome() {
                    set_problem.set(Some(message));
                }
            }),
        );
    });
    #[cfg(not(feature = "hydrate"))]
    let _ = (finix, set_problem);
    view! {
        <noscript inner_html=NEEDS_JAVASCRIPT></noscript>
        <div class="card-field" id=element_id data-testid="finix-card-field"></div>
        {move || problem.get().map(|p| view! { <p class="notice error" role="alert">{p}</p> })}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(json: &str) -> Result<String, String> {
        serde_json::from_str::<Answer>(json).unwrap().outcome()
    }

    #[test]
    fn a_decline_reads_as_stripe_wrote_it_for_the_shopper() {
        assert_eq!(
            answer(r#"{"status":"requires_capture"}"#),
            Ok("requires_capture".into())
        );
        assert_eq!(
            answer(
                r#"{"error":{"message":"Your card has insufficient funds.","code":"card_declined","decline_code":"insufficient_funds"}}"#
            ),
            Err("Your card has insufficient funds.".into())
        );
        assert_eq!(
            answer(r#"{"error":{"code":"payment_intent_authentication_failure"}}"#),
            Err("Your bank could not confirm it was you. Try again, or use another card.".into())
        );
        assert!(answer("{}").is_err());
        assert_eq!(
            describe("visa", "4242", 3, 2034),
            "Visa •••• 4242, expires 03/2034"
        );
        assert!(payment_authorized("requires_capture") && !payment_authorized("requires_action"));
    }
}
