//! The shopper's account: register, sign in, profile, sign out. Plain forms,
//! so they work before the page hydrates.

use leptos::prelude::*;
use leptos_router::{
    components::{A, Redirect},
    hooks::use_query_map,
};
use serde::{Deserialize, Serialize};

use super::{
    card::{self, CardField, CardScript, FinixCardField, FinixJs, StripeJs},
    checkout::{CardPayment, OrderSummary},
    loyalty_summary::LoyaltyMembership,
    returns::AccountReturns,
};
use crate::components::{ErrorNotice, format_money};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AccountProfile {
    pub email: String,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
}

/// Signs the customer in to the web session and sends the browser on to `destination`.
#[cfg(feature = "ssr")]
async fn start_customer_session(
    id: String,
    generation: i32,
    destination: &str,
) -> Result<(), ServerFnError> {
    use crate::server_context::*;
    let session = session().await?;
    start_signed_in_session(&session, SignIn::Customer { id, generation })
        .await
        .map_err(|e| ServerFnError::new(e.to_string()))?;
    leptos_axum::redirect(destination);
    Ok(())
}

/// Where to go after signing in: a path on this site, else the account.
#[cfg(feature = "ssr")]
fn after_sign_in(next: Option<&str>) -> &str {
    next.and_then(crate::redirects::same_site_path)
        .unwrap_or("/account")
}

#[server(endpoint = "/account/register")]
pub async fn customer_register(
    email: String,
    password: String,
    first_name: String,
    last_name: String,
) -> Result<(), ServerFnError> {
    use domain::{
        DomainError,
        credentials::{Email, Password},
        customers::{self, Profile},
        rate_limits::Rule,
    };

    use crate::server_context::*;
    let ctx = server_context()?;
    admit(Rule::Registration, &email).await?;
    let parsed = Email::parse(&email).and_then(|email| Ok((email, Password::parse(&password)?)));
    let (email, password) = parsed.map_err(to_server_error)?;
    let given = |name: String| Some(name.trim().to_owned()).filter(|n| !n.is_empty());
    let profile = Profile {
        first_name: given(first_name),
        last_name: given(last_name),
        ..Default::default()
    };
    let customer = customers::sign_up(&ctx.db, &email, &password, profile)
        .await
        .map_err(|e| match e {
            DomainError::Conflict(_) => to_server_error(DomainError::Conflict(format!(
                "{email} already has an account; sign in instead"
            ))),
            other => to_server_error(other),
        })?;
    // A new account signs in under its first generation.
    start_customer_session(customer.id, domain::sign_ins::FIRST_GENERATION, "/account").await
}

#[server(endpoint = "/account/login")]
pub async fn customer_login(
    email: String,
    password: String,
    // Where the shopper was going when asked to sign in.
    next: Option<String>,
) -> Result<(), ServerFnError> {
    use domain::{DomainError, customers, rate_limits::Rule};

    use crate::server_context::*;
    let ctx = server_context()?;
    admit(Rule::CustomerSignIn, &email).await?;
    let identity = customers::authenticate(&ctx.db, &email, &password)
        .await
        .map_err(to_server_error)?;
    // An identity registered over the Store API whose customer was never created.
    let customer_id = identity.customer_id.ok_or_else(|| {
        to_server_error(DomainError::Unauthorized(
            "Invalid email or password".into(),
        ))
    })?;
    start_customer_session(
        customer_id,
        identity.sign_in_generation,
        after_sign_in(next.as_deref()),
    )
    .await
}

#[server(endpoint = "/account/logout")]
pub async fn customer_logout() -> Result<(), ServerFnError> {
    use crate::{server_context::session, session_keys};
    let session = session().await?;
    // Only the sign-in goes; the cart stays with the browser.
    session
        .remove::<String>(session_keys::CUSTOMER_ID)
        .await
        .map_err(|e| ServerFnError::new(e.to_string()))?;
    session
        .cycle_id()
        .await
        .map_err(|e| ServerFnError::new(e.to_string()))?;
    leptos_axum::redirect("/account/login");
    Ok(())
}

