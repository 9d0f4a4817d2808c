//! Loyalty after the checkout: what an order earned (on its confirmation)
//! and the shopper's linked membership (on their account page), which the
//! shopper links by proving the phone with a code texted to it.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OrderLoyaltyView {
    pub member_id: String,
    /// `None` until the host confirmed the order (finalize).
    pub points_earned: Option<i64>,
    /// `None` unless the shopper verified the phone.
    pub points_balance: Option<i64>,
    pub rewards_redeemed: Vec<String>,
    /// The host refused it or it ran out of attempts.
    pub failed: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MembershipView {
    pub member_id: String,
    pub phone: String,
    /// As the host last reported it.
    pub points_balance: Option<i64>,
}

/// The account page's loyalty section.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum MembershipPanel {
    /// Linked, the phone proved.
    Linked(MembershipView),
    /// Not linked: a form for the phone (the profile's, to start with),
    /// then for the code texted to it.
    Unlinked {
        phone: Option<String>,
        /// A code went to the phone ending in these digits.
        code_sent_to: Option<String>,
    },
}

/// The loyalty side of an order the shopper may see (as [`super::checkout::get_order`] decides).
#[server(endpoint = "/loyalty/order")]
pub async fn order_loyalty(order_id: String) -> Result<Option<OrderLoyaltyView>, ServerFnError> {
    use domain::loyalty::{self, SessionStatus};

    use crate::server_context::*;
    if super::checkout::get_order(order_id.clone())
        .await?
        .is_none()
    {
        return Ok(None);
    }
    let ctx = server_context()?;
    let found = loyalty::for_order(&ctx.db, &order_id)
        .await
        .map_err(to_server_error)?;
    Ok(found.map(|l| {
        let finalized = l.status == SessionStatus::Finalized;
        OrderLoyaltyView {
            member_id: l.member_id,
            points_earned: l.points_earned.filter(|_| finalized),
            points_balance: l.points_balance,
            rewards_redeemed: l.rewards_redeemed,
            failed: matches!(l.status, SessionStatus::Failed | SessionStatus::Cancelled),
        }
    }))
}

/// The signed-in customer's verified membership, else the way to link one;
/// `None` for nobody signed in, or loyalty off and nothing linked.
#[server(endpoint = "/loyalty/membership")]
pub async fn my_membership() -> Result<Option<MembershipPanel>, ServerFnError> {
    use domain::loyalty::verification;

    use crate::server_context::*;
    let ctx = server_context()?;
    let Some(customer_id) = customer_id(&session().await?).await? else {
        return Ok(None);
    };
    let link = verification::verified_membership(&ctx.db, &customer_id)
        .await
        .map_err(to_server_error)?;
    if let Some(l) = link {
        return Ok(Some(MembershipPanel::Linked(MembershipView {
            member_id: l.membership_id,
            phone: l.phone,
            points_balance: l.points_balance,
        })));
    }
    if !ctx
        .loyalty
        .available(&ctx.db)
        .await
        .map_err(to_server_error)?
    {
        return Ok(None);
    }
    let phone = domain::customers::retrieve(&ctx.db, &customer_id)
        .await
        .map_err(to_server_error)?
        .customer
        .phone;
    let code_sent_to = verification::open_link_code(&ctx.db, &customer_id)
        .await
        .map_err(to_server_error)?
        .map(|sent| sent.phone_ending);
    Ok(Some(MembershipPanel::Unlinked {
        phone,
        code_sent_to,
    }))
}

#[cfg(feature = "ssr")]
fn loyalty_error(e: domain::loyalty::LoyaltyError) -> ServerFnError {
    super::loyalty_panel::loyalty_error_saying(
        e,
        "loyalty is unavailable right now; try again later",
    )
}

/// The signed-in customer, or an error asking to sign in.
#[cfg(feature = "ssr")]
async fn signed_in(shopper: &tower_sessions::Session) -> Result<String, ServerFnError> {
    use crate::server_context::*;
    customer_id(shopper).await?.ok_or_else(|| {
        to_server_error(domain::DomainError::Unauthorized(
            "sign in to link a loyalty membership".into(),
        ))
    })
}

/// Texts a code to `phone`, a member's, to link the signed-in account.
#[server(endpoint = "/loyalty/link/send-code")]
pub async fn send_link_code(phone: String) -> Result<(), ServerFnError> {
    use crate::server_context::*;
    let ctx = server_context()?;
    let customer_id = signed_in(&session().await?).await?;
    ctx.loyalty
        .send_link_code(&ctx.db, &customer_id, &phone)
        .await
        .map_err(loyalty_error)?;
    Ok(())
}

/// Links the signed-in account to the membership with the code from the SMS.
#[server(endpoint = "/loyalty/link/verify")]
pub async fn verify_link_code(code: String) -> Result<(), ServerFnError> {
    use crate::server_context::*;
    let ctx = server_context()?;
    let customer_id = signed_in(&session().await?).await?;
    ctx.loyalty
        .verify_link(&ctx.db, &customer_id, &code)
        .await
        .map_err(loyalty_error)?;
    Ok(())
}

