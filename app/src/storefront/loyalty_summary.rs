//! Loyalty after the checkout: what an order earned (on its confirmation)
//! and the shopper's linked membership (on their account page).

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OrderLoyaltyView {
    pub member_id: String,
    /// `None` until the host confirmed the order (finalize).
    pub points_earned: Option<i64>,
    pub points_balance: i64,
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

/// The signed-in customer's linked membership, if any.
#[server(endpoint = "/loyalty/membership")]
pub async fn my_membership() -> Result<Option<MembershipView>, ServerFnError> {
    use crate::server_context::*;
    let ctx = server_context()?;
    let Some(customer_id) = customer_id(&session().await?).await? else {
        return Ok(None);
    };
    let link = domain::loyalty::linked_membership(&ctx.db, &customer_id)
        .await
        .map_err(to_server_error)?;
    Ok(link.map(|l| MembershipView {
        member_id: l.membership_id,
        phone: l.phone,
        points_balance: l.points_balance,
    }))
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
                            " · new balance: "<strong data-testid="loyalty-new-balance">{found.points_balance}</strong>
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
    let membership = Resource::new(|| (), |_| my_membership());
    view! {
        <Transition fallback=|| ()>
            {move || Suspend::new(async move {
                membership.await.ok().flatten().map(|m| view! {
                    <section class="loyalty-membership" data-testid="loyalty-membership">
                        <h2>"Loyalty membership"</h2>
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
                    </section>
                })
            })}
        </Transition>
    }
}
