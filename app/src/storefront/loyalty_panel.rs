//! The loyalty panel at checkout: a phone number links the cart to a
//! member (shown masked) and the order earns points; "Use my points" texts
//! a code to that phone, and once it is entered the balance shows and
//! rewards that cost points can be chosen (a signed-in customer whose
//! account is linked to that phone needs no code). The host's rewards show
//! (instant ones applied, optional ones to choose), and the totals follow
//! each choice. Plain forms, so it works before hydration. When loyalty is
//! off or its host does not answer, the panel is not there and the checkout
//! goes on without it.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::components::format_money;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LoyaltyPanelView {
    pub currency: String,
    /// `None` until the shopper identified the cart.
    pub member: Option<MemberView>,
    pub totals: LoyaltyTotals,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MemberView {
    /// Masked by the host.
    pub member_id: String,
    /// `None` until the phone is verified.
    pub points_balance: Option<i64>,
    pub points_earnable: i64,
    pub verification: Verification,
    pub instant: Vec<RewardView>,
    pub optional: Vec<RewardView>,
}

/// How far the shopper got proving the member's phone.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Verification {
    NotYet,
    /// A code went to the phone ending in these digits.
    CodeSent {
        phone_ending: String,
    },
    Verified,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RewardView {
    pub id: String,
    pub description: String,
    pub discount_amount: i64,
    pub points_cost: i64,
    pub applied: bool,
}

/// The cart's totals with the loyalty savings apart, minor units.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LoyaltyTotals {
    pub original: i64,
    pub loyalty_savings: i64,
    /// Promotion codes'.
    pub other_discounts: i64,
    pub tax: i64,
    pub tax_inclusive: bool,
    pub delivery_fee: i64,
    pub tip: i64,
    pub total: i64,
}

#[cfg(feature = "ssr")]
fn loyalty_error(e: domain::loyalty::LoyaltyError) -> ServerFnError {
    loyalty_error_saying(
        e,
        "loyalty is unavailable right now; you can check out without it",
    )
}

/// A loyalty failure as a form shows it; `unavailable` is what the shopper
/// reads when the host (or the SMS provider) does not answer.
#[cfg(feature = "ssr")]
pub(super) fn loyalty_error_saying(
    e: domain::loyalty::LoyaltyError,
    unavailable: &'static str,
) -> ServerFnError {
    use domain::loyalty::LoyaltyError;
    match e {
        LoyaltyError::Domain(e) => crate::server_context::to_server_error(e),
        LoyaltyError::Unavailable(message) => {
            tracing::info!(%message, "loyalty unavailable");
            crate::server_context::set_error_status(http::StatusCode::SERVICE_UNAVAILABLE);
            ServerFnError::new(unavailable)
        }
    }
}

/// The shopper's open cart id, or an error that reads well in a form.
#[cfg(feature = "ssr")]
async fn open_cart_id(ctx: &crate::server_context::ServerContext) -> Result<String, ServerFnError> {
    let session = crate::server_context::session().await?;
    super::cart::current_cart(ctx, &session)
        .await?
        .map(|cart| cart.cart.id)
        .ok_or_else(|| ServerFnError::new("your cart is empty"))
}