/// Points earned, rewards redeemed and the new balance; "pending" until the
/// host confirmed, and checked again every few seconds meanwhile.
#[component]
pub fn OrderLoyaltySummary(order_id: String) -> impl IntoView {
    let summary = Resource::new(move || order_id.clone(), order_loyalty);
    view! {
        <Transition fallback=|| ()>
            {move || Suspend::new(async move {
                let found = summary.await.ok().flatten()?;
                #[cfg(feature = "hydrate")]
                if found.points_earned.is_none() && !found.failed {
                    set_timeout(move || summary.refetch(), std::time::Duration::from_secs(2));
                }
                let points = match (found.points_earned, found.failed) {
                    (Some(earned), _) => view! {
                        <p>
                            "Points earned: "<strong data-testid="loyalty-points-earned">{earned}</strong>
                            {found.points_balance.map(|balance| view! {
                                " · new balance: "<strong data-testid="loyalty-new-balance">{balance}</strong>
                            })}
                        </p>
                    }
                    .into_any(),
                    (None, true) => view! { <p class="muted" data-testid="loyalty-points-failed">"Your points could not be recorded; we will look into it."</p> }.into_any(),
                    (None, false) => view! { <p class="muted" data-testid="loyalty-points-pending">"Points: pending"</p> }.into_any(),
                };
                Some(view! {
                    <section class="loyalty-summary" data-testid="order-loyalty">
                        <h2>"Loyalty"</h2>
                        <p>"Member "<code>{found.member_id}</code></p>
                        {points}
                        {(!found.rewards_redeemed.is_empty()).then(|| view! {
                            <p>"Rewards redeemed:"</p>
                            <ul>
                                {found.rewards_redeemed.into_iter().map(|r| view! { <li data-testid="loyalty-redeemed">{r}</li> }).collect_view()}
                            </ul>
                        })}
                    </section>
                })
            })}
        </Transition>
    }
}

#[component]
pub fn LoyaltyMembership() -> impl IntoView {
    let send_code = ServerAction::<SendLinkCode>::new();
    let verify = ServerAction::<VerifyLinkCode>::new();
    let membership = Resource::new(
        move || (send_code.version().get(), verify.version().get()),
        |_| my_membership(),
    );
    let error = move || {
        let failed = |r: Option<Result<(), ServerFnError>>| r.and_then(|r| r.err());
        failed(send_code.value().get())
            .or_else(|| failed(verify.value().get()))
            .map(|e| crate::components::plain_error(&e))
    };
    view! {
        <Transition fallback=|| ()>
            {move || Suspend::new(async move {
                membership.await.ok().flatten().map(|panel| view! {
                    <section class="loyalty-membership" data-testid="loyalty-membership">
                        <h2>"Loyalty membership"</h2>
                        {match panel {
                            MembershipPanel::Linked(m) => view! {
                                <p>
                                    "Member "<code data-testid="membership-id">{m.member_id}</code>
                                    " · "<span data-testid="membership-phone">{m.phone}</span>
                                </p>
                                <p>
                                    "Balance: "
                                    <strong data-testid="membership-balance">
                                        {m.points_balance.map_or_else(|| "not known yet".to_owned(), |b| format!("{b} points"))}
                                    </strong>
                                </p>
                            }
                            .into_any(),
                            MembershipPanel::Unlinked { phone, code_sent_to } => {
                                let send_label = if code_sent_to.is_some() { "Send a new code" } else { "Send code" };
                                view! {
                                <p class="muted">"Link your loyalty membership: we text a code to the member's phone."</p>
                                <ActionForm action=send_code attr:class="inline-form" attr:data-testid="membership-send-code">
                                    <label>"Phone number " <input type="tel" name="phone" autocomplete="tel" value=phone required /></label>
                                    <button type="submit" disabled=move || send_code.pending().get()>
                                        {send_label}
                                    </button>
                                </ActionForm>
                                {code_sent_to.map(|ending| view! {
                                    <p data-testid="membership-code-sent">{format!("We texted a code to the phone ending in {ending}.")}</p>
                                    <ActionForm action=verify attr:class="inline-form" attr:data-testid="membership-verify">
                                        <label>"Code " <input type="text" name="code" inputmode="numeric" autocomplete="one-time-code" pattern="[0-9]{6}" maxlength="6" required /></label>
                                        <button type="submit" disabled=move || verify.pending().get()>"Link membership"</button>
                                    </ActionForm>
                                })}
                                }
                                .into_any()
                            }
                        }}
                    </section>
                })
            })}
        </Transition>
        {move || error().map(|e| view! { <p class="notice error" role="alert" data-testid="membership-error">{e}</p> })}
    }
}
