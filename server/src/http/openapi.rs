//! `GET /openapi.json`: our own OpenAPI 3.1 document of the Store, auth and
//! Admin APIs. Written here by hand, next to the routes it describes; the
//! `openapi` API test fails when a route the router registers is missing
//! here (or one listed here is gone) and when an answer no longer matches
//! the schema of its main object.

use std::sync::LazyLock;

use axum::{
    body::Bytes,
    http::{HeaderValue, header::CONTENT_TYPE},
    response::{IntoResponse, Response},
};
use serde_json::{Map, Value, json};

pub const PATH: &str = "/openapi.json";

pub async fn serve() -> Response {
    static DOCUMENT: LazyLock<Bytes> =
        LazyLock::new(|| Bytes::from(serde_json::to_vec(&document()).unwrap_or_default()));
    let mut response = DOCUMENT.clone().into_response();
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    response
}

/// How a route answers with success.
#[derive(Clone, Copy)]
enum Answer {
    /// `{ key: Schema }`, Medusa's single resource.
    One(&'static str, &'static str),
    /// `{ key: [Schema], count, offset, limit }`, Medusa's list.
    List(&'static str, &'static str),
    /// The schema itself is the body.
    Body(&'static str),
    /// `{ id, object, deleted }`, with the changed parent when named.
    Deleted(Option<&'static str>),
    /// A server-sent event stream.
    Events,
    /// An SVG image.
    Svg,
    /// A CSV file, header row first.
    Csv,
    /// 201 without a body.
    Created,
    /// A JSON object not described further (Admin API).
    Object,
}

/// Who may call a route.
#[derive(Clone, Copy, PartialEq)]
enum Access {
    /// The Store API: a publishable key, optionally a customer.
    Store,
    /// A signed-in customer with a publishable key.
    Customer,
    /// Anyone.
    Public,
    /// A bearer token, for `/auth/session`.
    Token,
    /// An admin user.
    Admin,
}

struct Operation {
    method: &'static str,
    path: &'static str,
    summary: &'static str,
    access: Access,
    body: Option<&'static str>,
    answer: Answer,
}

/// The body of the upload routes, sent as `multipart/form-data`.
const FILE_UPLOAD: &str = "FileUpload";

const fn op(
    method: &'static str,
    path: &'static str,
    summary: &'static str,
    access: Access,
    body: Option<&'static str>,
    answer: Answer,
) -> Operation {
    Operation {
        method,
        path,
        summary,
        access,
        body,
        answer,
    }
}

use Access::{Admin, Customer, Public, Store, Token};
use Answer::{Body, Created, Csv, Deleted, Events, List, Object, One, Svg};

/// Every route of `/store`, `/auth` and `/admin` the server registers.
#[rustfmt::skip]
const OPERATIONS: &[Operation] = &[
    // Store: catalog.
    op("get", "/store/products", "List published products (q: words found by the search index, typos forgiven, best match first; order: created_at, updated_at, title, price, each with - for descending (price in region_id or currency_code); category_id, collection_id, region_id, currency_code, fields, offset, limit)", Store, None, List("products", "StoreProduct")),
    op("get", "/store/products/search-suggestions", "Suggest published products whose title words start as typed, typos forgiven (q, limit: at most 10, sales_channel_id)", Store, None, Body("StoreProductSuggestionList")),
    op("get", "/store/products/{id}", "Retrieve a product by id or handle", Store, None, One("product", "StoreProduct")),
    op("get", "/store/product-categories", "List product categories", Store, None, List("product_categories", "StoreProductCategory")),
    op("get", "/store/product-categories/{id}", "Retrieve a product category", Store, None, One("product_category", "StoreProductCategory")),
    op("get", "/store/collections", "List collections", Store, None, List("collections", "StoreCollection")),
    op("get", "/store/collections/{id}", "Retrieve a collection", Store, None, One("collection", "StoreCollection")),
    op("get", "/store/regions", "List regions", Store, None, List("regions", "StoreRegion")),
    op("get", "/store/return-reasons", "List the reasons a shopper can give for a return", Store, None, List("return_reasons", "ReturnReason")),
    op("get", "/store/return-reasons/{id}", "Retrieve a return reason", Store, None, One("return_reason", "ReturnReason")),
    op("get", "/store/regions/{id}", "Retrieve a region", Store, None, One("region", "StoreRegion")),
    op("get", "/store/currencies", "List the currencies of the store's regions", Store, None, List("currencies", "StoreCurrency")),
    op("get", "/store/currencies/{code}", "Retrieve a currency", Store, None, One("currency", "StoreCurrency")),
    // Store: customers.
    op("post", "/store/customers", "Create the customer of a registration token", Token, Some("CreateCustomer"), One("customer", "StoreCustomer")),
    op("get", "/store/customers/me", "Retrieve the signed-in customer", Customer, None, One("customer", "StoreCustomer")),
    op("post", "/store/customers/me", "Update the signed-in customer", Customer, Some("UpdateCustomer"), One("customer", "StoreCustomer")),
    op("get", "/store/customers/me/payment-methods/{provider_id}", "List the customer's saved cards at a payment provider (newest first; none before one is saved)", Customer, None, Body("StorePaymentMethodList")),
    op("delete", "/store/customers/me/payment-methods/{provider_id}/{payment_method_id}", "Remove one of the customer's saved cards (another customer's is not found)", Customer, None, Deleted(None)),
    op("post", "/store/customers/me/payment-methods/{provider_id}", "Start saving a card with a payment provider for payments without the shopper (Stripe: a SetupIntent's client_secret for Stripe.js)", Customer, None, Object),
    op("post", "/store/customers/me/sign-out-everywhere", "End every sign-in of the customer (each token and web session, this one too)", Customer, None, Object),
    op("get", "/store/customers/me/addresses", "List the customer's addresses", Customer, None, List("addresses", "StoreCustomerAddress")),
    op("post", "/store/customers/me/addresses", "Add an address", Customer, Some("CustomerAddressInput"), One("customer", "StoreCustomer")),
    op("get", "/store/customers/me/addresses/{address_id}", "Retrieve an address", Customer, None, One("address", "StoreCustomerAddress")),
    op("post", "/store/customers/me/addresses/{address_id}", "Update an address", Customer, Some("CustomerAddressInput"), One("customer", "StoreCustomer")),
    op("delete", "/store/customers/me/addresses/{address_id}", "Delete an address", Customer, None, Deleted(Some("StoreCustomer"))),
    // Store: carts and checkout.
    op("post", "/store/carts", "Create a cart in one of the key's sales channels", Store, Some("CreateCart"), One("cart", "StoreCart")),
    op("get", "/store/carts/{id}", "Retrieve a cart", Store, None, One("cart", "StoreCart")),
    op("post", "/store/carts/{id}", "Update a cart", Store, Some("UpdateCart"), One("cart", "StoreCart")),
    op("post", "/store/carts/{id}/line-items", "Add a line item", Store, Some("AddLineItem"), One("cart", "StoreCart")),
    op("post", "/store/carts/{id}/line-items/{line_id}", "Change a line item's quantity", Store, Some("UpdateLineItem"), One("cart", "StoreCart")),
    op("delete", "/store/carts/{id}/line-items/{line_id}", "Remove a line item", Store, None, Deleted(Some("StoreCart"))),
    op("post", "/store/carts/{id}/promotions", "Apply promotion codes", Store, Some("PromoCodes"), One("cart", "StoreCart")),
    op("delete", "/store/carts/{id}/promotions", "Remove promotion codes", Store, Some("PromoCodes"), One("cart", "StoreCart")),
    op("post", "/store/carts/{id}/customer", "Transfer a guest cart to the signed-in customer", Customer, None, One("cart", "StoreCart")),
    op("post", "/store/carts/{id}/taxes", "Calculate the cart's taxes", Store, None, One("cart", "StoreCart")),
    op("post", "/store/carts/{id}/shipping-methods", "Choose a shipping option", Store, Some("AddShippingMethod"), One("cart", "StoreCart")),
    op("post", "/store/carts/{id}/complete", "Complete the cart into an order (send an Idempotency-Key to make repeats safe)", Store, None, Body("StoreCompleteCartResponse")),
    op("get", "/store/shipping-options", "List the shipping options for a cart (cart_id)", Store, None, Body("StoreShippingOptionList")),
    op("get", "/store/payment-providers", "List payment providers of a region (region_id)", Store, None, List("payment_providers", "StorePaymentProvider")),
    op("post", "/store/payment-collections", "Create or refresh the cart's payment collection", Store, Some("CreatePaymentCollection"), One("payment_collection", "StorePaymentCollection")),
    op("post", "/store/payment-collections/{id}/payment-sessions", "Start a payment session with a provider", Store, Some("InitializePaymentSession"), One("payment_collection", "StorePaymentCollection")),
    // Store: orders.
    op("get", "/store/orders", "List the signed-in customer's orders", Customer, None, List("orders", "StoreOrder")),
    op("get", "/store/orders/{id}", "Retrieve an order", Store, None, One("order", "StoreOrder")),
    op("post", "/store/returns", "Ask to return items of one of the signed-in customer's sent orders", Customer, Some("CreateReturn"), One("return", "Return")),
    op("post", "/store/return", "Ask to return items (the same as POST /store/returns)", Customer, Some("CreateReturn"), One("return", "Return")),
    op("get", "/store/returns", "List the signed-in customer's returns (order_id filters)", Customer, None, List("returns", "Return")),
    op("get", "/store/returns/{id}", "Retrieve one of the signed-in customer's returns", Customer, None, One("return", "Return")),
    // Store: loyalty and vending (not Medusa's).
    op("post", "/store/loyalty/identify", "Identify the cart's loyalty member by phone", Store, Some("LoyaltyIdentify"), Object),
    op("post", "/store/loyalty/code", "Text a one-time code to the identified phone (needed to redeem points)", Store, Some("LoyaltyCart"), Object),
    op("post", "/store/loyalty/verify", "Verify the phone with its code: the balance shows and points may be redeemed", Store, Some("LoyaltyVerify"), Object),
    op("post", "/store/customers/me/loyalty/code", "Text a one-time code to a member's phone, to link the account", Customer, Some("LoyaltyPhone"), Object),
    op("post", "/store/customers/me/loyalty/verify", "Link the account to the membership with the code", Customer, Some("LoyaltyCode"), Object),
    op("post", "/store/loyalty/rewards", "Calculate the member's rewards for the cart", Store, Some("LoyaltyCart"), Object),
    op("post", "/store/loyalty/rewards/select", "Select or unselect a reward", Store, Some("LoyaltySelect"), Object),
    op("post", "/store/vending/machines/{device_id}/sessions", "Open a vending machine for a purchase, holding one of the shopper's saved cards (card_id; their newest when left out)", Customer, Some("OpenMachine"), Object),
    op("post", "/store/vending/machines/{device_id}/returns", "Open a vending machine to return deposit containers", Customer, None, Object),
    op("get", "/store/vending/deposit-credits", "List the deposits credited to the signed-in customer", Customer, None, Object),
    op("get", "/store/vending/deposit-payouts", "The signed-in customer's deposit balance and payouts to their cards", Customer, None, Object),
    op("post", "/store/vending/deposit-payouts", "Pay the signed-in customer's deposit credit back to their cards", Customer, None, Object),
    op("get", "/store/vending/sessions/{id}", "Retrieve a vending session", Customer, None, Object),
    op("get", "/store/vending/sessions/{id}/events", "Follow a vending session", Customer, None, Events),
    // Auth.
    op("post", "/auth/customer/emailpass/register", "Register a customer identity; returns a registration token", Public, Some("EmailPass"), Body("AuthToken")),
    op("post", "/auth/customer/emailpass", "Sign a customer in; returns a token", Public, Some("EmailPass"), Body("AuthToken")),
    op("post", "/auth/customer/emailpass/reset-password", "Email a password reset link (201 whether or not the account exists)", Public, Some("ResetPasswordRequest"), Created),
    op("post", "/auth/customer/emailpass/update", "Set a new password with the reset token (?token= or bearer)", Token, Some("EmailPass"), Object),
    op("post", "/auth/token/refresh", "Trade a valid token for a fresh one", Token, None, Body("AuthToken")),
    op("post", "/auth/user/emailpass", "Sign an admin user in; returns a token", Public, Some("EmailPass"), Body("AuthToken")),
    op("post", "/auth/session", "Trade a token for a session cookie", Token, None, Object),
    op("delete", "/auth/session", "End the session", Public, None, Object),
    // Admin.
    op("get", "/admin/users/me", "The signed-in admin user", Admin, None, Object),
    op("post", "/admin/users/me/sign-out-everywhere", "End every sign-in of the admin user (each token and dashboard session, this one too)", Admin, None, Object),
    op("get", "/admin/users", "List admin users with their roles (owners only)", Admin, None, Object),
    op("get", "/admin/users/{id}", "Retrieve an admin user (owners only)", Admin, None, Object),
    op("post", "/admin/users/{id}", "Update an admin user: first_name, last_name, role (owner|operator|technician), disabled (owners only; not one's own role or account, not the last owner)", Admin, None, Object),
    op("delete", "/admin/users/{id}", "Delete an admin user (owners only; not oneself, not the last owner)", Admin, None, Deleted(None)),
    op("get", "/admin/invites", "List invites (owners only)", Admin, None, Object),
    op("post", "/admin/invites", "Invite an email with a role (default technician); the link is mailed, valid 7 days (owners only)", Admin, None, Object),
    op("get", "/admin/invites/{id}", "Retrieve an invite (owners only)", Admin, None, Object),
    op("delete", "/admin/invites/{id}", "Withdraw an invite (owners only)", Admin, None, Deleted(None)),
    op("post", "/admin/invites/{id}/resend", "Mail an invite again with a new link, valid 7 more days (owners only)", Admin, None, Object),
    op("post", "/admin/invites/accept", "Accept an invite with its mailed token (?token=): creates the admin user (first_name, last_name, password)", Public, None, Object),
    op("get", "/admin/api/device-events", "Live device status changes", Admin, None, Events),
    op("get", "/admin/overview", "The overview's figures: revenue today, 7 and 30 days per currency, orders and sessions, top products, sales per machine and per day, machines online and uptime, open alerts, the review list (days: the window of the lists, 1-366, default 30)", Admin, None, Object),
    op("get", "/admin/exports/orders.csv", "Orders created from one date to another (from, to: YYYY-MM-DD, UTC, both included) as CSV, one row per order line", Admin, None, Csv),
    op("get", "/admin/exports/products.csv", "The whole catalogue as CSV, one row per variant, with Medusa's product export columns (prices in major units, a column per currency; option name and value columns)", Admin, None, Csv),
    op("get", "/admin/exports/sessions.csv", "Vending sessions created from one date to another (from, to: YYYY-MM-DD, UTC, both included) as CSV", Admin, None, Csv),
    op("get", "/admin/alerts", "List alerts (open, resolved or all)", Admin, None, Object),
    op("post", "/admin/alerts/{id}/acknowledge", "Acknowledge an alert", Admin, None, Object),
    op("get", "/admin/notifications", "List what the store sent (emails, alert posts), newest first, with each one's outcome (status pending, success or failure; channel; resource_id)", Admin, None, Object),
    op("get", "/admin/notifications/{id}", "A notification: recipient, subject and text, status, attempts, last error", Admin, None, Object),
    op("post", "/admin/notifications/{id}/resend", "Send a notification again (a new one pointing at it by original_notification_id); refused for one that held a one-time link", Admin, None, Object),
    op("get", "/admin/vending/machines", "List machines (filters: firmware, sync_version as a number or \"never\", status active|decommissioned)", Admin, None, Object),
    op("post", "/admin/vending/machines", "Add a machine: lockers with their scales, location and pick-up option; issues its MQTT credentials (shown once)", Admin, None, Object),
    op("get", "/admin/vending/machines/{device_id}", "Retrieve a machine with its hub and lockers", Admin, None, Object),
    op("post", "/admin/vending/machines/{device_id}/location", "Move a machine to another location", Admin, None, Object),
    op("post", "/admin/vending/machines/{device_id}/decommission", "Decommission a machine (no new sessions; history kept)", Admin, None, Object),
    op("get", "/admin/vending/machines/{device_id}/qr-code", "A printable QR code (SVG) of the machine's storefront page", Admin, None, Svg),
    op("post", "/admin/vending/machines/{device_id}/credentials", "Issue a machine's MQTT credentials (the password is shown once)", Admin, None, Object),
    op("get", "/admin/vending/sessions", "List vending sessions", Admin, None, Object),
    op("get", "/admin/vending/sessions/{id}", "Retrieve a vending session", Admin, None, Object),
    op("post", "/admin/vending/sessions/{id}/close", "Close a vending session", Admin, None, Object),
    op("post", "/admin/vending/machines/{device_id}/service", "Open a machine for service", Admin, None, Object),
    op("post", "/admin/vending/machines/{device_id}/sync", "Send the planogram to a machine", Admin, None, Object),
    op("get", "/admin/vending/machines/{device_id}/scales", "List a machine's scales", Admin, None, Object),
    op("post", "/admin/vending/machines/{device_id}/scales", "Add a scale to a machine", Admin, None, Object),
    op("get", "/admin/vending/machines/{device_id}/par-levels", "A machine's products with stock and par levels", Admin, None, Object),
    op("post", "/admin/vending/machines/{device_id}/par-levels", "Set a product's par level and low-stock threshold at a machine", Admin, None, Object),
    op("get", "/admin/vending/pick-list", "What to bring to each machine of a route to restock it to par", Admin, None, Object),
    op("post", "/admin/vending/scales/{scale_id}/products", "Assign a product to a scale", Admin, None, Object),
    op("get", "/admin/loyalty/config", "Retrieve the loyalty configuration", Admin, None, Object),
    op("post", "/admin/loyalty/config", "Save the loyalty configuration", Admin, None, Object),
    op("get", "/admin/loyalty/sessions", "List loyalty sessions", Admin, None, Object),
    op("get", "/admin/orders", "List orders", Admin, None, Object),
    op("get", "/admin/orders/{id}", "Retrieve an order", Admin, None, Object),
    op("post", "/admin/orders/{id}/cancel", "Cancel an order (refund, release stock)", Admin, None, Object),
    op("post", "/admin/orders/{id}/fulfillments", "Fulfil the whole order from a stock location (captures what the payment holds)", Admin, Some("CreateFulfillment"), Object),
    op("post", "/admin/orders/{id}/fulfillments/{fulfillment_id}/shipments", "Mark the fulfilment shipped, with its tracking (labels)", Admin, Some("CreateShipment"), Object),
    op("post", "/admin/orders/{id}/fulfillments/{fulfillment_id}/mark-as-delivered", "Mark the fulfilment delivered or picked up", Admin, None, Object),
    op("post", "/admin/orders/{id}/archive", "Archive a completed or canceled order", Admin, None, Object),
    op("get", "/admin/stores", "List stores (one: this deployment's)", Admin, None, List("stores", "AdminStore")),
    op("get", "/admin/stores/{id}", "Retrieve the store's settings", Admin, None, One("store", "AdminStore")),
    op("post", "/admin/stores/{id}", "Update the store: name, currencies (one default), default region, sales channel and stock location", Admin, Some("UpdateStore"), One("store", "AdminStore")),
    op("get", "/admin/currencies", "List the currencies the store can sell in (q, code)", Admin, None, List("currencies", "AdminCurrency")),
    op("get", "/admin/currencies/{code}", "Retrieve a currency", Admin, None, One("currency", "AdminCurrency")),
    op("get", "/admin/returns", "List returns, newest first (order_id, status filter)", Admin, None, List("returns", "Return")),
    op("post", "/admin/returns", "Record a return of items of a sent order, for the customer (items in the same request)", Admin, Some("CreateReturn"), One("return", "Return")),
    op("get", "/admin/returns/{id}", "Retrieve a return", Admin, None, One("return", "Return")),
    op("post", "/admin/returns/{id}/receive", "Receive all of a return's items: stock back at its location, the refund asked of the provider", Admin, Some("ReceiveReturn"), One("return", "Return")),
    op("post", "/admin/returns/{id}/cancel", "Cancel a return not yet received", Admin, None, One("return", "Return")),
    op("get", "/admin/payments", "List payments with their captures and refunds (id, payment_collection_id, provider_id, status: authorized, partially_captured, captured, partially_refunded, refunded, canceled; created_at[$gte], created_at[$lte])", Admin, None, Object),
    op("get", "/admin/payments/{id}", "Retrieve a payment (amounts in minor units)", Admin, None, Object),
    op("post", "/admin/payments/{id}/capture", "Capture a payment (amount in minor units; all that is left when absent)", Admin, None, Object),
    op("post", "/admin/payments/{id}/refund", "Refund a payment (amount in minor units; all that is captured and not refunded when absent; note: why)", Admin, None, Object),
    op("get", "/admin/customers", "List customers", Admin, None, Object),
    op("post", "/admin/customers", "Create a customer without an account (email, one per customer; names, phone, company)", Admin, None, Object),
    op("post", "/admin/customers/{id}", "Change a customer's names, phone or company (blank clears one; the email stays)", Admin, None, Object),
    op("post", "/admin/customers/{id}/customer-groups", "Put the customer into groups (add) and out of others (remove); an unknown group refuses all", Admin, Some("LinkBatch"), Object),
    op("get", "/admin/customers/{id}/addresses", "List a customer's addresses", Admin, None, Object),
    op("post", "/admin/customers/{id}/addresses", "Add an address to a customer", Admin, None, Object),
    op("get", "/admin/customers/{id}/addresses/{address_id}", "Retrieve one of a customer's addresses", Admin, None, Object),
    op("post", "/admin/customers/{id}/addresses/{address_id}", "Change one of a customer's addresses", Admin, None, Object),
    op("delete", "/admin/customers/{id}/addresses/{address_id}", "Delete one of a customer's addresses", Admin, None, Object),
    op("get", "/admin/customers/{id}", "Retrieve a customer", Admin, None, Object),
    op("get", "/admin/products", "List products", Admin, None, Object),
    op("post", "/admin/products", "Create a product", Admin, None, Object),
    op("get", "/admin/products/{id}", "Retrieve a product", Admin, None, Object),
    op("post", "/admin/products/{id}", "Update a product", Admin, None, Object),
    op("delete", "/admin/products/{id}", "Delete a product", Admin, None, Deleted(None)),
    op("post", "/admin/products/{id}/images", "Upload pictures (multipart field files, JPEG, PNG, WebP or GIF) and add them after the product's others; the first picture becomes the thumbnail. A browser's form is sent back to the product page", Admin, Some(FILE_UPLOAD), Object),
    op("post", "/admin/uploads", "Upload pictures (multipart field files: JPEG, PNG, WebP or GIF, up to 10 a request); each is stored with copies 240, 480 and 960 pixels wide", Admin, Some(FILE_UPLOAD), Body("AdminFileList")),
    op("get", "/admin/uploads/{id}", "Retrieve an uploaded file", Admin, None, One("file", "AdminFile")),
    op("delete", "/admin/uploads/{id}", "Delete an uploaded file and its copies (refused while a product shows it)", Admin, None, Deleted(None)),
    op("get", "/admin/products/{id}/variants", "List a product's variants", Admin, None, Object),
    op("post", "/admin/products/{id}/variants", "Create a variant", Admin, None, Object),
    op("get", "/admin/products/{id}/variants/{variant_id}", "Retrieve a variant", Admin, None, Object),
    op("post", "/admin/products/{id}/variants/{variant_id}", "Update a variant", Admin, None, Object),
    op("delete", "/admin/products/{id}/variants/{variant_id}", "Delete a variant", Admin, None, Object),
    op("get", "/admin/product-variants", "List variants of every product, each with its product (q: title or SKU; id, sku, product_id)", Admin, None, Object),
    op("get", "/admin/products/{id}/options", "List a product's options", Admin, None, Object),
    op("post", "/admin/products/{id}/options", "Add an option (existing variants take its first value)", Admin, None, Object),
    op("get", "/admin/products/{id}/options/{option_id}", "Retrieve an option", Admin, None, Object),
    op("post", "/admin/products/{id}/options/{option_id}", "Rename an option or change its values", Admin, None, Object),
    op("delete", "/admin/products/{id}/options/{option_id}", "Delete an option", Admin, None, Object),
    op("get", "/admin/product-categories", "List product categories", Admin, None, Object),
    op("post", "/admin/product-categories", "Create a product category", Admin, None, Object),
    op("get", "/admin/product-categories/{id}", "Retrieve a product category", Admin, None, Object),
    op("post", "/admin/product-categories/{id}", "Update a product category", Admin, None, Object),
    op("delete", "/admin/product-categories/{id}", "Delete a product category", Admin, None, Deleted(None)),
    op("get", "/admin/collections", "List collections", Admin, None, Object),
    op("post", "/admin/collections", "Create a collection", Admin, None, Object),
    op("get", "/admin/collections/{id}", "Retrieve a collection", Admin, None, Object),
    op("post", "/admin/collections/{id}", "Update a collection", Admin, None, Object),
    op("delete", "/admin/collections/{id}", "Delete a collection", Admin, None, Deleted(None)),
    op("get", "/admin/promotions", "List promotions (q: part of the code, campaign_id)", Admin, None, List("promotions", "AdminPromotion")),
    op("post", "/admin/promotions", "Create a standard promotion: a percentage or a fixed amount off the items or the order, with a code or automatic", Admin, None, One("promotion", "AdminPromotion")),
    op("get", "/admin/promotions/{id}", "Retrieve a promotion with its campaign", Admin, None, One("promotion", "AdminPromotion")),
    op("post", "/admin/promotions/{id}", "Update a promotion (status, code, value, campaign, usage limit)", Admin, None, One("promotion", "AdminPromotion")),
    op("delete", "/admin/promotions/{id}", "Delete a promotion (orders keep the code they used)", Admin, None, Deleted(None)),
    op("get", "/admin/customer-groups", "List customer groups (q: part of the name)", Admin, None, List("customer_groups", "AdminCustomerGroup")),
    op("post", "/admin/customer-groups", "Create a customer group", Admin, None, One("customer_group", "AdminCustomerGroup")),
    op("get", "/admin/customer-groups/{id}", "Retrieve a customer group with its first 100 customers", Admin, None, One("customer_group", "AdminCustomerGroup")),
    op("post", "/admin/customer-groups/{id}", "Rename a customer group", Admin, None, One("customer_group", "AdminCustomerGroup")),
    op("delete", "/admin/customer-groups/{id}", "Delete a customer group (its customers stay)", Admin, None, Deleted(None)),
    op("post", "/admin/customer-groups/{id}/customers", "Add customers to the group or remove them", Admin, Some("LinkBatch"), One("customer_group", "AdminCustomerGroup")),
    op("get", "/admin/shipping-profiles", "List shipping profiles (q or name: part of the name; type)", Admin, None, List("shipping_profiles", "AdminShippingProfile")),
    op("post", "/admin/shipping-profiles", "Create a shipping profile (name, unique; type, one word, custom when left out)", Admin, None, One("shipping_profile", "AdminShippingProfile")),
    op("get", "/admin/shipping-profiles/{id}", "Retrieve a shipping profile", Admin, None, One("shipping_profile", "AdminShippingProfile")),
    op("post", "/admin/shipping-profiles/{id}", "Rename a shipping profile or change its type", Admin, None, One("shipping_profile", "AdminShippingProfile")),
    op("delete", "/admin/shipping-profiles/{id}", "Delete a shipping profile no option serves (the default one stays)", Admin, None, Deleted(None)),
    op("get", "/admin/shipping-options", "List shipping options, offered or kept back (service_zone_id: a region; stock_location_id; shipping_profile_id; q)", Admin, None, List("shipping_options", "AdminShippingOption")),
    op("post", "/admin/shipping-options", "Create a shipping option: service_zone_id (a region), one flat price in its currency, manual_manual; a pickup names data.stock_location_id; rules: enabled_in_store", Admin, None, One("shipping_option", "AdminShippingOption")),
    op("get", "/admin/shipping-options/{id}", "Retrieve a shipping option", Admin, None, One("shipping_option", "AdminShippingOption")),
    op("post", "/admin/shipping-options/{id}", "Update a shipping option (name, price, profile, enabled_in_store); carts keep the price they were offered, a hidden option leaves open carts", Admin, None, One("shipping_option", "AdminShippingOption")),
    op("delete", "/admin/shipping-options/{id}", "Delete a shipping option; open carts that chose it choose again", Admin, None, Deleted(None)),
    op("post", "/admin/shipping-options/{id}/rules/batch", "Create, update or delete an option's rules (enabled_in_store; is_return false); deleting enabled_in_store offers it again", Admin, None, Object),
    op("get", "/admin/shipping-option-types", "List shipping option types (delivery, pickup: fixed)", Admin, None, Object),
    op("get", "/admin/shipping-option-types/{id}", "Retrieve a shipping option type", Admin, None, Object),
    op("get", "/admin/fulfillment-providers", "List fulfillment providers (manual_manual: fulfilled by hand)", Admin, None, Object),
    op("get", "/admin/return-reasons", "List return reasons (q: part of the value or label)", Admin, None, List("return_reasons", "ReturnReason")),
    op("post", "/admin/return-reasons", "Create a return reason (value: one word, label)", Admin, None, One("return_reason", "ReturnReason")),
    op("get", "/admin/return-reasons/{id}", "Retrieve a return reason", Admin, None, One("return_reason", "ReturnReason")),
    op("post", "/admin/return-reasons/{id}", "Update a return reason", Admin, None, One("return_reason", "ReturnReason")),
    op("delete", "/admin/return-reasons/{id}", "Delete a return reason", Admin, None, Deleted(None)),
    op("get", "/admin/campaigns", "List campaigns (q: part of the name)", Admin, None, List("campaigns", "AdminCampaign")),
    op("post", "/admin/campaigns", "Create a campaign: a window in time and a usage or spend budget for its promotions", Admin, None, One("campaign", "AdminCampaign")),
    op("get", "/admin/campaigns/{id}", "Retrieve a campaign with its promotions", Admin, None, One("campaign", "AdminCampaign")),
    op("post", "/admin/campaigns/{id}", "Update a campaign (name, window, budget limit)", Admin, None, One("campaign", "AdminCampaign")),
    op("delete", "/admin/campaigns/{id}", "Delete a campaign; its promotions stay, outside any campaign", Admin, None, Deleted(None)),
    op("post", "/admin/campaigns/{id}/promotions", "Add promotions to the campaign or remove them", Admin, Some("LinkBatch"), One("campaign", "AdminCampaign")),
    op("get", "/admin/sales-channels", "List sales channels", Admin, None, Object),
    op("post", "/admin/sales-channels", "Create a sales channel", Admin, None, Object),
    op("get", "/admin/sales-channels/{id}", "Retrieve a sales channel", Admin, None, Object),
    op("post", "/admin/sales-channels/{id}", "Update a sales channel", Admin, None, Object),
    op("delete", "/admin/sales-channels/{id}", "Delete a sales channel", Admin, None, Deleted(None)),
    op("post", "/admin/sales-channels/{id}/products", "Add or remove the channel's products", Admin, Some("LinkBatch"), Object),
    op("get", "/admin/stock-locations", "List stock locations", Admin, None, Object),
    op("post", "/admin/stock-locations", "Create a stock location", Admin, None, Object),
    op("get", "/admin/stock-locations/{id}", "Retrieve a stock location", Admin, None, Object),
    op("post", "/admin/stock-locations/{id}", "Update a stock location", Admin, None, Object),
    op("delete", "/admin/stock-locations/{id}", "Delete a stock location", Admin, None, Deleted(None)),
    op("post", "/admin/stock-locations/{id}/sales-channels", "Add or remove the location's sales channels", Admin, Some("LinkBatch"), Object),
    op("get", "/admin/inventory-items", "List inventory items", Admin, None, Object),
    op("get", "/admin/inventory-items/{id}", "Retrieve an inventory item", Admin, None, Object),
    op("get", "/admin/inventory-items/{id}/location-levels", "List an item's stock per location", Admin, None, Object),
    op("post", "/admin/inventory-items/{id}/location-levels", "Stock an item at a location", Admin, None, Object),
    op("post", "/admin/inventory-items/{id}/location-levels/{location_id}", "Change an item's stock at a location", Admin, None, Object),
    op("delete", "/admin/inventory-items/{id}/location-levels/{location_id}", "Remove an item from a location", Admin, None, Object),
    op("get", "/admin/reservations", "List reservations, newest first (inventory_item_id, location_id, line_item_id narrow)", Admin, None, Object),
    op("post", "/admin/reservations", "Hold stock at a location by hand (inventory_item_id, location_id, quantity, description)", Admin, None, Object),
    op("get", "/admin/reservations/{id}", "Retrieve a reservation", Admin, None, Object),
    op("post", "/admin/reservations/{id}", "Change a reservation made by hand (quantity, description); one for an order changes with the order", Admin, None, Object),
    op("delete", "/admin/reservations/{id}", "Give a reservation made by hand back to its location", Admin, None, Object),
    op("get", "/admin/api-keys", "List API keys", Admin, None, Object),
    op("post", "/admin/api-keys", "Create an API key", Admin, None, Object),
    op("get", "/admin/api-keys/{id}", "Retrieve an API key", Admin, None, Object),
    op("post", "/admin/api-keys/{id}", "Update an API key", Admin, None, Object),
    op("delete", "/admin/api-keys/{id}", "Delete an API key", Admin, None, Deleted(None)),
    op("post", "/admin/api-keys/{id}/revoke", "Revoke an API key", Admin, None, Object),
    op("post", "/admin/api-keys/{id}/sales-channels", "Add or remove a publishable key's sales channels", Admin, Some("LinkBatch"), Object),
    op("get", "/admin/regions", "List regions", Admin, None, Object),
    op("post", "/admin/regions", "Create a region", Admin, None, Object),
    op("get", "/admin/regions/{id}", "Retrieve a region", Admin, None, Object),
    op("post", "/admin/regions/{id}", "Update a region", Admin, None, Object),
    op("delete", "/admin/regions/{id}", "Delete a region", Admin, None, Deleted(None)),
];

/// The whole document.
pub fn document() -> Value {
    let mut paths = Map::new();
    for operation in OPERATIONS {
        let path = paths
            .entry(operation.path)
            .or_insert_with(|| json!({}))
            .as_object_mut()
            .expect("a path item is an object");
        path.insert(operation.method.to_owned(), operation_object(operation));
    }
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "Automat API",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "Medusa v2–compatible Store API (`x-publishable-api-key`), auth routes and Admin API of an Automat store. Amounts in the Store API are major units (Medusa's); errors are `{type, message}`.",
        },
        "paths": paths,
        "components": {
            "securitySchemes": {
                "publishable_key": { "type": "apiKey", "in": "header", "name": "x-publishable-api-key" },
                "jwt": { "type": "http", "scheme": "bearer", "bearerFormat": "JWT" },
                "cookie": { "type": "apiKey", "in": "cookie", "name": "id" },
            },
            "schemas": schemas(),
        },
    })
}