/// Ends every sign-in of the customer: each token and web session, this
/// browser's included.
#[server(endpoint = "/account/sign-out-everywhere")]
pub async fn customer_sign_out_everywhere() -> Result<(), ServerFnError> {
    use crate::server_context::*;
    let session = session().await?;
    match customer_id(&session).await? {
        Some(id) => {
            let account = domain::sign_ins::Account::Customer(id);
            sign_out_everywhere(&session, &account, "/account/login").await
        }
        None => {
            leptos_axum::redirect("/account/login");
            Ok(())
        }
    }
}

/// The signed-in customer, if anyone.
#[server(endpoint = "/account/me")]
pub async fn current_customer() -> Result<Option<AccountProfile>, ServerFnError> {
    use domain::{DomainError, customers};

    use crate::{server_context::*, session_keys};
    let ctx = server_context()?;
    let session = session().await?;
    let Some(id) = session
        .get::<String>(session_keys::CUSTOMER_ID)
        .await
        .map_err(|e| ServerFnError::new(e.to_string()))?
    else {
        return Ok(None);
    };
    match customers::retrieve(&ctx.db, &id).await {
        Ok(found) => Ok(Some(AccountProfile {
            email: found.customer.email,
            first_name: found.customer.first_name,
            last_name: found.customer.last_name,
        })),
        Err(DomainError::NotFound { .. }) => Ok(None),
        Err(other) => Err(to_server_error(other)),
    }
}

/// The signed-in customer's latest orders and how many they have; none when
/// nobody is signed in.
#[server(endpoint = "/account/orders")]
pub async fn my_orders() -> Result<(Vec<OrderSummary>, u64), ServerFnError> {
    use crate::{server_context::*, session_keys};
    /// How many of their latest orders the account page lists.
    const HISTORY_SIZE: u64 = 20;
    let ctx = server_context()?;
    let session = session().await?;
    let Some(id) = session
        .get::<String>(session_keys::CUSTOMER_ID)
        .await
        .map_err(|e| ServerFnError::new(e.to_string()))?
    else {
        return Ok((Vec::new(), 0));
    };
    let (orders, count) = domain::orders::for_customer(&ctx.db, &id, 0, HISTORY_SIZE)
        .await
        .map_err(to_server_error)?;
    Ok((orders.into_iter().map(OrderSummary::from).collect(), count))
}

/// One deposit credit for a returned container, as the account lists it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DepositCreditRow {
    pub machine: String,
    pub product: String,
    pub quantity: i32,
    pub amount: i64,
    pub currency: String,
    pub credited_at: String,
}

/// The signed-in customer's deposit credits, newest first; none when
/// nobody is signed in.
#[server(endpoint = "/account/deposit-credits")]
pub async fn my_deposit_credits() -> Result<Vec<DepositCreditRow>, ServerFnError> {
    use crate::server_context::*;
    let ctx = server_context()?;
    let Some(id) = customer_id(&session().await?).await? else {
        return Ok(Vec::new());
    };
    let lines = domain::vending::settlement::credit_history(&ctx.db, &id)
        .await
        .map_err(to_server_error)?;
    Ok(lines
        .into_iter()
        .map(|line| DepositCreditRow {
            machine: line.machine,
            product: line.product,
            quantity: line.credit.quantity,
            amount: line.credit.amount,
            currency: line.credit.currency_code,
            credited_at: line
                .credit
                .created_at
                .format("%Y-%m-%d %H:%M UTC")
                .to_string(),
        })
        .collect())
}

/// The signed-in customer's deposit credit not yet paid out, in the store's
/// currency; `None` when nobody is signed in.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DepositBalanceView {
    pub available: i64,
    pub paid_out: i64,
    pub currency: String,
}

