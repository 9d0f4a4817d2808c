//! The device wire protocol, version 1 (see `docs/device-protocol.md`).
//!
//! Topics are `automat/v1/devices/{device_id}/{channel}`; payloads are JSON
//! objects carrying `schema` (the payload version).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::DomainError;

pub const TOPIC_ROOT: &str = "automat/v1/devices";
pub const SCHEMA_VERSION: u32 = 1;

/// A device id as used in topics: 1–64 of `[a-z0-9-_]`, so it never contains
/// MQTT wildcards or separators.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceId(String);

impl DeviceId {
    pub fn parse(raw: &str) -> Result<Self, DomainError> {
        let ok = !raw.is_empty()
            && raw.len() <= 64
            && raw
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_');
        if ok {
            Ok(Self(raw.to_owned()))
        } else {
            Err(DomainError::Invalid(format!(
                "{raw:?} is not a device id (use a-z, 0-9, - and _; at most 64)"
            )))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// What a device publishes on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Channel {
    /// Retained; `online: false` is also the device's last will.
    Status,
    Heartbeat,
}

impl Channel {
    fn as_str(self) -> &'static str {
        match self {
            Self::Status => "status",
            Self::Heartbeat => "heartbeat",
        }
    }

    /// The subscription filter matching this channel of every device.
    pub fn all_devices_filter(self) -> String {
        format!("{TOPIC_ROOT}/+/{}", self.as_str())
    }
}

pub fn topic(device: &DeviceId, channel: Channel) -> String {
    format!("{TOPIC_ROOT}/{}/{}", device.as_str(), channel.as_str())
}

/// Splits a topic into the device and channel it belongs to.
pub fn parse_topic(topic: &str) -> Option<(DeviceId, Channel)> {
    let rest = topic.strip_prefix(TOPIC_ROOT)?.strip_prefix('/')?;
    let (device, channel) = rest.split_once('/')?;
    let channel = match channel {
        "status" => Channel::Status,
        "heartbeat" => Channel::Heartbeat,
        _ => return None,
    };
    Some((DeviceId::parse(device).ok()?, channel))
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusMessage {
    pub schema: u32,
    pub online: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub firmware: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Heartbeat {
    pub schema: u32,
    /// Per-device, strictly increasing across the device's lifetime.
    pub seq: u64,
    pub msg_id: String,
    pub sent_at: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub firmware: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn topics_round_trip() {
        let id = DeviceId::parse("vm-001").unwrap();
        let t = topic(&id, Channel::Heartbeat);
        assert_eq!(t, "automat/v1/devices/vm-001/heartbeat");
        assert_eq!(parse_topic(&t), Some((id, Channel::Heartbeat)));
    }

    #[test]
    fn foreign_topics_are_ignored() {
        for t in [
            "automat/v1/devices/vm-001/unknown",
            "other/vm-001/status",
            "automat/v1/devices/VM#/status",
            "automat/v1/devices/status",
        ] {
            assert_eq!(parse_topic(t), None, "{t}");
        }
    }

    #[test]
    fn device_ids_cannot_carry_wildcards() {
        for bad in ["", "a/b", "a+b", "a#", "Upper", &"x".repeat(65)] {
            assert!(DeviceId::parse(bad).is_err(), "{bad}");
        }
    }
}