fn operation_object(operation: &Operation) -> Value {
    let tag = operation.path.split('/').nth(1).unwrap_or_default();
    let mut parameters: Vec<Value> = operation
        .path
        .split('/')
        .filter_map(|segment| segment.strip_prefix('{')?.strip_suffix('}'))
        .map(|name| json!({ "name": name, "in": "path", "required": true, "schema": { "type": "string" } }))
        .collect();
    if matches!(operation.answer, List(..)) {
        parameters.extend(page_parameters());
    }
    if operation.path == "/store/carts/{id}/complete" {
        parameters.push(json!({
            "name": "Idempotency-Key", "in": "header", "required": false,
            "description": "A repeat with the same key gets the first answer again (header `Idempotent-Replayed: true`); the same key for another cart is a 409. Keys belong to the signed-in customer, else to the publishable key: another's use of the same key is another key.",
            "schema": { "type": "string", "minLength": 1, "maxLength": 255 },
        }));
    }
    let (status, success) = match operation.answer {
        Events => (
            "200",
            json!({ "description": "Server-sent events", "content": { "text/event-stream": { "schema": { "type": "string" } } } }),
        ),
        Created => ("201", json!({ "description": "Created" })),
        Svg => (
            "200",
            json!({ "description": "An SVG image", "content": { "image/svg+xml": { "schema": { "type": "string" } } } }),
        ),
        Csv => (
            "200",
            json!({ "description": "A CSV file (RFC 4180), header row first", "content": { "text/csv": { "schema": { "type": "string" } } } }),
        ),
        answer => (
            "200",
            json!({ "description": "OK", "content": { "application/json": { "schema": answer_schema(answer) } } }),
        ),
    };
    let mut object = json!({
        "tags": [tag],
        "summary": operation.summary,
        "parameters": parameters,
        "security": security(operation.access),
        "responses": {
            status: success,
            "default": {
                "description": "An error: 400 invalid data, 401 unauthorized, 404 not found, 409 conflict, 429 too many attempts (`Retry-After` says when to try again), 503 busy or unavailable",
                "content": { "application/json": { "schema": reference("Error") } },
            },
        },
    });
    if let Some(body) = operation.body {
        let media = if body == FILE_UPLOAD {
            "multipart/form-data"
        } else {
            "application/json"
        };
        object["requestBody"] = json!({
            "required": true,
            "content": { media: { "schema": reference(body) } },
        });
    }
    object
}