/// What the panel shows; `None` hides it (no cart, loyalty off or unreachable).
/// Rewards calculated for another basket (the cart changed) are calculated again.
#[server(endpoint = "/loyalty/panel")]
pub async fn loyalty_panel() -> Result<Option<LoyaltyPanelView>, ServerFnError> {
    use domain::loyalty::{self, LoyaltyError, SessionStatus};

    use crate::server_context::*;
    let ctx = server_context()?;
    let session = session().await?;
    let Some(cart) = super::cart::current_cart(&ctx, &session).await? else {
        return Ok(None);
    };
    if cart.items.is_empty() {
        return Ok(None);
    }
    let found = loyalty::session_for_cart(&ctx.db, &cart.cart.id)
        .await
        .map_err(to_server_error)?;
    let detail = match found {
        None => {
            if !ctx
                .loyalty
                .available(&ctx.db)
                .await
                .map_err(to_server_error)?
            {
                return Ok(None);
            }
            None
        }
        Some(d) if d.status == SessionStatus::Active => {
            if d.rewards_stale || d.rewards.is_empty() {
                match ctx.loyalty.calculate_rewards(&ctx.db, &cart.cart.id).await {
                    Ok(fresh) => Some(fresh),
                    // Stale rewards count nothing, so without the host there is nothing to show.
                    Err(LoyaltyError::Unavailable(_)) => return Ok(None),
                    Err(e) => return Err(loyalty_error(e)),
                }
            } else {
                Some(d)
            }
        }
        // Finalized or cancelled meanwhile: nothing to choose any more.
        Some(_) => return Ok(None),
    };
    // The totals after the (re)calculation.
    let cart = domain::carts::get_cart(&ctx.db, &cart.cart.id)
        .await
        .map_err(to_server_error)?;
    let loyalty_savings = detail.as_ref().map_or(0, |d| d.discount_total);
    let t = &cart.totals;
    let totals = LoyaltyTotals {
        original: t.original_item_total,
        loyalty_savings,
        other_discounts: (t.discount_total - loyalty_savings).max(0),
        tax: t.tax_total,
        tax_inclusive: t.tax_inclusive,
        delivery_fee: t.shipping.total,
        tip: t.tip,
        total: t.total,
    };
    let member = detail.map(|d| {
        let (instant, optional): (Vec<_>, Vec<_>) = d.rewards.into_iter().partition(|r| r.instant);
        let view = |rewards: Vec<loyalty::reward::Model>| {
            rewards
                .into_iter()
                .map(|r| RewardView {
                    id: r.reward_id,
                    description: r.description,
                    discount_amount: r.discount_amount,
                    points_cost: r.points_cost,
                    applied: r.applied,
                })
                .collect()
        };
        let verification = match (d.verified, d.code_sent) {
            (true, _) => Verification::Verified,
            (false, Some(sent)) => Verification::CodeSent {
                phone_ending: sent.phone_ending,
            },
            (false, None) => Verification::NotYet,
        };
        MemberView {
            member_id: d.session.member_id,
            points_balance: d.points_balance,
            points_earnable: d.points_earnable,
            verification,
            instant: view(instant),
            optional: view(optional),
        }
    });
    Ok(Some(LoyaltyPanelView {
        currency: cart.cart.currency_code,
        member,
        totals,
    }))
}

/// Links the cart to the member with `phone` and calculates the rewards.
#[server(endpoint = "/loyalty/identify")]
pub async fn identify_loyalty(phone: String) -> Result<(), ServerFnError> {
    use domain::loyalty::LoyaltyError;

    use crate::server_context::*;
    let ctx = server_context()?;
    let cart_id = open_cart_id(&ctx).await?;
    admit(domain::rate_limits::Rule::LoyaltyIdentify, &phone).await?;
    let signed_in = customer_id(&session().await?).await?;
    ctx.loyalty
        .identify(&ctx.db, &cart_id, &phone, signed_in.as_deref())
        .await
        .map_err(loyalty_error)?;
    match ctx.loyalty.calculate_rewards(&ctx.db, &cart_id).await {
        // The panel calculates them on its next load.
        Ok(_) | Err(LoyaltyError::Unavailable(_)) => Ok(()),
        Err(e) => Err(loyalty_error(e)),
    }
}

/// Texts a code to the phone the cart was identified with ("Use my points").
#[server(endpoint = "/loyalty/send-code")]
pub async fn send_loyalty_code() -> Result<(), ServerFnError> {
    use crate::server_context::*;
    let ctx = server_context()?;
    let cart_id = open_cart_id(&ctx).await?;
    ctx.loyalty
        .send_cart_code(&ctx.db, &cart_id)
        .await
        .map_err(loyalty_error)?;
    Ok(())
}