#[server(endpoint = "/account/deposit-balance")]
pub async fn my_deposit_balance() -> Result<Option<DepositBalanceView>, ServerFnError> {
    use crate::server_context::*;
    let ctx = server_context()?;
    let Some(id) = customer_id(&session().await?).await? else {
        return Ok(None);
    };
    let balance = domain::vending::payouts::balance(&ctx.db, &id, &ctx.currency)
        .await
        .map_err(to_server_error)?;
    Ok(Some(DepositBalanceView {
        available: balance.available(),
        paid_out: balance.paid_out,
        currency: balance.currency_code,
    }))
}

/// Pays the signed-in customer's deposit credit back to their cards; what
/// was paid, for the page to say.
#[server(endpoint = "/account/deposit-payout")]
pub async fn pay_out_deposits() -> Result<i64, ServerFnError> {
    use crate::server_context::*;
    let ctx = server_context()?;
    let Some(id) = customer_id(&session().await?).await? else {
        leptos_axum::redirect("/account/login?next=/account");
        return Ok(0);
    };
    let payout =
        domain::vending::payouts::pay_out(&ctx.db, &ctx.payment_providers, &id, &ctx.currency)
            .await
            .map_err(to_server_error)?;
    Ok(payout.amount)
}

/// A card the shopper saved, as the account lists it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SavedCardRow {
    pub id: String,
    /// "Visa •••• 4242, expires 12/2034".
    pub description: String,
}

/// The account's saved cards, and how to add one.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SavedCards {
    pub cards: Vec<SavedCardRow>,
    /// The form that adds one; `None` while the provider's script is not configured.
    pub add: Option<CardScript>,
}

/// The signed-in customer's saved cards; `None` when nobody is signed in or
/// the store takes no cards (the test provider).
#[server(endpoint = "/account/cards")]
pub async fn my_saved_cards() -> Result<Option<SavedCards>, ServerFnError> {
    use crate::server_context::*;
    let ctx = server_context()?;
    let Some(customer) = customer_id(&session().await?).await? else {
        return Ok(None);
    };
    let Some(provider) = card::saved_card_provider(&ctx).await? else {
        return Ok(None);
    };
    let cards = domain::payments::account::saved_cards(
        &ctx.db,
        &ctx.payment_providers,
        &provider,
        &customer,
    )
    .await
    .map_err(to_server_error)?;
    let add = ctx
        .payment_providers
        .get(&provider)
        .ok()
        .and_then(|p| card::CardForm::of(p.as_ref()))
        .and_then(|form| ctx.card_scripts.for_form(form));
    Ok(Some(SavedCards {
        cards: cards
            .into_iter()
            .map(|c| SavedCardRow {
                description: card::describe(&c.brand, &c.last4, c.exp_month, c.exp_year),
                id: c.id,
            })
            .collect(),
        add,
    }))
}

/// Who is saving a card, with which provider, under which email.
#[cfg(feature = "ssr")]
struct CardSaver {
    customer: String,
    provider: String,
    email: String,
}

/// The signed-in customer about to save a card; refused when nobody is
/// signed in or the store keeps no cards.
#[cfg(feature = "ssr")]
async fn card_saver(
    ctx: &crate::server_context::ServerContext,
) -> Result<CardSaver, ServerFnError> {
    use crate::server_context::*;
    use domain::DomainError;
    let Some(customer) = customer_id(&session().await?).await? else {
        return Err(to_server_error(DomainError::Unauthorized(
            "sign in first".into(),
        )));
    };
    let provider = card::saved_card_provider(ctx)
        .await?
        .ok_or_else(|| to_server_error(DomainError::Invalid("this store saves no cards".into())))?;
    let email = domain::customers::retrieve(&ctx.db, &customer)
        .await
        .map_err(to_server_error)?
        .customer
        .email;
    Ok(CardSaver {
        customer,
        provider,
        email,
    })
}

/// Starts saving a card: the SetupIntent the card field confirms.
#[server(endpoint = "/account/cards/start")]
pub async fn start_card_setup() -> Result<CardPayment, ServerFnError> {
    use crate::server_context::*;
    let ctx = server_context()?;
    let CardSaver {
        customer,
        provider,
        email,
    } = card_saver(&ctx).await?;
    let setup = domain::payments::account::start_saving_card(
        &ctx.db,
        &ctx.payment_providers,
        &provider,
        &customer,
        Some(email.as_str()),
        &domain::ids::new_id("attempt"),
    )
    .await
    .map_err(to_server_error)?;
    let client_secret = setup["client_secret"]
        .as_str()
        .ok_or_else(|| ServerFnError::new("the payment provider gave no client secret"))?;
    Ok(CardPayment {
        client_secret: client_secret.to_owned(),
    })
}