fn security(access: Access) -> Value {
    match access {
        Store => json!([{ "publishable_key": [] }]),
        Customer => {
            json!([{ "publishable_key": [], "jwt": [] }, { "publishable_key": [], "cookie": [] }])
        }
        Public => json!([]),
        Token => json!([{ "jwt": [] }]),
        Admin => json!([{ "jwt": [] }, { "cookie": [] }]),
    }
}

fn answer_schema(answer: Answer) -> Value {
    match answer {
        One(key, schema) => object(&[(key, reference(schema))]),
        List(key, schema) => object(&[
            (key, array(reference(schema))),
            ("count", integer()),
            ("offset", integer()),
            ("limit", integer()),
        ]),
        Body(schema) => reference(schema),
        Deleted(parent) => {
            let mut fields = vec![
                ("id", string()),
                ("object", string()),
                ("deleted", boolean()),
            ];
            if let Some(parent) = parent {
                fields.push(("parent", reference(parent)));
            }
            object(&fields)
        }
        Object | Events | Created | Svg | Csv => json!({ "type": "object" }),
    }
}

fn reference(schema: &str) -> Value {
    json!({ "$ref": format!("#/components/schemas/{schema}") })
}

fn string() -> Value {
    json!({ "type": "string" })
}

fn integer() -> Value {
    json!({ "type": "integer" })
}