/// Checks the code from the SMS; right, the member's points may be used (and
/// a signed-in shopper's account is linked to the membership). The rewards
/// that cost points are calculated at once.
#[server(endpoint = "/loyalty/verify")]
pub async fn verify_loyalty_code(code: String) -> Result<(), ServerFnError> {
    use domain::loyalty::LoyaltyError;

    use crate::server_context::*;
    let ctx = server_context()?;
    let cart_id = open_cart_id(&ctx).await?;
    let signed_in = customer_id(&session().await?).await?;
    ctx.loyalty
        .verify_cart(&ctx.db, &cart_id, &code, signed_in.as_deref())
        .await
        .map_err(loyalty_error)?;
    match ctx.loyalty.calculate_rewards(&ctx.db, &cart_id).await {
        Ok(_) | Err(LoyaltyError::Unavailable(_)) => Ok(()),
        Err(e) => Err(loyalty_error(e)),
    }
}

/// Chooses (`selected`) or drops an optional reward.
#[server(endpoint = "/loyalty/choose")]
pub async fn choose_loyalty_reward(reward_id: String, selected: bool) -> Result<(), ServerFnError> {
    use crate::server_context::*;
    let ctx = server_context()?;
    let cart_id = open_cart_id(&ctx).await?;
    domain::loyalty::select_reward(&ctx.db, &cart_id, &reward_id, selected)
        .await
        .map_err(to_server_error)?;
    Ok(())
}

/// The panel's forms, one action each.
#[derive(Clone, Copy)]
struct PanelActions {
    identify: ServerAction<IdentifyLoyalty>,
    send_code: ServerAction<SendLoyaltyCode>,
    verify: ServerAction<VerifyLoyaltyCode>,
    choose: ServerAction<ChooseLoyaltyReward>,
}

#[component]
pub fn LoyaltyPanel() -> impl IntoView {
    let actions = PanelActions {
        identify: ServerAction::new(),
        send_code: ServerAction::new(),
        verify: ServerAction::new(),
        choose: ServerAction::new(),
    };
    let panel = Resource::new(
        move || {
            (
                actions.identify.version().get(),
                actions.send_code.version().get(),
                actions.verify.version().get(),
                actions.choose.version().get(),
            )
        },
        |_| loyalty_panel(),
    );
    let error = move || {
        let failed = |r: Option<Result<(), ServerFnError>>| r.and_then(|r| r.err());
        failed(actions.identify.value().get())
            .or_else(|| failed(actions.send_code.value().get()))
            .or_else(|| failed(actions.verify.value().get()))
            .or_else(|| failed(actions.choose.value().get()))
            .map(|e| crate::components::plain_error(&e))
    };
    view! {
        <Transition fallback=|| ()>
            {move || Suspend::new(async move {
                // An error here only costs the panel, never the checkout.
                panel
                    .await
                    .ok()
                    .flatten()
                    .map(|panel| view! { <PanelBody panel actions /> })
            })}
        </Transition>
        {move || error().map(|e| view! { <p class="notice error" role="alert" data-testid="loyalty-error">{e}</p> })}
    }
}

/// "Use my points", then the code from the SMS; nothing once verified.
#[component]
fn PhoneProof(verification: Verification, actions: PanelActions) -> impl IntoView {
    let PanelActions {
        send_code, verify, ..
    } = actions;
    match verification {
        Verification::Verified => ().into_any(),
        Verification::NotYet => view! {
            <ActionForm action=send_code attr:class="inline-form" attr:data-testid="loyalty-send-code">
                <span class="muted">"To use points, confirm the phone with a code we text to it. "</span>
                <button type="submit" disabled=move || send_code.pending().get()>"Use my points"</button>
            </ActionForm>
        }
        .into_any(),
        Verification::CodeSent { phone_ending } => view! {
            <p data-testid="loyalty-code-sent">{format!("We texted a code to the phone ending in {phone_ending}.")}</p>
            <ActionForm action=verify attr:class="inline-form" attr:data-testid="loyalty-verify">
                <label>"Code " <input type="text" name="code" inputmode="numeric" autocomplete="one-time-code" pattern="[0-9]{6}" maxlength="6" required /></label>
                <button type="submit" disabled=move || verify.pending().get()>"Verify"</button>
            </ActionForm>
            <ActionForm action=send_code attr:class="inline-form">
                <button type="submit" class="secondary" disabled=move || send_code.pending().get()>"Send a new code"</button>
            </ActionForm>
        }
        .into_any(),
    }
}

