//! What each admin user may do: a role per user, a permission per action.
//! The Admin API and the dashboard's server functions both ask [`Role::require`],
//! so the two cannot disagree.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

use crate::DomainError;

/// An admin user's role, stored by name.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Everything, users and payment settings included.
    #[sea_orm(string_value = "owner")]
    Owner,
    /// Runs the store and the fleet: everything but users and payment settings.
    #[sea_orm(string_value = "operator")]
    Operator,
    /// Works at the machines: sees devices, opens them for service, restocks,
    /// reads vending sessions. Nothing else.
    #[sea_orm(string_value = "technician")]
    Technician,
}

/// One kind of action the Admin API and the dashboard offer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Permission {
    /// The caller's own account: who am I, sign out everywhere.
    OwnAccount,
    /// See machines, their lockers, scales, QR codes and live status.
    ViewDevices,
    /// Open a machine for service and end it.
    ServiceMode,
    /// Put products on scales, reweigh, send the planogram.
    Restocking,
    /// Read vending sessions.
    ViewVendingSessions,
    /// Add, move and decommission machines, issue their credentials, close sessions.
    ManageFleet,
    /// The store: catalog, orders, payments of orders, customers, channels,
    /// regions, keys, loyalty, alerts, the overview and exports.
    ManageStore,
    /// Payment providers' settings (keys, webhooks).
    PaymentSettings,
    /// Admin users and invites.
    ManageUsers,
}

impl Role {
    pub const ALL: [Role; 3] = [Role::Owner, Role::Operator, Role::Technician];

    /// Whether this role may do what `permission` covers.
    pub fn may(self, permission: Permission) -> bool {
        use Permission::*;
        match self {
            Role::Owner => true,
            Role::Operator => !matches!(permission, ManageUsers | PaymentSettings),
            Role::Technician => matches!(
                permission,
                OwnAccount | ViewDevices | ServiceMode | Restocking | ViewVendingSessions
            ),
        }
    }

    /// [`Role::may`], as an error that says what is missing.
    pub fn require(self, permission: Permission) -> Result<(), DomainError> {
        if self.may(permission) {
            return Ok(());
        }
        Err(DomainError::Forbidden(format!(
            "an admin user with the {} role may not {}",
            self.name(),
            permission.describe()
        )))
    }

    pub fn name(self) -> &'static str {
        match self {
            Role::Owner => "owner",
            Role::Operator => "operator",
            Role::Technician => "technician",
        }
    }

    /// The role named `name` (as stored and as the API spells it).
    pub fn parse(name: &str) -> Result<Self, DomainError> {
        Self::ALL
            .into_iter()
            .find(|role| role.name() == name.trim())
            .ok_or_else(|| {
                DomainError::Invalid(format!(
                    "role must be one of owner, operator, technician (got {name:?})"
                ))
            })
    }
}

impl Permission {
    /// What the permission allows, to finish "may not …".
    fn describe(self) -> &'static str {
        match self {
            Permission::OwnAccount => "use their own account",
            Permission::ViewDevices => "see machines",
            Permission::ServiceMode => "open machines for service",
            Permission::Restocking => "restock machines",
            Permission::ViewVendingSessions => "see vending sessions",
            Permission::ManageFleet => "add, move or decommission machines or close sessions",
            Permission::ManageStore => {
                "manage the store (catalog, orders, customers, settings, reports)"
            }
            Permission::PaymentSettings => "change payment settings",
            Permission::ManageUsers => "manage admin users and invites",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operators_may_do_everything_but_users_and_payment_settings() {
        use Permission::*;
        for permission in [
            OwnAccount,
            ViewDevices,
            ServiceMode,
            Restocking,
            ViewVendingSessions,
            ManageFleet,
            ManageStore,
        ] {
            assert!(Role::Operator.may(permission), "{permission:?}");
            assert!(Role::Owner.may(permission), "{permission:?}");
        }
        for permission in [ManageUsers, PaymentSettings] {
            assert!(!Role::Operator.may(permission), "{permission:?}");
            assert!(Role::Owner.may(permission), "{permission:?}");
        }
    }

    #[test]
    fn technicians_may_only_work_at_the_machines() {
        use Permission::*;
        for permission in [
            OwnAccount,
            ViewDevices,
            ServiceMode,
            Restocking,
            ViewVendingSessions,
        ] {
            assert!(Role::Technician.may(permission), "{permission:?}");
        }
        for permission in [ManageFleet, ManageStore, PaymentSettings, ManageUsers] {
            let refused = Role::Technician.require(permission).unwrap_err();
            assert!(
                matches!(&refused, DomainError::Forbidden(m) if m.contains("technician role")),
                "{refused:?}"
            );
        }
    }

    #[test]
    fn roles_parse_by_name_only() {
        for role in Role::ALL {
            assert_eq!(Role::parse(role.name()).unwrap(), role);
        }
        assert!(Role::parse("admin").is_err());
        assert!(Role::parse("").is_err());
    }
}