fn number() -> Value {
    json!({ "type": "number" })
}

fn boolean() -> Value {
    json!({ "type": "boolean" })
}

fn datetime() -> Value {
    json!({ "type": "string", "format": "date-time" })
}

fn array(items: Value) -> Value {
    json!({ "type": "array", "items": items })
}

fn any_object() -> Value {
    json!({ "type": "object" })
}

/// `schema` or null.
fn nullable(schema: Value) -> Value {
    json!({ "anyOf": [schema, { "type": "null" }] })
}

/// An object whose every listed property is always present.
fn object(properties: &[(&str, Value)]) -> Value {
    let required: Vec<&str> = properties.iter().map(|(name, _)| *name).collect();
    let properties: Map<String, Value> = properties
        .iter()
        .map(|(name, schema)| ((*name).to_owned(), schema.clone()))
        .collect();
    json!({ "type": "object", "required": required, "properties": properties })
}

/// An object with `required` properties plus optional ones.
fn object_with_optional(required: &[(&str, Value)], optional: &[(&str, Value)]) -> Value {
    let mut schema = object(required);
    for (name, property) in optional {
        schema["properties"][*name] = property.clone();
    }
    schema
}

/// A request body: every property optional unless named in `required`.
fn input(properties: &[(&str, Value)], required: &[&str]) -> Value {
    let mut schema = object(properties);
    schema["required"] = json!(required);
    schema
}