#[component]
fn PanelBody(panel: LoyaltyPanelView, actions: PanelActions) -> impl IntoView {
    let PanelActions {
        identify, choose, ..
    } = actions;
    let currency = panel.currency;
    let money = {
        let currency = currency.clone();
        move |amount: i64| format_money(amount, &currency)
    };
    let member = match panel.member {
        None => view! {
            <ActionForm action=identify attr:class="inline-form" attr:data-testid="loyalty-identify">
                <label>"Phone number " <input type="tel" name="phone" autocomplete="tel" placeholder="+1 555 010 0001" required /></label>
                <button type="submit" disabled=move || identify.pending().get()>"Collect points"</button>
            </ActionForm>
        }
        .into_any(),
        Some(member) => {
            let instant = member
                .instant
                .into_iter()
                .map(|r| {
                    let off = money(r.discount_amount);
                    view! {
                        <li data-testid="loyalty-instant">
                            {r.description}
                            {(r.discount_amount > 0).then(|| format!(" — {off} off"))}
                            <span class="badge">"applied"</span>
                        </li>
                    }
                })
                .collect_view();
            let optional = member
                .optional
                .into_iter()
                .map(|r| {
                    let off = money(r.discount_amount);
                    let label = if r.applied { "Remove" } else { "Choose" };
                    let reward_id = r.id.clone();
                    view! {
                        <li data-testid="loyalty-optional" data-reward=r.id data-applied=r.applied.to_string()>
                            {format!("{} — {off} off", r.description)}
                            {(r.points_cost > 0).then(|| format!(" for {} points", r.points_cost))}
                            " "
                            <ActionForm action=choose attr:class="inline-form">
                                <input type="hidden" name="reward_id" value=reward_id />
                                <input type="hidden" name="selected" value=(!r.applied).to_string() />
                                <button type="submit" class="secondary" disabled=move || choose.pending().get()>{label}</button>
                            </ActionForm>
                        </li>
                    }
                })
                .collect_view();
            let balance = member.points_balance.map(|balance| {
                view! { " · "<span data-testid="loyalty-balance">{balance}</span>" points" }
            });
            view! {
                <p>
                    "Member "<code data-testid="loyalty-member">{member.member_id}</code>
                    {balance}
                    " · this order earns about "<span data-testid="loyalty-earnable">{member.points_earnable}</span>" points"
                </p>
                <ul class="loyalty-rewards">{instant}{optional}</ul>
                <PhoneProof verification=member.verification actions />
            }
            .into_any()
        }
    };
    let t = panel.totals;
    let row = |label: &'static str, id: &'static str, amount: String| {
        view! { <tr><th scope="row">{label}</th><td data-testid=id>{amount}</td></tr> }
    };
    view! {
        <section class="loyalty-panel" data-testid="loyalty-panel">
            <h2>"Loyalty"</h2>
            {member}
            <table class="totals">
                <tbody>
                    {row("Original", "loyalty-original", money(t.original))}
                    {row("Loyalty savings", "loyalty-savings", money(-t.loyalty_savings))}
                    {(t.other_discounts > 0).then(|| row("Other discounts", "loyalty-other-discounts", money(-t.other_discounts)))}
                    {row(if t.tax_inclusive { "Tax (included)" } else { "Tax" }, "loyalty-tax", money(t.tax))}
                    {row("Delivery fee", "loyalty-delivery", money(t.delivery_fee))}
                    {row("Tip", "loyalty-tip", money(t.tip))}
                    {row("New total", "loyalty-total", money(t.total))}
                </tbody>
            </table>
        </section>
    }
}
