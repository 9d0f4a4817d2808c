//! Vending machines for shoppers: the list, a page per machine (the address
//! its QR code points to) with "Open the door" and "Return containers", and
//! the session page that follows it live until the receipt or deposit credit.

use leptos::prelude::*;
use leptos_router::{components::A, hooks::use_params_map};
use serde::{Deserialize, Serialize};

use super::account::form_error;
use crate::components::{ErrorNotice, NotFound, format_money};

/// Where the browser follows a purchase session (server-sent events, signed-in shopper).
pub fn session_events_path(session_id: &str) -> String {
    format!("/vending/sessions/{session_id}/events")
}

/// The server-sent event name of a session update (as the server sends it).
pub const SESSION_EVENT: &str = "session";

/// How often the page reloads itself while a session runs, without JavaScript.
const REFRESH_SECS: u32 = 2;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MachineSummary {
    pub id: String,
    pub name: String,
    /// Where the machine stands.
    pub location: Option<String>,
    pub online: bool,
}

impl MachineSummary {
    pub fn href(&self) -> String {
        format!("/machines/{}", self.id)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MachineDetail {
    pub machine: MachineSummary,
    /// The machine page's full address, as printed in its QR code.
    pub url: String,
    pub shelves: Vec<ShelfLine>,
    pub signed_in: bool,
    /// How the door's hold is paid, for a signed-in shopper of a store that
    /// takes cards.
    pub payment: Option<HoldCard>,
}

/// The cards a machine's hold can go on: the shopper's saved ones, newest
/// first (held unless they choose another), or none yet.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum HoldCard {
    Saved(Vec<SavedCardChoice>),
    Missing,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SavedCardChoice {
    /// The provider's id of the card.
    pub id: String,
    /// "Visa •••• 4242, expires 12/2034".
    pub label: String,
}

/// A product a machine holds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ShelfLine {
    pub title: String,
    pub handle: String,
    pub price: Option<i64>,
    pub currency: String,
    pub in_stock: i32,
}

/// A shopper's purchase session as its page shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Purchase {
    pub id: String,
    pub machine_id: String,
    /// `purchase` or `return`.
    pub mode: String,
    pub state: String,
    /// Settled or failed: nothing more will happen.
    pub finished: bool,
    pub code: String,
    pub hold_amount: i64,
    pub currency: String,
    pub failure_reason: Option<String>,
    pub receipt: Option<Receipt>,
    /// Deposits credited for returned containers (a settled return).
    pub credit: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Receipt {
    pub order_id: Option<String>,
    pub lines: Vec<ReceiptLine>,
    pub total_charged: i64,
    /// What of the hold was given back.
    pub released: i64,
    /// The card is still being charged (the capture is asked of the payment
    /// provider after the sale is booked): the page keeps reloading.
    pub charging: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReceiptLine {
    pub title: String,
    pub quantity: i32,
    pub total: i64,
}

#[cfg(feature = "ssr")]
impl From<domain::vending::machines::Machine> for MachineSummary {
    fn from(m: domain::vending::machines::Machine) -> Self {
        Self {
            id: m.device.id,
            name: m.device.name,
            location: m.location.map(|l| l.name),
            online: m.device.online,
        }
    }
}

/// The address the request came to, for the printed machine URL.
#[cfg(feature = "ssr")]
fn site_origin() -> String {
    let parts = use_context::<http::request::Parts>();
    let header = |name: &str| {
        parts
            .as_ref()
            .and_then(|p| p.headers.get(name))
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    let host = header("host").unwrap_or_else(|| "localhost".to_owned());
    let scheme = header("x-forwarded-proto").unwrap_or_else(|| "http".to_owned());
    format!("{scheme}://{host}")
}

#[server(endpoint = "/machines/list")]
pub async fn list_machines() -> Result<Vec<MachineSummary>, ServerFnError> {
    use crate::server_context::*;
    let ctx = server_context()?;
    let machines = domain::vending::machines::list(&ctx.db)
        .await
        .map_err(to_server_error)?;
    // A decommissioned machine opens no more: shoppers are not sent to it.
    Ok(machines
        .into_iter()
        .filter(|m| m.device.decommissioned_at.is_none())
        .map(MachineSummary::from)
        .collect())
}

#[server(endpoint = "/machines/detail")]
pub async fn get_machine(id: String) -> Result<Option<MachineDetail>, ServerFnError> {
    use domain::{DomainError, vending::machines};

    use crate::server_context::*;
    let ctx = server_context()?;
    let machine = match machines::find(&ctx.db, &id).await {
        Ok(machine) => machine,
        Err(DomainError::NotFound { .. }) => return Ok(None),
        Err(e) => return Err(to_server_error(e)),
    };
    let shelves = machines::shelves(&ctx.db, &machine)
        .await
        .map_err(to_server_error)?
        .into_iter()
        .map(|shelf| ShelfLine {
            price: shelf
                .prices
                .iter()
                .find(|(currency, _)| *currency == ctx.currency)
                .map(|(_, amount)| *amount),
            title: shelf.product_title,
            handle: shelf.product_handle,
            currency: ctx.currency.clone(),
            in_stock: shelf.in_stock,
        })
        .collect();
    let customer = customer_id(&session().await?).await?;
    let payment = match (&customer, super::card::saved_card_provider(&ctx).await?) {
        (Some(customer), Some(provider)) => {
            let cards: Vec<SavedCardChoice> = domain::payments::account::saved_cards(
                &ctx.db,
                &ctx.payment_providers,
                &provider,
                customer,
            )
            .await
            .map_err(to_server_error)?
            .into_iter()
            .map(|c| SavedCardChoice {
                label: super::card::describe(&c.brand, &c.last4, c.exp_month, c.exp_year),
                id: c.id,
            })
            .collect();
            Some(if cards.is_empty() {
                HoldCard::Missing
            } else {
                HoldCard::Saved(cards)
            })
        }
        _ => None,
    };
    let signed_in = customer.is_some();
    let machine = MachineSummary::from(machine);
    Ok(Some(MachineDetail {
        url: format!("{}{}", site_origin(), machine.href()),
        machine,
        shelves,
        signed_in,
        payment,
    }))
}

/// Holds the payment and opens the machine, then shows the purchase; a
/// shopper who is not signed in signs in first and comes back.
/// `card_id` is the saved card the shopper chose (their newest when absent).
#[server(endpoint = "/machines/open")]
pub async fn open_machine(
    machine_id: String,
    #[server(default)] card_id: Option<String>,
) -> Result<(), ServerFnError> {
    use crate::server_context::*;
    let ctx = server_context()?;
    let Some(customer) = customer_id(&session().await?).await? else {
        leptos_axum::redirect(&format!("/account/login?next=/machines/{machine_id}"));
        return Ok(());
    };
    admit(domain::rate_limits::Rule::MachineOpening, &customer).await?;
    let session = ctx
        .machines
        .open_purchase(
            machine_id.clone(),
            customer,
            card_id.filter(|c| !c.is_empty()),
        )
        .await
        .map_err(to_server_error)?;
    leptos_axum::redirect(&format!("/machines/{machine_id}/sessions/{}", session.id));
    Ok(())
}

/// Opens the machine for the shopper's empty containers, then shows the
/// return; a shopper who is not signed in signs in first and comes back.
#[server(endpoint = "/machines/return")]
pub async fn return_containers(machine_id: String) -> Result<(), ServerFnError> {
    use crate::server_context::*;
    let ctx = server_context()?;
    let Some(customer) = customer_id(&session().await?).await? else {
        leptos_axum::redirect(&format!("/account/login?next=/machines/{machine_id}"));
        return Ok(());
    };
    admit(domain::rate_limits::Rule::MachineOpening, &customer).await?;
    let session = ctx
        .machines
        .open_return(machine_id.clone(), customer)
        .await
        .map_err(to_server_error)?;
    leptos_axum::redirect(&format!("/machines/{machine_id}/sessions/{}", session.id));
    Ok(())
}

/// One of the signed-in shopper's own sessions; `None` for anyone else's.
#[server(endpoint = "/machines/purchase")]
pub async fn get_purchase(session_id: String) -> Result<Option<Purchase>, ServerFnError> {
    use domain::{
        DomainError, orders, payments,
        vending::{
            sessions,
            state::{Mode, State},
        },
    };

    use crate::server_context::*;
    let ctx = server_context()?;
    let Some(customer) = customer_id(&session().await?).await? else {
        return Ok(None);
    };
    let session = match sessions::find(&ctx.db, &session_id).await {
        Ok(found) if found.customer_id.as_deref() == Some(customer.as_str()) => found,
        Ok(_) | Err(DomainError::NotFound { .. }) => return Ok(None),
        Err(e) => return Err(to_server_error(e)),
    };
    let state = session.state;
    let receipt = if state == State::Settled && session.mode != Mode::Return {
        let lines = match &session.order_id {
            Some(order_id) => orders::find(&ctx.db, order_id)
                .await
                .map_err(to_server_error)?
                .items
                .into_iter()
                .map(|item| ReceiptLine {
                    title: item.title,
                    quantity: item.quantity,
                    total: item.total,
                })
                .collect(),
            None => Vec::new(),
        };
        let (total_charged, charging) = match &session.payment_id {
            Some(payment_id) => (
                payments::find_payment(&ctx.db, payment_id)
                    .await
                    .map_err(to_server_error)?
                    .captured_amount,
                payments::operations::has_pending(&ctx.db, payment_id)
                    .await
                    .map_err(to_server_error)?,
            ),
            None => (0, false),
        };
        Some(Receipt {
            order_id: session.order_id.clone(),
            lines,
            total_charged,
            released: session.hold_amount - total_charged,
            charging,
        })
    } else {
        None
    };
    Ok(Some(Purchase {
        finished: state.is_final() && !receipt.as_ref().is_some_and(|r| r.charging),
        id: session.id,
        machine_id: session.device_id,
        state: session.state.to_string(),
        code: session.code,
        hold_amount: session.hold_amount,
        currency: session.currency_code,
        failure_reason: session.failure_reason,
        receipt,
        credit: session.credit_amount,
        mode: session.mode.to_string(),
    }))
}

fn status_label(online: bool) -> &'static str {
    if online { "online" } else { "offline" }
}

/// `/machines`: every machine with its place and status.
#[component]
pub fn MachinesPage() -> impl IntoView {
    let machines = Resource::new(|| (), |_| list_machines());
    view! {
        <h1>"Machines near you"</h1>
        <Transition fallback=|| view! { <p class="loading">"Loading machines…"</p> }>
            <ErrorBoundary fallback=|errors| view! { <ErrorNotice errors=errors /> }>
                {move || Suspend::new(async move {
                    machines.await.map(|machines| view! {
                        <ul class="machines">
                            {machines
                                .into_iter()
                                .map(|m| view! {
                                    <li data-testid="machine">
                                        <a href=m.href()>{m.name.clone()}</a>
                                        {m.location.clone().map(|l| format!(" — {l}"))}
                                        " "
                                        <span class=format!("badge {}", status_label(m.online))>{status_label(m.online)}</span>
                                    </li>
                                })
                                .collect_view()}
                        </ul>
                    })
                })}
            </ErrorBoundary>
        </Transition>
    }
}

/// `/machines/:id`: the page a machine's QR code opens.
#[component]
pub fn MachinePage() -> impl IntoView {
    let params = use_params_map();
    let machine = Resource::new(
        move || params.read().get("id").unwrap_or_default(),
        get_machine,
    );
    view! {
        <Transition fallback=|| view! { <p class="loading">"Loading…"</p> }>
            <ErrorBoundary fallback=|errors| view! { <ErrorNotice errors=errors /> }>
                {move || Suspend::new(async move {
                    machine.await.map(|found| match found {
                        Some(detail) => view! { <MachineDetailView detail /> }.into_any(),
                        None => view! { <NotFound /> }.into_any(),
                    })
                })}
            </ErrorBoundary>
        </Transition>
    }
}

#[component]
fn MachineDetailView(detail: MachineDetail) -> impl IntoView {
    let open = ServerAction::<OpenMachine>::new();
    let error = form_error(open.value());
    let give_back = ServerAction::<ReturnContainers>::new();
    let return_error = form_error(give_back.value());
    let MachineDetail {
        machine,
        url,
        shelves,
        signed_in,
        payment,
    } = detail;
    let status = status_label(machine.online);
    let machine_id = machine.id.clone();
    // With several saved cards, the open form asks which one to hold.
    let choices = match &payment {
        Some(HoldCard::Saved(cards)) if cards.len() > 1 => Some(cards.clone()),
        _ => None,
    };
    view! {
        <article class="machine">
            <p><a href="/machines">"← All machines"</a></p>
            <h1>{machine.name.clone()}</h1>
            {machine.location.clone().map(|l| view! { <p class="machine-location">{l}</p> })}
            <p>
                <span class=format!("badge {status}") data-testid="machine-status">{status}</span>
            </p>
            <p class="machine-url">"On the machine's QR code: " <code data-testid="machine-url">{url}</code></p>
            <h2>"In this machine"</h2>
            {if shelves.is_empty() {
                view! { <p class="empty">"Nothing stocked yet."</p> }.into_any()
            } else {
                view! {
                    <ul class="machine-stock">
                        {shelves
                            .into_iter()
                            .map(|s| {
                                let price = s.price.map_or_else(|| "Price on request".to_owned(), |p| format_money(p, &s.currency));
                                view! {
                                    <li data-testid="machine-product">
                                        <a href=format!("/products/{}", s.handle)>{s.title}</a>
                                        {format!(" — {price} — {} left", s.in_stock)}
                                    </li>
                                }
                            })
                            .collect_view()}
                    </ul>
                }
                    .into_any()
            }}
            <ActionForm action=open attr:class="inline">
                <input type="hidden" name="machine_id" value=machine.id.clone() />
                {choices.map(|cards| view! { <CardChoice cards /> })}
                <button type="submit" data-testid="open-door" disabled=move || open.pending().get()>
                    "Open the door"
                </button>
            </ActionForm>
            {payment.map(|payment| match payment {
                HoldCard::Saved(cards) if cards.len() > 1 => view! {
                    <p class="muted" data-testid="hold-card">"Held on the card you choose until you close the door."</p>
                }.into_any(),
                HoldCard::Saved(cards) => view! {
                    <p class="muted" data-testid="hold-card">
                        {format!("Held on your {} until you close the door.", cards.first().map_or("", |c| c.label.as_str()))}
                    </p>
                }.into_any(),
                HoldCard::Missing => view! {
                    <p class="notice" data-testid="hold-card-missing">
                        "Save a card in "<a href="/account">"your account"</a>" first: the door opens with one tap after that."
                    </p>
                }.into_any(),
            })}
            {(!signed_in).then(|| view! { <p class="muted">"You will be asked to sign in first; the payment is held until you close the door."</p> })}
            {move || error().map(|e| view! { <p class="notice error" role="alert">{e}</p> })}
            {signed_in.then(|| view! {
                <ActionForm action=give_back attr:class="inline">
                    <input type="hidden" name="machine_id" value=machine_id />
                    <button type="submit" data-testid="return-containers" disabled=move || give_back.pending().get()>
                        "Return containers"
                    </button>
                </ActionForm>
                <p class="muted">"Put your empty containers on the shelf; their deposit is credited to your account."</p>
            })}
            {move || return_error().map(|e| view! { <p class="notice error" role="alert">{e}</p> })}
        </article>
    }
}

/// The shopper's saved cards as choices for the hold, the newest chosen:
/// part of the open form, so the choice travels with it without JavaScript.
#[component]
fn CardChoice(cards: Vec<SavedCardChoice>) -> impl IntoView {
    view! {
        <fieldset class="card-choice" data-testid="hold-card-choice">
            <legend>"Hold the payment on"</legend>
            {cards
                .into_iter()
                .enumerate()
                .map(|(i, card)| view! {
                    <label>
                        <input type="radio" name="card_id" value=card.id checked=i == 0 />
                        " "{card.label}
                    </label>
                })
                .collect_view()}
        </fieldset>
    }
}

/// `/machines/:id/sessions/:session_id`: one purchase, live until the receipt.
#[component]
pub fn PurchasePage() -> impl IntoView {
    let params = use_params_map();
    let session_id = move || params.read().get("session_id").unwrap_or_default();
    let purchase = Resource::new(session_id, get_purchase);
    follow_session(session_id, purchase);
    refetch_while_charging(purchase);
    view! {
        <Transition fallback=|| view! { <p class="loading">"Loading…"</p> }>
            <ErrorBoundary fallback=|errors| view! { <ErrorNotice errors=errors /> }>
                {move || Suspend::new(async move {
                    purchase.await.map(|found| match found {
                        Some(purchase) => view! { <PurchaseView purchase /> }.into_any(),
                        None => view! { <NotFound /> }.into_any(),
                    })
                })}
            </ErrorBoundary>
        </Transition>
    }
}

/// After hydration, reloads the purchase on every session update the server
/// sends, and stops listening once the session is over.
fn follow_session(
    session_id: impl Fn() -> String + Send + Sync + 'static,
    purchase: Resource<Result<Option<Purchase>, ServerFnError>>,
) {
    #[cfg(feature = "hydrate")]
    Effect::new(move |_| {
        use send_wrapper::SendWrapper;
        use wasm_bindgen::{JsCast, closure::Closure};

        let Ok(source) = web_sys::EventSource::new(&session_events_path(&session_id())) else {
            leptos::logging::warn!("live purchase updates unavailable: EventSource failed");
            return;
        };
        let listening = source.clone();
        let on_update =
            Closure::<dyn Fn(web_sys::MessageEvent)>::new(move |event: web_sys::MessageEvent| {
                purchase.refetch();
                let finished = event
                    .data()
                    .as_string()
                    .and_then(|data| serde_json::from_str::<serde_json::Value>(&data).ok())
                    .and_then(|update| update["session"]["state"].as_str().map(str::to_owned))
                    .is_some_and(|state| state == "settled" || state == "failed");
                // The stream ends with the session; the browser would reconnect.
                if finished {
                    listening.close();
                }
            });
        let _ = source
            .add_event_listener_with_callback(SESSION_EVENT, on_update.as_ref().unchecked_ref());
        let guard = SendWrapper::new((source, on_update));
        on_cleanup(move || guard.0.close());
    });
    #[cfg(not(feature = "hydrate"))]
    let _ = (session_id, purchase);
}

/// A sale is on the books a moment before its card is charged (the capture
/// is asked of the provider after the commit), and the live stream ends with
/// the session: while the receipt says "charging", ask again every second.
fn refetch_while_charging(purchase: Resource<Result<Option<Purchase>, ServerFnError>>) {
    #[cfg(feature = "hydrate")]
    Effect::new(move |_| {
        let charging = purchase
            .get()
            .and_then(Result::ok)
            .flatten()
            .and_then(|p| p.receipt)
            .is_some_and(|r| r.charging);
        if charging {
            set_timeout(
                move || purchase.refetch(),
                std::time::Duration::from_secs(1),
            );
        }
    });
    #[cfg(not(feature = "hydrate"))]
    let _ = purchase;
}

/// What each state means to the shopper.
fn state_message(mode: &str, state: &str) -> &'static str {
    match (mode, state) {
        ("return", "door_open") => {
            "The door is open: put your empty containers on the shelf, then close it."
        }
        ("return", "door_closed") => "Door closed: weighing what you returned…",
        ("return", "failed") => "This return failed.",
        _ => purchase_state_message(state),
    }
}

fn purchase_state_message(state: &str) -> &'static str {
    match state {
        "requested" => "Opening the machine…",
        "door_open" => "The door is open: take what you like, then close it.",
        "door_closed" => "Door closed: weighing what you took…",
        "settled" => "Done. Thank you!",
        "failed" => "This purchase failed.",
        "expired" => "The machine has not reported the door closing yet.",
        _ => "Waiting for the machine…",
    }
}