/// Saves the card Finix.js tokenized in the browser (`TK…`) with the
/// signed-in customer's account at Finix.
#[server(endpoint = "/account/cards/save-token")]
pub async fn save_tokenized_card(token: String) -> Result<(), ServerFnError> {
    use crate::server_context::*;
    let ctx = server_context()?;
    let CardSaver {
        customer,
        provider,
        email,
    } = card_saver(&ctx).await?;
    domain::payments::account::save_card(
        &ctx.db,
        &ctx.payment_providers,
        &provider,
        &customer,
        Some(email.as_str()),
        &token,
    )
    .await
    .map(drop)
    .map_err(to_server_error)
}

/// Removes one of the signed-in customer's saved cards (only theirs: the
/// card must belong to their account at the provider).
#[server(endpoint = "/account/cards/remove")]
pub async fn remove_saved_card(card_id: String) -> Result<(), ServerFnError> {
    use crate::server_context::*;
    use domain::DomainError;
    let ctx = server_context()?;
    let Some(customer) = customer_id(&session().await?).await? else {
        return Err(to_server_error(DomainError::Unauthorized(
            "sign in first".into(),
        )));
    };
    let provider = card::saved_card_provider(&ctx)
        .await?
        .ok_or_else(|| to_server_error(DomainError::not_found("Saved card", &card_id)))?;
    domain::payments::account::remove_saved_card(
        &ctx.db,
        &ctx.payment_providers,
        &provider,
        &customer,
        &card_id,
    )
    .await
    .map_err(to_server_error)
}

/// The message of a form's last failed submission.
pub(crate) fn form_error<T: Clone + Send + Sync + 'static>(
    outcome: MappedSignal<Option<Result<T, ServerFnError>>>,
) -> impl Fn() -> Option<String> + Copy {
    move || {
        outcome
            .get()
            .and_then(|r| r.err())
            .map(|e| crate::components::plain_error(&e))
    }
}

#[component]
pub fn RegisterPage() -> impl IntoView {
    let register = ServerAction::<CustomerRegister>::new();
    let error = form_error(register.value());
    view! {
        <section class="narrow">
            <h1>"Create an account"</h1>
            <ActionForm action=register attr:class="stacked">
                <label>"First name" <input type="text" name="first_name" autocomplete="given-name" /></label>
                <label>"Last name" <input type="text" name="last_name" autocomplete="family-name" /></label>
                <label>"Email" <input type="email" name="email" autocomplete="username" required /></label>
                <label>"Password" <input type="password" name="password" autocomplete="new-password" minlength="8" required /></label>
                <button type="submit" disabled=move || register.pending().get()>"Create account"</button>
            </ActionForm>
            {move || error().map(|e| view! { <p class="notice error" role="alert">{e}</p> })}
            <p>"Already registered? " <A href="/account/login">"Sign in"</A></p>
        </section>
    }
}

#[component]
pub fn AccountLoginPage() -> impl IntoView {
    let login = ServerAction::<CustomerLogin>::new();
    let error = form_error(login.value());
    let query = use_query_map().read_untracked();
    let next = query.get("next");
    let reset = query.get("reset").is_some();
    view! {
        <section class="narrow">
            <h1>"Sign in"</h1>
            <ActionForm action=login attr:class="stacked">
                <label>"Email" <input type="email" name="email" autocomplete="username" required /></label>
                <label>"Password" <input type="password" name="password" autocomplete="current-password" required /></label>
                {next.map(|next| view! { <input type="hidden" name="next" value=next /> })}
                <button type="submit" disabled=move || login.pending().get()>"Sign in"</button>
            </ActionForm>
            {move || error().map(|e| view! { <p class="notice error" role="alert">{e}</p> })}
            {reset.then(|| view! { <p class="notice" role="status">"Your password is changed. Sign in with the new one."</p> })}
            <p>"New here? " <A href="/account/register">"Create an account"</A></p>
            <p><A href="/account/forgot-password">"Forgot your password?"</A></p>
        </section>
    }
}

