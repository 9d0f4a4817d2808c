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
/// When and under which sign-in generation the customer signed in: a [`SignInStamp`].
pub const CUSTOMER_SIGN_IN: &str = "customer_sign_in";
/// When and under which sign-in generation the admin user signed in: a [`SignInStamp`].
pub const ADMIN_SIGN_IN: &str = "admin_sign_in";

/// What a web session records of a sign-in, so the server can end the
/// session once the account's sign-ins end (`domain::sign_ins`) or, for an
/// admin, once the sign-in is too old. A session without one counts as
/// signed in under the first generation, long ago.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SignInStamp {
    /// The account's sign-in generation at sign-in.
    pub generation: i32,
    /// When (unix seconds).
    pub at: i64,
}