#[component]
fn PurchaseView(purchase: Purchase) -> impl IntoView {
    let money = {
        let currency = purchase.currency.clone();
        move |amount: i64| format_money(amount, &currency)
    };
    let returning = purchase.mode == "return";
    view! {
        <article class="purchase" data-state=purchase.state.clone()>
            // Without JavaScript the page reloads itself until the session ends.
            // As markup, not an element: a <meta> the client renders into the
            // <noscript> (after the hydrated open-door redirect) would be live
            // and reload the page mid-navigation, swallowing the next click.
            {(!purchase.finished).then(|| view! {
                <noscript inner_html=format!(r#"<meta http-equiv="refresh" content="{REFRESH_SECS}">"#) />
            })}
            <p><a href=format!("/machines/{}", purchase.machine_id)>"← Back to the machine"</a></p>
            <h1>{if returning { "Your return" } else { "Your purchase" }}</h1>
            <p class="purchase-state" data-testid="purchase-state" data-state=purchase.state.clone()>
                {state_message(&purchase.mode, &purchase.state)}
            </p>
            {if returning {
                view! { <p class="muted">{format!("Code {}", purchase.code)}</p> }.into_any()
            } else {
                view! {
                    <p class="muted">
                        {format!("Code {} — {} held until the door closes.", purchase.code, money(purchase.hold_amount))}
                    </p>
                }
                    .into_any()
            }}
            {purchase.failure_reason.clone().map(|reason| view! {
                <p class="notice error" role="alert">{reason}</p>
            })}
            {(returning && purchase.state == "settled").then(|| view! {
                <p data-testid="deposit-credit">
                    {match purchase.credit {
                        Some(credit) => format!("Deposit credited: {}", money(credit)),
                        None => "No returned container was recognized; nothing was credited.".to_owned(),
                    }}
                </p>
            })}
            {(!returning && purchase.state == "failed").then(|| view! {
                <p data-testid="hold-released">{format!("The hold of {} was released.", money(purchase.hold_amount))}</p>
            })}
            {purchase.receipt.clone().map(|receipt| view! { <ReceiptView receipt money=money.clone() /> })}
        </article>
    }
}

#[component]
fn ReceiptView(receipt: Receipt, money: impl Fn(i64) -> String + Clone + 'static) -> impl IntoView {
    let due: i64 = receipt.lines.iter().map(|line| line.total).sum();
    view! {
        <section class="receipt" data-testid="receipt">
            <h2>"Receipt"</h2>
            {if receipt.lines.is_empty() {
                view! { <p class="empty">"You took nothing; nothing was charged."</p> }.into_any()
            } else {
                let line_money = money.clone();
                view! {
                    <table>
                        <tbody>
                            {receipt
                                .lines
                                .into_iter()
                                .map(|line| view! {
                                    <tr data-testid="receipt-line">
                                        <td>{line.title}</td>
                                        <td>{format!("× {}", line.quantity)}</td>
                                        <td class="amount">{line_money(line.total)}</td>
                                    </tr>
                                })
                                .collect_view()}
                        </tbody>
                    </table>
                }
                    .into_any()
            }}
            {if receipt.charging {
                view! {
                    <p data-testid="receipt-charging">{format!("Charging your card: {}…", money(due))}</p>
                }
                    .into_any()
            } else {
                view! {
                    <p data-testid="receipt-total">{format!("Total charged: {}", money(receipt.total_charged))}</p>
                    <p data-testid="hold-released">{format!("Hold released: {}", money(receipt.released))}</p>
                }
                    .into_any()
            }}
            {receipt.order_id.map(|id| view! {
                <p>"Order " <a href=format!("/orders/{id}")><code>{id.clone()}</code></a> " — also in "<A href="/account">"your account"</A></p>
            })}
        </section>
    }
}