#[component]
pub fn AccountPage() -> impl IntoView {
    let customer = Resource::new(|| (), |_| current_customer());
    let logout = ServerAction::<CustomerLogout>::new();
    let sign_out_everywhere = ServerAction::<CustomerSignOutEverywhere>::new();
    view! {
        <Transition fallback=|| view! { <p class="loading">"Loading…"</p> }>
            <ErrorBoundary fallback=|errors| view! { <ErrorNotice errors=errors /> }>
                {move || Suspend::new(async move {
                    customer
                        .await
                        .map(|who| match who {
                            None => view! { <Redirect path="/account/login" /> }.into_any(),
                            Some(who) => {
                                let name = [who.first_name, who.last_name].into_iter().flatten().collect::<Vec<_>>().join(" ");
                                view! {
                                    <section class="narrow">
                                        <h1>"Your account"</h1>
                                        <p data-testid="account-name">{name}</p>
                                        <p data-testid="account-email">{who.email}</p>
                                        <ActionForm action=logout attr:class="inline">
                                            <button type="submit">"Sign out"</button>
                                        </ActionForm>
                                        <ActionForm action=sign_out_everywhere attr:class="inline">
                                            <button type="submit">"Sign out everywhere"</button>
                                        </ActionForm>
                                        <LoyaltyMembership />
                                        <SavedCardsSection />
                                        <OrderHistory />
                                        <AccountReturns />
                                        <DepositCredits />
                                    </section>
                                }
                                    .into_any()
                            }
                        })
                })}
            </ErrorBoundary>
        </Transition>
    }
}

#[component]
fn OrderHistory() -> impl IntoView {
    let orders = Resource::new(|| (), |_| my_orders());
    view! {
        <h2>"Your orders"</h2>
        <Transition fallback=|| view! { <p class="loading">"Loading orders…"</p> }>
            <ErrorBoundary fallback=|errors| view! { <ErrorNotice errors=errors /> }>
                {move || Suspend::new(async move {
                    orders.await.map(|(orders, count)| {
                        if orders.is_empty() {
                            return view! { <p class="empty" data-testid="no-orders">"No orders yet. "<A href="/">"Start shopping"</A></p> }.into_any();
                        }
                        let shown = orders.len();
                        view! {
                            <ul class="order-history">
                                {orders
                                    .into_iter()
                                    .map(|o| {
                                        let items = if o.item_count == 1 { "1 item".to_owned() } else { format!("{} items", o.item_count) };
                                        view! {
                                            <li data-testid="account-order">
                                                <a href=format!("/orders/{}", o.id)><code>{o.id.clone()}</code></a>
                                                {format!(" — {} — {items} — {} — ", o.created_at, format_money(o.total, &o.currency))}
                                                <span class=format!("badge {}", o.status)>{o.status.clone()}</span>
                                            </li>
                                        }
                                    })
                                    .collect_view()}
                            </ul>
                            {(count > shown as u64).then(|| view! { <p class="muted">{format!("The latest {shown} of {count} orders.")}</p> })}
                        }
                            .into_any()
                    })
                })}
            </ErrorBoundary>
        </Transition>
    }
}

/// Where the account mounts the card field.
const CARD_ELEMENT: &str = "account-card";