/// `offset` and `limit` of a list (see `http::params`).
fn page_parameters() -> [Value; 2] {
    let max = crate::http::params::MAX_PAGE_SIZE;
    [
        json!({ "name": "offset", "in": "query", "required": false, "schema": { "type": "integer", "minimum": 0, "default": 0 } }),
        json!({
            "name": "limit", "in": "query", "required": false,
            "description": format!("At most {max} items a page; more is answered with {max}, and the answer's `limit` says so."),
            "schema": { "type": "integer", "minimum": 1, "maximum": max, "default": 50 },
        }),
    ]
}

fn nstring() -> Value {
    nullable(string())
}

fn timestamps() -> Vec<(&'static str, Value)> {
    vec![("created_at", datetime()), ("updated_at", datetime())]
}

/// Named totals, each a number (major units).
fn amounts(names: &[&'static str]) -> Vec<(&'static str, Value)> {
    names.iter().map(|name| (*name, number())).collect()
}

const LINE_TOTALS: &[&str] = &[
    "original_total",
    "original_subtotal",
    "original_tax_total",
    "item_total",
    "item_subtotal",
    "item_tax_total",
    "total",
    "subtotal",
    "tax_total",
    "discount_total",
    "discount_tax_total",
];

const CART_TOTALS: &[&str] = &[
    "original_item_total",
    "original_item_subtotal",
    "original_item_tax_total",
    "item_total",
    "item_subtotal",
    "item_tax_total",
    "original_total",
    "original_subtotal",
    "original_tax_total",
    "total",
    "subtotal",
    "tax_total",
    "discount_total",
    "discount_tax_total",
    "gift_card_total",
    "gift_card_tax_total",
    "shipping_total",
    "shipping_subtotal",
    "shipping_tax_total",
    "original_shipping_total",
    "original_shipping_subtotal",
    "original_shipping_tax_total",
    "tip",
];

const PHYSICAL: &[&str] = &[
    "length",
    "height",
    "width",
    "origin_country",
    "hs_code",
    "mid_code",
    "material",
];

fn physical() -> Vec<(&'static str, Value)> {
    let mut fields = vec![("weight", nullable(integer()))];
    for name in PHYSICAL {
        let kind = if matches!(*name, "length" | "height" | "width") {
            number()
        } else {
            string()
        };
        fields.push((*name, nullable(kind)));
    }
    fields
}

fn address_fields() -> Vec<(&'static str, Value)> {
    [
        "first_name",
        "last_name",
        "company",
        "address_1",
        "address_2",
        "city",
        "country_code",
        "province",
        "postal_code",
        "phone",
    ]
    .into_iter()
    .map(|name| (name, nstring()))
    .chain([("metadata", nullable(any_object()))])
    .collect()
}

fn schemas() -> Value {
    let mut schemas = Map::new();
    let mut add = |name: &str, schema: Value| {
        schemas.insert(name.to_owned(), schema);
    };
    add(
        "Error",
        object(&[("type", string()), ("message", string())]),
    );
    add("AuthToken", object(&[("token", string())]));
    add(
        "ResetPasswordRequest",
        input(&[("identifier", string())], &["identifier"]),
    );
    add(
        "EmailPass",
        input(
            &[("email", string()), ("password", string())],
            &["email", "password"],
        ),
    );
    add(
        "LinkBatch",
        input(
            &[("add", array(string())), ("remove", array(string()))],
            &[],
        ),
    );

    // Catalog.
    add(
        "StoreCalculatedPrice",
        object(&[
            ("id", string()),
            ("is_calculated_price_price_list", boolean()),
            ("is_calculated_price_tax_inclusive", boolean()),
            ("calculated_amount", number()),
            ("calculated_amount_with_tax", number()),
            ("calculated_amount_without_tax", number()),
            ("is_original_price_price_list", boolean()),
            ("is_original_price_tax_inclusive", boolean()),
            ("original_amount", number()),
            ("currency_code", string()),
        ]),
    );
    let option_value = [
        ("id", string()),
        ("value", string()),
        ("option_id", string()),
    ];
    let mut variant_option = option_value.to_vec();
    variant_option.push(("option", object(&[("id", string()), ("title", string())])));
    let mut variant = vec![
        ("id", string()),
        ("title", string()),
        ("sku", nstring()),
        ("barcode", nstring()),
        ("ean", nstring()),
        ("upc", nstring()),
        ("allow_backorder", boolean()),
        ("manage_inventory", boolean()),
        ("variant_rank", integer()),
        ("product_id", string()),
        ("options", array(object(&variant_option))),
        ("deleted_at", nullable(datetime())),
    ];
    variant.extend(physical());
    variant.extend(timestamps());
    add(
        "StoreProductVariant",
        object_with_optional(
            &variant,
            &[
                // With `fields=+variants.inventory_quantity`; null when not managed.
                ("inventory_quantity", nullable(integer())),
                // With a region_id or currency; null without a price in it.
                (
                    "calculated_price",
                    nullable(reference("StoreCalculatedPrice")),
                ),
            ],
        ),
    );
    let mut product = vec![
        ("id", string()),
        ("title", string()),
        ("subtitle", nstring()),
        ("description", nstring()),
        ("handle", string()),
        ("status", string()),
        ("thumbnail", nstring()),
        ("is_giftcard", boolean()),
        ("discountable", boolean()),
        ("collection_id", nstring()),
        ("collection", nullable(reference("StoreCollection"))),
        ("categories", array(reference("StoreProductCategory"))),
        (
            "tags",
            array(object(&[
                ("id", string()),
                ("value", string()),
                ("metadata", nullable(any_object())),
                ("created_at", datetime()),
                ("updated_at", datetime()),
                ("deleted_at", nullable(datetime())),
            ])),
        ),
        ("type_id", nstring()),
        ("external_id", nstring()),
        ("deleted_at", nullable(datetime())),
        ("variants", array(reference("StoreProductVariant"))),
        (
            "options",
            array(object(&[
                ("id", string()),
                ("title", string()),
                ("product_id", string()),
                ("values", array(object(&option_value))),
            ])),
        ),
        (
            "images",
            array(object(&[
                ("id", string()),
                ("url", string()),
                ("rank", integer()),
            ])),
        ),
    ];
    product.extend(physical());
    product.extend(timestamps());
    add("StoreProduct", object(&product));
    let mut category = vec![
        ("id", string()),
        ("name", string()),
        ("description", string()),
        ("handle", string()),
        ("rank", integer()),
        ("parent_category_id", nstring()),
        (
            "parent_category",
            nullable(reference("StoreProductCategory")),
        ),
        (
            "category_children",
            array(reference("StoreProductCategory")),
        ),
        ("metadata", nullable(any_object())),
        ("deleted_at", nullable(datetime())),
    ];
    category.extend(timestamps());
    add("StoreProductCategory", object(&category));
    let mut collection = vec![
        ("id", string()),
        ("title", string()),
        ("handle", string()),
        ("metadata", nullable(any_object())),
        ("deleted_at", nullable(datetime())),
    ];
    collection.extend(timestamps());
    add("StoreCollection", object(&collection));
    let mut region = vec![
        ("id", string()),
        ("name", string()),
        ("currency_code", string()),
        ("automatic_taxes", boolean()),
        (
            "countries",
            array(object(&[
                ("id", string()),
                ("iso_2", string()),
                ("iso_3", nstring()),
                ("num_code", nstring()),
                ("name", nstring()),
                ("display_name", nstring()),
            ])),
        ),
        ("metadata", nullable(any_object())),
    ];
    region.extend(timestamps());
    add("StoreRegion", object(&region));

    let mut currency = vec![
        ("code", string()),
        ("symbol", string()),
        ("symbol_native", string()),
        ("name", string()),
        ("decimal_digits", integer()),
        ("rounding", number()),
        ("deleted_at", nullable(datetime())),
    ];
    currency.extend(timestamps());
    add("StoreCurrency", object(&currency));

    // Carts.
    add("Address", input(&address_fields(), &[]));
    let mut line_item = vec![
        ("id", string()),
        ("cart_id", string()),
        ("title", string()),
        ("subtitle", string()),
        ("thumbnail", nstring()),
        ("quantity", integer()),
        ("product_id", string()),
        ("product_title", string()),
        ("variant_id", string()),
        ("variant_title", string()),
        ("requires_shipping", boolean()),
        ("is_discountable", boolean()),
        ("is_tax_inclusive", boolean()),
        ("unit_price", number()),
        (
            "tax_lines",
            array(object(&[
                ("item_id", string()),
                ("rate", number()),
                ("code", nstring()),
            ])),
        ),
        (
            "adjustments",
            array(object(&[
                ("item_id", string()),
                ("code", string()),
                ("promotion_id", string()),
                ("amount", number()),
            ])),
        ),
        ("created_at", datetime()),
    ];
    line_item.extend(amounts(LINE_TOTALS));
    add("StoreCartLineItem", object(&line_item));
    let mut shipping_method = vec![
        ("id", string()),
        ("cart_id", string()),
        ("name", string()),
        ("shipping_option_id", string()),
        ("amount", number()),
        ("is_tax_inclusive", boolean()),
    ];
    shipping_method.extend(amounts(&[
        "original_total",
        "original_subtotal",
        "original_tax_total",
        "total",
        "subtotal",
        "tax_total",
        "discount_total",
        "discount_tax_total",
    ]));
    shipping_method.extend(timestamps());
    add("StoreCartShippingMethod", object(&shipping_method));
    add(
        "StoreCartPromotion",
        object(&[
            ("id", string()),
            ("code", string()),
            ("is_automatic", boolean()),
            (
                "application_method",
                object(&[
                    ("type", string()),
                    ("target_type", string()),
                    ("value", number()),
                    ("currency_code", string()),
                ]),
            ),
        ]),
    );
    let mut cart = vec![
        ("id", string()),
        ("currency_code", string()),
        ("region_id", nstring()),
        ("region", nullable(reference("StoreRegion"))),
        ("sales_channel_id", nstring()),
        ("customer_id", nstring()),
        ("email", nstring()),
        ("shipping_address", nullable(reference("Address"))),
        ("billing_address", nullable(reference("Address"))),
        ("metadata", nullable(any_object())),
        ("items", array(reference("StoreCartLineItem"))),
        (
            "shipping_methods",
            array(reference("StoreCartShippingMethod")),
        ),
        ("promotions", array(reference("StoreCartPromotion"))),
        (
            "payment_collection",
            nullable(object(&[
                ("id", string()),
                ("currency_code", string()),
                ("amount", number()),
                ("status", string()),
            ])),
        ),
        ("completed_at", nullable(datetime())),
    ];
    cart.extend(timestamps());
    cart.extend(amounts(CART_TOTALS));
    add("StoreCart", object(&cart));
    add(
        "StoreCompleteCartResponse",
        json!({
            "oneOf": [
                object(&[("type", json!({ "const": "order" })), ("order", reference("StoreOrder"))]),
                object(&[
                    ("type", json!({ "const": "cart" })),
                    ("cart", reference("StoreCart")),
                    ("error", object(&[("message", string()), ("name", string()), ("type", string())])),
                ]),
            ],
        }),
    );
    add(
        "CreateCart",
        input(
            &[
                ("region_id", string()),
                ("currency_code", string()),
                ("sales_channel_id", string()),
                ("email", string()),
                ("shipping_address", reference("Address")),
                ("billing_address", reference("Address")),
                ("items", array(reference("AddLineItem"))),
                ("promo_codes", array(string())),
                ("metadata", any_object()),
            ],
            &[],
        ),
    );
    add(
        "UpdateCart",
        input(
            &[
                ("region_id", string()),
                ("sales_channel_id", string()),
                ("email", string()),
                ("shipping_address", reference("Address")),
                ("billing_address", reference("Address")),
                ("promo_codes", array(string())),
                ("metadata", any_object()),
                ("tip", number()),
            ],
            &[],
        ),
    );
    add(
        "AddLineItem",
        input(
            &[("variant_id", string()), ("quantity", integer())],
            &["variant_id", "quantity"],
        ),
    );
    add(
        "UpdateLineItem",
        input(&[("quantity", integer())], &["quantity"]),
    );
    add(
        "PromoCodes",
        input(&[("promo_codes", array(string()))], &["promo_codes"]),
    );
    add(
        "AddShippingMethod",
        input(
            &[("option_id", string()), ("data", any_object())],
            &["option_id"],
        ),
    );
    let mut shipping_option = vec![
        ("id", string()),
        ("name", string()),
        ("price_type", string()),
        ("service_zone_id", string()),
        ("provider_id", string()),
        (
            "provider",
            object(&[("id", string()), ("is_enabled", boolean())]),
        ),
        ("shipping_option_type_id", string()),
        (
            "type",
            object(&[
                ("id", string()),
                ("label", string()),
                ("description", string()),
                ("code", string()),
            ]),
        ),
        ("shipping_profile_id", string()),
        ("amount", number()),
        ("is_tax_inclusive", boolean()),
        ("data", object(&[("stock_location_id", nstring())])),
        ("metadata", any_object()),
    ];
    add("StoreShippingOption", object(&shipping_option));
    let mut shipping_profile = vec![
        ("id", string()),
        ("name", string()),
        ("type", string()),
        ("metadata", nullable(any_object())),
        ("deleted_at", nullable(datetime())),
    ];
    shipping_profile.extend(timestamps());
    add("AdminShippingProfile", object(&shipping_profile));
    add(
        FILE_UPLOAD,
        input(
            &[(
                "files",
                array(json!({ "type": "string", "format": "binary" })),
            )],
            &["files"],
        ),
    );
    add(
        "AdminFile",
        object(&[
            ("id", string()),
            ("url", string()),
            (
                "renditions",
                array(object(&[("width", integer()), ("url", string())])),
            ),
        ]),
    );
    add(
        "AdminFileList",
        object(&[("files", array(reference("AdminFile")))]),
    );
    let geo_zone = object(&[
        ("id", string()),
        ("type", string()),
        ("country_code", string()),
        ("province_code", nstring()),
        ("city", nstring()),
        ("postal_expression", nullable(any_object())),
    ]);
    let price_rule = object(&[
        ("attribute", string()),
        ("operator", string()),
        ("value", string()),
    ]);
    shipping_option.extend([
        (
            "service_zone",
            object(&[
                ("id", string()),
                ("name", string()),
                ("fulfillment_set_id", nstring()),
                ("geo_zones", array(geo_zone)),
            ]),
        ),
        (
            "shipping_profile",
            nullable(reference("AdminShippingProfile")),
        ),
        (
            "prices",
            array(object(&[
                ("id", string()),
                ("currency_code", string()),
                ("amount", number()),
                ("price_rules", array(price_rule)),
                ("rules_count", integer()),
            ])),
        ),
        (
            "rules",
            array(object(&[
                ("id", string()),
                ("attribute", string()),
                ("operator", string()),
                ("value", string()),
                ("shipping_option_id", string()),
            ])),
        ),
        ("deleted_at", nullable(datetime())),
    ]);
    shipping_option.extend(timestamps());
    add("AdminShippingOption", object(&shipping_option));
    add(
        "StorePaymentMethodList",
        object(&[
            (
                "payment_methods",
                array(object(&[
                    ("id", string()),
                    ("provider_id", string()),
                    (
                        "data",
                        object(&[
                            ("id", string()),
                            ("type", string()),
                            (
                                "card",
                                object(&[
                                    ("brand", string()),
                                    ("last4", string()),
                                    ("exp_month", integer()),
                                    ("exp_year", integer()),
                                ]),
                            ),
                        ]),
                    ),
                ])),
            ),
            ("count", integer()),
        ]),
    );
    add(
        "StoreProductSuggestionList",
        object(&[(
            "suggestions",
            array(object(&[
                ("id", string()),
                ("title", string()),
                ("handle", string()),
            ])),
        )]),
    );
    add(
        "StoreShippingOptionList",
        object(&[("shipping_options", array(reference("StoreShippingOption")))]),
    );

    // Payment.
    add(
        "StorePaymentProvider",
        object(&[("id", string()), ("is_enabled", boolean())]),
    );
    let session = [
        ("id", string()),
        ("payment_collection_id", string()),
        ("provider_id", string()),
        ("amount", number()),
        ("currency_code", string()),
        ("status", string()),
        ("data", json!({})),
        ("created_at", datetime()),
    ];
    add("StorePaymentSession", object(&session));
    let mut payment_collection = vec![
        ("id", string()),
        ("currency_code", string()),
        ("amount", number()),
        ("status", string()),
        (
            "payment_providers",
            array(reference("StorePaymentProvider")),
        ),
        ("payment_sessions", array(reference("StorePaymentSession"))),
    ];
    payment_collection.extend(timestamps());
    add("StorePaymentCollection", object(&payment_collection));
    add(
        "CreatePaymentCollection",
        input(&[("cart_id", string())], &["cart_id"]),
    );
    add(
        "InitializePaymentSession",
        input(
            &[
                ("provider_id", string()),
                ("context", any_object()),
                ("data", any_object()),
            ],
            &["provider_id"],
        ),
    );

    // Orders.
    let mut order = vec![
        ("id", string()),
        ("status", string()),
        ("email", nstring()),
        ("currency_code", string()),
        ("region_id", nstring()),
        ("customer_id", nstring()),
        ("sales_channel_id", nstring()),
        ("payment_status", string()),
        ("fulfillment_status", string()),
        (
            "items",
            array(object(&[
                ("id", string()),
                ("title", string()),
                ("subtitle", string()),
                ("product_id", string()),
                ("product_title", string()),
                ("variant_id", string()),
                ("variant_title", string()),
                ("quantity", integer()),
                ("unit_price", number()),
                ("subtotal", number()),
                ("discount_total", number()),
                ("tax_total", number()),
                ("total", number()),
            ])),
        ),
        (
            "shipping_methods",
            array(object(&[
                ("name", string()),
                ("shipping_option_id", nstring()),
                ("amount", number()),
                ("is_tax_inclusive", boolean()),
                ("subtotal", number()),
                ("tax_total", number()),
                ("total", number()),
            ])),
        ),
        ("shipping_address", nullable(reference("Address"))),
        ("billing_address", nullable(reference("Address"))),
        ("promo_codes", array(string())),
        (
            "summary",
            object(&[
                ("current_order_total", number()),
                ("original_order_total", number()),
                ("paid_total", number()),
            ]),
        ),
    ];
    order.extend(timestamps());
    order.extend(amounts(CART_TOTALS));
    add("StoreOrder", object(&order));

    // Customers.
    let mut customer_address = vec![
        ("id", string()),
        ("address_name", nstring()),
        ("is_default_shipping", boolean()),
        ("is_default_billing", boolean()),
        ("customer_id", string()),
    ];
    customer_address.extend(address_fields());
    customer_address.extend(timestamps());
    add("StoreCustomerAddress", object(&customer_address));
    let mut customer = vec![
        ("id", string()),
        ("email", string()),
        ("default_billing_address_id", nstring()),
        ("default_shipping_address_id", nstring()),
        ("company_name", nstring()),
        ("first_name", nstring()),
        ("last_name", nstring()),
        ("phone", nstring()),
        ("has_account", boolean()),
        ("metadata", nullable(any_object())),
        ("deleted_at", nullable(datetime())),
        ("addresses", array(reference("StoreCustomerAddress"))),
    ];
    customer.extend(timestamps());
    add("StoreCustomer", object(&customer));
    let names = ["first_name", "last_name", "phone", "company_name"];
    let name_fields: Vec<(&str, Value)> = names.iter().map(|n| (*n, string())).collect();
    let mut create_customer = vec![("email", string())];
    create_customer.extend(name_fields.iter().cloned());
    // The email is the registered identity's; one stated must be that one.
    add("CreateCustomer", input(&create_customer, &[]));
    add("UpdateCustomer", input(&name_fields, &[]));
    let mut address_input = vec![
        ("address_name", string()),
        ("is_default_shipping", boolean()),
        ("is_default_billing", boolean()),
    ];
    address_input.extend(address_fields());
    add("CustomerAddressInput", input(&address_input, &[]));

    // Customer groups.
    let mut customer_group = vec![
        ("id", string()),
        ("name", string()),
        ("metadata", nullable(any_object())),
        ("created_by", nstring()),
        ("deleted_at", nullable(datetime())),
    ];
    customer_group.extend(timestamps());
    add(
        "AdminCustomerGroup",
        object_with_optional(&customer_group, &[("customers", array(any_object()))]),
    );

    // Returns.
    let mut return_reason = vec![
        ("id", string()),
        ("value", string()),
        ("label", string()),
        ("description", nstring()),
        ("parent_return_reason_id", nstring()),
        ("metadata", nullable(any_object())),
        ("deleted_at", nullable(datetime())),
    ];
    return_reason.extend(timestamps());
    add("ReturnReason", object(&return_reason));
    let return_item = [
        ("id", string()),
        ("return_id", string()),
        ("item_id", string()),
        ("quantity", integer()),
        ("received_quantity", integer()),
        ("reason_id", nstring()),
        ("note", nstring()),
    ];
    add(
        "Return",
        object(&[
            ("id", string()),
            ("order_id", string()),
            (
                "status",
                json!({ "enum": ["requested", "received", "canceled"] }),
            ),
            ("location_id", nstring()),
            ("note", nstring()),
            ("currency_code", string()),
            ("refund_amount", number()),
            ("items", array(object(&return_item))),
            ("created_at", datetime()),
            ("received_at", nullable(datetime())),
            ("canceled_at", nullable(datetime())),
        ]),
    );
    let return_item_input = input(
        &[
            ("id", string()),
            ("quantity", integer()),
            ("reason_id", string()),
            ("note", string()),
        ],
        &["id", "quantity"],
    );
    add(
        "CreateReturn",
        input(
            &[
                ("order_id", string()),
                ("items", array(return_item_input)),
                ("return_shipping", any_object()),
                ("note", string()),
                ("location_id", string()),
                ("metadata", any_object()),
            ],
            &["order_id", "items"],
        ),
    );
    add(
        "AdminStore",
        object(&[
            ("id", string()),
            ("name", string()),
            (
                "supported_currencies",
                array(object(&[
                    ("id", string()),
                    ("currency_code", string()),
                    ("is_default", boolean()),
                    ("store_id", string()),
                    ("created_at", datetime()),
                    ("updated_at", datetime()),
                    ("deleted_at", nullable(datetime())),
                ])),
            ),
            ("default_sales_channel_id", nstring()),
            ("default_region_id", nstring()),
            ("default_location_id", nstring()),
            ("metadata", nullable(any_object())),
            ("created_at", datetime()),
            ("updated_at", datetime()),
        ]),
    );
    add(
        "UpdateStore",
        input(
            &[
                ("name", string()),
                (
                    "supported_currencies",
                    array(input(
                        &[("currency_code", string()), ("is_default", boolean())],
                        &["currency_code"],
                    )),
                ),
                ("default_region_id", nstring()),
                ("default_sales_channel_id", nstring()),
                ("default_location_id", nstring()),
                ("metadata", any_object()),
            ],
            &[],
        ),
    );
    add(
        "AdminCurrency",
        object(&[
            ("code", string()),
            ("symbol", string()),
            ("symbol_native", string()),
            ("name", string()),
            ("decimal_digits", integer()),
            ("rounding", number()),
            ("created_at", datetime()),
            ("updated_at", datetime()),
            ("deleted_at", nullable(datetime())),
        ]),
    );
    add("ReceiveReturn", input(&[("location_id", string())], &[]));
    add("OpenMachine", input(&[("card_id", string())], &[]));
    let fulfil_item = input(
        &[("id", string()), ("quantity", integer())],
        &["id", "quantity"],
    );
    add(
        "CreateFulfillment",
        input(
            &[
                ("items", array(fulfil_item.clone())),
                ("location_id", string()),
                ("no_notification", boolean()),
                ("metadata", any_object()),
            ],
            &[],
        ),
    );
    let label = input(
        &[
            ("tracking_number", string()),
            ("tracking_url", string()),
            ("label_url", string()),
        ],
        &[],
    );
    add(
        "CreateShipment",
        input(
            &[
                ("items", array(fulfil_item)),
                ("labels", array(label)),
                ("no_notification", boolean()),
                ("metadata", any_object()),
            ],
            &[],
        ),
    );

    // Promotions.
    let no_rules = || json!({ "type": "array", "maxItems": 0 });
    let mut campaign = vec![
        ("id", string()),
        ("name", string()),
        ("campaign_identifier", string()),
        ("description", nstring()),
        ("starts_at", nullable(datetime())),
        ("ends_at", nullable(datetime())),
        (
            "budget",
            nullable(object(&[
                ("id", string()),
                ("type", json!({ "enum": ["usage", "spend"] })),
                ("currency_code", nstring()),
                ("limit", nullable(number())),
                ("used", number()),
            ])),
        ),
        ("deleted_at", nullable(datetime())),
    ];
    campaign.extend(timestamps());
    let mut promotion = vec![
        ("id", string()),
        ("code", string()),
        ("type", json!({ "const": "standard" })),
        ("is_automatic", boolean()),
        ("is_tax_inclusive", boolean()),
        ("status", json!({ "enum": ["draft", "active", "inactive"] })),
        ("campaign_id", nstring()),
        (
            "application_method",
            object(&[
                ("id", string()),
                ("type", json!({ "enum": ["percentage", "fixed"] })),
                ("target_type", json!({ "enum": ["items", "order"] })),
                ("allocation", json!({ "enum": ["each", "across"] })),
                ("value", number()),
                ("currency_code", nstring()),
                ("max_quantity", nullable(integer())),
                ("target_rules", no_rules()),
                ("buy_rules", no_rules()),
            ]),
        ),
        ("rules", no_rules()),
        ("usage_limit", nullable(integer())),
        ("used_count", integer()),
        ("deleted_at", nullable(datetime())),
    ];
    promotion.extend(timestamps());
    promotion.push(("campaign", nullable(object(&campaign))));
    add("AdminPromotion", object(&promotion));
    add(
        "AdminCampaign",
        object_with_optional(
            &campaign,
            &[("promotions", array(reference("AdminPromotion")))],
        ),
    );

    // Loyalty.
    add(
        "LoyaltyIdentify",
        input(
            &[("cart_id", string()), ("phone", string())],
            &["cart_id", "phone"],
        ),
    );
    add("LoyaltyCart", input(&[("cart_id", string())], &["cart_id"]));
    add(
        "LoyaltyVerify",
        input(
            &[("cart_id", string()), ("code", string())],
            &["cart_id", "code"],
        ),
    );
    add("LoyaltyPhone", input(&[("phone", string())], &["phone"]));
    add("LoyaltyCode", input(&[("code", string())], &["code"]));
    add(
        "LoyaltySelect",
        input(
            &[
                ("cart_id", string()),
                ("reward_id", string()),
                ("selected", boolean()),
            ],
            &["cart_id", "reward_id", "selected"],
        ),
    );
    Value::Object(schemas)
}
