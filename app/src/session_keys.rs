//! Names of the values kept in the web session (shared with the server's
//! HTTP handlers).

/// The signed-in admin user's id.
pub const ADMIN_USER_ID: &str = "admin_user_id";
/// The shopper's current cart id.
pub const CART_ID: &str = "cart_id";
/// Orders placed in this session (a guest may see their own confirmations).
pub const ORDER_IDS: &str = "order_ids";
/// The signed-in customer's id (storefront account, `/auth/session`).
pub const CUSTOMER_ID: &str = "customer_id";
/// MQTT credentials just issued to a device, kept for the page the issuing
/// redirects to, which takes them out to show them once.
pub const ISSUED_DEVICE_CREDENTIALS: &str = "issued_device_credentials";