/// The shopper's saved cards (a machine's door opens with the newest), each
/// removable, and a card field to add one (with JavaScript).
#[component]
fn SavedCardsSection() -> impl IntoView {
    let remove = ServerAction::<RemoveSavedCard>::new();
    let removing = form_error(remove.value());
    let (added, set_added) = signal(0u32);
    let cards = Resource::new(
        move || (remove.version().get(), added.get()),
        |_| my_saved_cards(),
    );
    view! {
        <Transition fallback=|| view! { <p class="loading">"Loading saved cards…"</p> }>
            <ErrorBoundary fallback=|errors| view! { <ErrorNotice errors=errors /> }>
                {move || Suspend::new(async move {
                    cards.await.map(|found| found.map(|saved| view! {
                        <h2>"Saved cards"</h2>
                        {if saved.cards.is_empty() {
                            view! { <p class="empty" data-testid="no-saved-cards">"No card saved yet. Save one to open machines with one tap."</p> }.into_any()
                        } else {
                            view! {
                                <ul class="saved-cards">
                                    {saved.cards.into_iter().map(|c| view! {
                                        <li data-testid="saved-card">
                                            <span>{c.description}</span>
                                            <ActionForm action=remove attr:class="inline">
                                                <input type="hidden" name="card_id" value=c.id />
                                                <button type="submit" class="secondary" data-testid="remove-card">"Remove"</button>
                                            </ActionForm>
                                        </li>
                                    }).collect_view()}
                                </ul>
                            }.into_any()
                        }}
                        {move || removing().map(|e| view! { <p class="notice error" role="alert">{e}</p> })}
                        {saved.add.map(|script| {
                            let on_saved = move || set_added.update(|n| *n += 1);
                            match script {
                                CardScript::Stripe(stripe) => view! { <AddCard stripe on_saved /> }.into_any(),
                                CardScript::Finix(finix) => view! { <AddFinixCard finix on_saved /> }.into_any(),
                            }
                        })}
                    }))
                })}
            </ErrorBoundary>
        </Transition>
    }
}

/// The card field and "Save card": a SetupIntent confirmed with Stripe.js
/// (3-D Secure when the bank asks), which saves the card with Stripe.
#[component]
fn AddCard(stripe: StripeJs, on_saved: impl Fn() + Copy + Send + Sync + 'static) -> impl IntoView {
    let (problem, set_problem) = signal(None::<String>);
    let (saving, set_saving) = signal(false);
    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        set_problem.set(None);
        set_saving.set(true);
        leptos::task::spawn_local(async move {
            match start_card_setup().await {
                Err(e) => {
                    set_problem.set(Some(crate::components::plain_error(&e)));
                    set_saving.set(false);
                }
                Ok(setup) => card::confirm_setup(&setup.client_secret, move |answer| {
                    set_saving.set(false);
                    match answer.outcome() {
                        Ok(status) if status == "succeeded" => on_saved(),
                        Ok(_) => set_problem.set(Some(
                            "Your card was not confirmed. Try again, or use another card."
                                .to_owned(),
                        )),
                        Err(message) => set_problem.set(Some(message)),
                    }
                }),
            }
        });
    };
    view! {
        <form class="stacked add-card" on:submit=save>
            <h3>"Add a card"</h3>
            <CardField stripe element_id=CARD_ELEMENT />
            <button type="submit" data-testid="save-card" disabled=move || saving.get()>"Save card"</button>
        </form>
        {move || problem.get().map(|p| view! { <p class="notice error" role="alert" data-testid="save-card-error">{p}</p> })}
    }
}

/// The Finix.js card form and "Save card": the card becomes a token in the
/// browser, which the server saves with Finix.
#[component]
fn AddFinixCard(
    finix: FinixJs,
    on_saved: impl Fn() + Copy + Send + Sync + 'static,
) -> impl IntoView {
    let (problem, set_problem) = signal(None::<String>);
    let (saving, set_saving) = signal(false);
    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        set_problem.set(None);
        set_saving.set(true);
        card::tokenize(move |answer| match card::token_of(answer) {
            Err(message) => {
                set_problem.set(Some(message));
                set_saving.set(false);
            }
            Ok(token) => leptos::task::spawn_local(async move {
                let saved = save_tokenized_card(token).await;
                set_saving.set(false);
                match saved {
                    Ok(()) => on_saved(),
                    Err(e) => set_problem.set(Some(crate::components::plain_error(&e))),
                }
            }),
        });
    };
    view! {
        <form class="stacked add-card" on:submit=save>
            <h3>"Add a card"</h3>
            <FinixCardField finix element_id=CARD_ELEMENT />
            <button type="submit" data-testid="save-card" disabled=move || saving.get()>"Save card"</button>
        </form>
        {move || problem.get().map(|p| view! { <p class="notice error" role="alert" data-testid="save-card-error">{p}</p> })}
    }
}

/// What the shopper was credited for empty containers brought back to a machine.
#[component]
fn DepositCredits() -> impl IntoView {
    let credits = Resource::new(|| (), |_| my_deposit_credits());
    let pay_out = ServerAction::<PayOutDeposits>::new();
    let balance = Resource::new(move || pay_out.version().get(), |_| my_deposit_balance());
    let outcome = move || {
        pay_out.value().get().map(|result| match result {
            Ok(_) => view! {
                <p class="notice" role="status" data-testid="deposit-payout-done">
                    "Paid back to your card. Refunds take a few days to show on your statement."
                </p>
            }
            .into_any(),
            Err(e) => view! {
                <p class="notice error" role="alert" data-testid="deposit-payout-error">
                    {crate::components::plain_error(&e)}
                </p>
            }
            .into_any(),
        })
    };
    view! {
        <h2>"Returned containers"</h2>
        <Transition fallback=|| ()>
            {move || Suspend::new(async move {
                balance.await.ok().flatten().map(|b| view! {
                    <div class="deposit-balance" data-testid="deposit-balance">
                        <p>
                            "Deposit credit: " <strong>{format_money(b.available, &b.currency)}</strong>
                            {(b.paid_out > 0).then(|| format!(" ({} paid back so far)", format_money(b.paid_out, &b.currency)))}
                        </p>
                        {(b.available > 0).then(|| view! {
                            <ActionForm action=pay_out attr:class="inline">
                                <button type="submit" data-testid="deposit-payout" disabled=move || pay_out.pending().get()>
                                    "Pay back to my card"
                                </button>
                            </ActionForm>
                        })}
                    </div>
                })
            })}
        </Transition>
        {outcome}
        <Transition fallback=|| view! { <p class="loading">"Loading deposit credits…"</p> }>
            <ErrorBoundary fallback=|errors| view! { <ErrorNotice errors=errors /> }>
                {move || Suspend::new(async move {
                    credits.await.map(|credits| {
                        if credits.is_empty() {
                            return view! {
                                <p class="empty" data-testid="no-deposit-credits">
                                    "No deposits credited yet. Bring empty containers back to a machine to get their deposit."
                                </p>
                            }.into_any();
                        }
                        view! {
                            <table class="data" data-testid="deposit-credits">
                                <thead><tr><th>"Date"</th><th>"Machine"</th><th>"Product"</th><th>"Containers"</th><th>"Credited"</th></tr></thead>
                                <tbody>
                                    {credits.into_iter().map(|c| view! {
                                        <tr data-testid="deposit-credit-row">
                                            <td>{c.credited_at}</td>
                                            <td>{c.machine}</td>
                                            <td>{c.product}</td>
                                            <td>{c.quantity}</td>
                                            <td>{format_money(c.amount, &c.currency)}</td>
                                        </tr>
                                    }).collect_view()}
                                </tbody>
                            </table>
                        }.into_any()
                    })
                })}
            </ErrorBoundary>
        </Transition>
    }
}

/// "Account" for a signed-in shopper, "Sign in" otherwise.
#[component]
pub fn AccountLink() -> impl IntoView {
    let customer = Resource::new(|| (), |_| current_customer());
    let sign_in = || {
        view! { <A href="/account/login" attr:data-testid="account-link">"Sign in"</A> }.into_any()
    };
    view! {
        <Transition fallback=sign_in>
            {move || Suspend::new(async move {
                match customer.await {
                    Ok(Some(_)) => view! { <A href="/account" attr:data-testid="account-link">"Account"</A> }.into_any(),
                    _ => sign_in(),
                }
            })}
        </Transition>
    }
}
