//! The device wire protocol (see `docs/device-protocol.md`).
//!
//! Topics are `automat/v1/devices/{device_id}/{channel}` (the topic layout,
//! version 1); payloads are JSON objects carrying `schema` (the payload
//! version, 2). Every device message but the retained status carries a
//! per-device, strictly increasing `seq` and a unique `msg_id`; every command
//! carries a `command_id` the device acknowledges.

use chrono::{DateTime, Utc};
use sea_orm::{DeriveActiveEnum, EnumIter, sea_query::StringLen};
use serde::{Deserialize, Serialize};

use crate::DomainError;

pub const TOPIC_ROOT: &str = "automat/v1/devices";
/// 3 added `set_mode` with `normal`, which ends service mode through the device.
pub const SCHEMA_VERSION: u32 = 3;
/// The oldest payload schema still accepted (heartbeats of version 1 machines).
pub const OLDEST_SCHEMA: u32 = 1;

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
    /// Device to server: door, scale, sync and error events, and acknowledgements.
    Events,
    /// Server to device.
    Commands,
}

impl Channel {
    fn as_str(self) -> &'static str {
        match self {
            Self::Status => "status",
            Self::Heartbeat => "heartbeat",
            Self::Events => "events",
            Self::Commands => "commands",
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
        "events" => Channel::Events,
        "commands" => Channel::Commands,
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

/// A session mode as the device sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeviceMode {
    Purchase,
    Return,
    Service,
}

/// What `set_mode` switches a machine to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MachineMode {
    /// Back to serving shoppers: a door open for service is locked and
    /// reported closed first. (Service mode itself starts with `open_door`.)
    Normal,
}

/// One reading of a scale, in grams.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScaleReading {
    /// The scale's position on the device.
    pub scale: i32,
    pub grams: i32,
    /// The device judged the load at rest.
    pub stable: bool,
    pub at: DateTime<Utc>,
}

/// A product on a scale, as the planogram tells the device.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlanogramProduct {
    pub variant_id: String,
    pub unit_weight_g: i32,
    pub min_weight_g: i32,
    pub max_weight_g: i32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlanogramScale {
    pub scale: i32,
    pub products: Vec<PlanogramProduct>,
}

/// What the server asks of a device, on `commands` (QoS 1, not retained).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Command {
    pub schema: u32,
    /// The device acknowledges this id; a resent command keeps it, so a
    /// device that already obeyed only acknowledges again.
    pub command_id: String,
    pub sent_at: DateTime<Utc>,
    #[serde(flatten)]
    pub body: CommandBody,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum CommandBody {
    OpenDoor {
        mode: DeviceMode,
        session: String,
        code: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        locker: Option<String>,
    },
    SetMode {
        mode: MachineMode,
    },
    SyncPlanogram {
        version: i64,
        scales: Vec<PlanogramScale>,
    },
    Ping,
}

/// A [`CommandBody`]'s `type`, as each command sent is recorded.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(
    rs_type = "String",
    db_type = "String(StringLen::None)",
    rename_all = "snake_case"
)]
#[serde(rename_all = "snake_case")]
pub enum CommandKind {
    OpenDoor,
    SetMode,
    SyncPlanogram,
    Ping,
}

crate::states::display_as_word!(CommandKind);

impl CommandBody {
    pub fn kind(&self) -> CommandKind {
        match self {
            Self::OpenDoor { .. } => CommandKind::OpenDoor,
            Self::SetMode { .. } => CommandKind::SetMode,
            Self::SyncPlanogram { .. } => CommandKind::SyncPlanogram,
            Self::Ping => CommandKind::Ping,
        }
    }
}

/// What a device reports on `events` (QoS 1).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceMessage {
    pub schema: u32,
    /// Per-device, strictly increasing across the device's lifetime.
    pub seq: u64,
    /// Unique per device; a message delivered twice keeps it.
    pub msg_id: String,
    pub sent_at: DateTime<Utc>,
    #[serde(flatten)]
    pub body: DeviceEvent,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum DeviceEvent {
    /// The answer to a command.
    Ack {
        command_id: String,
        ok: bool,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        error: Option<String>,
    },
    DoorOpened {
        session: String,
        /// Stable weights at opening.
        scales: Vec<ScaleReading>,
    },
    DoorClosed {
        session: String,
        /// Stable weights at opening, repeated so a lost door-opened report
        /// costs nothing.
        before: Vec<ScaleReading>,
        /// Readings after closing, once the scales came to rest.
        after: Vec<ScaleReading>,
    },
    ScaleReadings {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        session: Option<String>,
        scales: Vec<ScaleReading>,
    },
    SyncApplied {
        version: i64,
        ok: bool,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        error: Option<String>,
    },
    Error {
        code: String,
        message: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        session: Option<String>,
    },
}

/// A [`DeviceEvent`]'s `type`, as each message received is recorded.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(
    rs_type = "String",
    db_type = "String(StringLen::None)",
    rename_all = "snake_case"
)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    Ack,
    DoorOpened,
    DoorClosed,
    ScaleReadings,
    SyncApplied,
    Error,
}

crate::states::display_as_word!(EventKind);

impl DeviceEvent {
    pub fn kind(&self) -> EventKind {
        match self {
            Self::Ack { .. } => EventKind::Ack,
            Self::DoorOpened { .. } => EventKind::DoorOpened,
            Self::DoorClosed { .. } => EventKind::DoorClosed,
            Self::ScaleReadings { .. } => EventKind::ScaleReadings,
            Self::SyncApplied { .. } => EventKind::SyncApplied,
            Self::Error { .. } => EventKind::Error,
        }
    }

    /// Scale weights the event reports as they are now (not a door-closed
    /// report's, which belong to its own session).
    pub fn scale_weights(&self) -> Option<&[ScaleReading]> {
        match self {
            Self::DoorOpened { scales, .. } | Self::ScaleReadings { scales, .. } => Some(scales),
            _ => None,
        }
    }

    /// The session the event is about, if any.
    pub fn session(&self) -> Option<&str> {
        match self {
            Self::DoorOpened { session, .. } | Self::DoorClosed { session, .. } => Some(session),
            Self::ScaleReadings { session, .. } | Self::Error { session, .. } => session.as_deref(),
            Self::Ack { .. } | Self::SyncApplied { .. } => None,
        }
    }
}

/// Reads a device message, refusing payload schemas this server does not
/// speak and values out of [bounds](MAX_MESSAGE_BYTES).
pub fn parse_device_message(payload: &[u8]) -> Result<DeviceMessage, DomainError> {
    check_size(payload)?;
    let message: DeviceMessage = serde_json::from_slice(payload)
        .map_err(|e| DomainError::Invalid(format!("bad device message: {e}")))?;
    check_schema(message.schema)?;
    message.check_bounds()?;
    Ok(message)
}

/// Reads a heartbeat, refusing values out of [bounds](MAX_MESSAGE_BYTES).
pub fn parse_heartbeat(payload: &[u8]) -> Result<Heartbeat, DomainError> {
    check_size(payload)?;
    let beat: Heartbeat = serde_json::from_slice(payload)
        .map_err(|e| DomainError::Invalid(format!("bad heartbeat payload: {e}")))?;
    check_seq(beat.seq)?;
    check_id("msg_id", &beat.msg_id)?;
    check_id("firmware", beat.firmware.as_deref().unwrap_or_default())?;
    Ok(beat)
}

/// Reads a status, refusing values out of [bounds](MAX_MESSAGE_BYTES).
pub fn parse_status(payload: &[u8]) -> Result<StatusMessage, DomainError> {
    check_size(payload)?;
    let status: StatusMessage = serde_json::from_slice(payload)
        .map_err(|e| DomainError::Invalid(format!("bad status payload: {e}")))?;
    check_id("firmware", status.firmware.as_deref().unwrap_or_default())?;
    Ok(status)
}

// What a device may report. Everything it sends is hostile until bounded:
// a message with any value out of these bounds is refused whole, before
// anything is computed from it.

/// The largest payload read (a door-closed report of [`MAX_READINGS`]
/// readings twice takes about a third of it).
pub const MAX_MESSAGE_BYTES: usize = 64 * 1024;
/// The largest `seq`: the largest integer every JSON reader holds exactly,
/// enough for a millisecond clock for 285,000 years. Stored as `i64`
/// without clamping.
pub const MAX_SEQ: u64 = (1 << 53) - 1;
/// A scale reading's grams lie within this far of zero (a tonne; a
/// reading a little below zero is a scale's drift). The difference of two
/// readings then fits an `i32` many times over.
pub const MAX_GRAMS: i32 = 1_000_000;
/// Readings in one list of a message (several samples of each scale).
pub const MAX_READINGS: usize = 256;
/// Bytes of an identifier a device names: `msg_id`, a session or command
/// id, an error code, a firmware version.
pub const MAX_ID_BYTES: usize = 64;
/// Bytes of a free text a device sends: an error message.
pub const MAX_TEXT_BYTES: usize = 1024;

fn check_size(payload: &[u8]) -> Result<(), DomainError> {
    if payload.len() > MAX_MESSAGE_BYTES {
        return Err(DomainError::Invalid(format!(
            "device message of {} bytes (at most {MAX_MESSAGE_BYTES})",
            payload.len()
        )));
    }
    Ok(())
}

fn check_seq(seq: u64) -> Result<(), DomainError> {
    if seq > MAX_SEQ {
        return Err(DomainError::Invalid(format!(
            "seq {seq} is beyond {MAX_SEQ}"
        )));
    }
    Ok(())
}

fn check_id(field: &str, value: &str) -> Result<(), DomainError> {
    check_text(field, value, MAX_ID_BYTES)
}

fn check_text(field: &str, value: &str, max: usize) -> Result<(), DomainError> {
    if value.len() > max {
        return Err(DomainError::Invalid(format!(
            "{field} of {} bytes (at most {max})",
            value.len()
        )));
    }
    Ok(())
}

fn check_readings(field: &str, readings: &[ScaleReading]) -> Result<(), DomainError> {
    if readings.len() > MAX_READINGS {
        return Err(DomainError::Invalid(format!(
            "{} {field} readings (at most {MAX_READINGS})",
            readings.len()
        )));
    }
    if let Some(r) = readings
        .iter()
        .find(|r| !(-MAX_GRAMS..=MAX_GRAMS).contains(&r.grams))
    {
        return Err(DomainError::Invalid(format!(
            "scale {} read {} g (at most {MAX_GRAMS} g either way)",
            r.scale, r.grams
        )));
    }
    Ok(())
}

impl DeviceMessage {
    /// Refuses a message with any value out of bounds.
    fn check_bounds(&self) -> Result<(), DomainError> {
        check_seq(self.seq)?;
        check_id("msg_id", &self.msg_id)?;
        match &self.body {
            DeviceEvent::Ack {
                command_id, error, ..
            } => {
                check_id("command_id", command_id)?;
                check_text(
                    "error",
                    error.as_deref().unwrap_or_default(),
                    MAX_TEXT_BYTES,
                )
            }
            DeviceEvent::DoorOpened { session, scales } => {
                check_id("session", session)?;
                check_readings("door-opened", scales)
            }
            DeviceEvent::DoorClosed {
                session,
                before,
                after,
            } => {
                check_id("session", session)?;
                check_readings("before", before)?;
                check_readings("after", after)
            }
            DeviceEvent::ScaleReadings { session, scales } => {
                check_id("session", session.as_deref().unwrap_or_default())?;
                check_readings("scale", scales)
            }
            DeviceEvent::SyncApplied { error, .. } => check_text(
                "error",
                error.as_deref().unwrap_or_default(),
                MAX_TEXT_BYTES,
            ),
            DeviceEvent::Error {
                code,
                message,
                session,
            } => {
                check_id("code", code)?;
                check_text("message", message, MAX_TEXT_BYTES)?;
                check_id("session", session.as_deref().unwrap_or_default())
            }
        }
    }
}

/// How far one message's `seq` may run past the last one applied of the
/// same kind (a session's events, a machine's telemetry) while that one is
/// recent ([`SEQ_WINDOW`]). Far more than a device sends in that window,
/// and more than a millisecond clock advances in it: a device that
/// restarts counting from its clock stays inside.
pub const MAX_SEQ_JUMP: u64 = 1 << 24;
/// How long a `seq` applied orders what comes after it: reports overtake
/// each other within seconds, never minutes. Past this window what arrives
/// later counts as later, so no `seq` however large pins a device for good.
pub const SEQ_WINDOW: chrono::TimeDelta = chrono::TimeDelta::minutes(10);

/// Where a message numbered `seq`, arriving `at`, stands against the last
/// one applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SeqOrder {
    /// It comes after: apply it.
    After,
    /// A duplicate or overtaken: the later one applied stays.
    NotAfter,
    /// More than [`MAX_SEQ_JUMP`] past a recent one: refused, it would
    /// make the device's next reports look overtaken.
    TooFarAhead,
}

/// Orders a message numbered `seq`, arriving `at`, against `last`, the
/// last one applied and when (`None`: nothing applied yet). A `last` more
/// than [`MAX_SEQ_JUMP`] past `seq` was itself out of line (it came first,
/// with nothing to compare it with): `seq` takes its place.
pub fn seq_order(seq: i64, at: DateTime<Utc>, last: Option<(i64, DateTime<Utc>)>) -> SeqOrder {
    let Some((last, last_at)) = last else {
        return SeqOrder::After;
    };
    if at - last_at >= SEQ_WINDOW {
        return SeqOrder::After;
    }
    // Widened: a stored `last` may be any i64.
    let ahead = i128::from(seq) - i128::from(last);
    let jump = i128::from(MAX_SEQ_JUMP);
    match ahead {
        _ if ahead > jump => SeqOrder::TooFarAhead,
        1.. => SeqOrder::After,
        _ if -ahead > jump => SeqOrder::After,
        _ => SeqOrder::NotAfter,
    }
}

fn check_schema(schema: u32) -> Result<(), DomainError> {
    if !(OLDEST_SCHEMA..=SCHEMA_VERSION).contains(&schema) {
        return Err(DomainError::Invalid(format!(
            "device message schema {schema} is not supported ({OLDEST_SCHEMA}..={SCHEMA_VERSION})"
        )));
    }
    Ok(())
}

/// The sequence number of a scale report naming no session (a machine's
/// telemetry), `None` for any other device message. Reads only what tells
/// them apart: a gateway keeps one machine's latest telemetry of many and
/// parses that one whole ([`parse_device_message`]), not every one.
pub fn telemetry_seq(payload: &[u8]) -> Result<Option<u64>, DomainError> {
    #[derive(Deserialize)]
    struct Envelope<'a> {
        schema: u32,
        seq: u64,
        #[serde(rename = "type", borrow)]
        kind: std::borrow::Cow<'a, str>,
        #[serde(default)]
        session: Option<serde::de::IgnoredAny>,
    }
    check_size(payload)?;
    let envelope: Envelope = serde_json::from_slice(payload)
        .map_err(|e| DomainError::Invalid(format!("bad device message: {e}")))?;
    check_schema(envelope.schema)?;
    check_seq(envelope.seq)?;
    Ok((envelope.kind == "scale_readings" && envelope.session.is_none()).then_some(envelope.seq))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The stored kinds are the protocol's `type` words.
    #[test]
    fn kinds_keep_their_stored_words() {
        crate::states::assert_words::<EventKind>(&[
            "ack",
            "door_opened",
            "door_closed",
            "scale_readings",
            "sync_applied",
            "error",
        ]);
        crate::states::assert_words::<CommandKind>(&[
            "open_door",
            "set_mode",
            "sync_planogram",
            "ping",
        ]);
        let ping = serde_json::to_value(CommandBody::Ping).unwrap();
        assert_eq!(ping["type"], CommandBody::Ping.kind().to_string());
    }

    #[test]
    fn telemetry_is_told_apart_by_its_envelope() {
        let reading = |session: Option<&str>| DeviceMessage {
            schema: SCHEMA_VERSION,
            seq: 41,
            msg_id: "m41".into(),
            sent_at: "2026-11-22T10:00:00Z".parse().unwrap(),
            body: DeviceEvent::ScaleReadings {
                session: session.map(str::to_owned),
                scales: vec![],
            },
        };
        let json = |m: &DeviceMessage| serde_json::to_vec(m).unwrap();
        assert_eq!(telemetry_seq(&json(&reading(None))).unwrap(), Some(41));
        assert_eq!(
            telemetry_seq(&json(&reading(Some("vsess_1")))).unwrap(),
            None
        );
        let door = DeviceMessage {
            body: DeviceEvent::DoorOpened {
                session: "vsess_1".into(),
                scales: vec![],
            },
            ..reading(None)
        };
        assert_eq!(telemetry_seq(&json(&door)).unwrap(), None);
        let explicit_null = br#"{"schema":3,"seq":7,"msg_id":"m","sent_at":"2026-11-22T10:00:00Z","type":"scale_readings","session":null,"scales":[]}"#;
        assert_eq!(telemetry_seq(explicit_null).unwrap(), Some(7));
        let future = br#"{"schema":99,"seq":7,"msg_id":"m","sent_at":"2026-11-22T10:00:00Z","type":"scale_readings","scales":[]}"#;
        assert!(telemetry_seq(future).is_err());
        assert!(telemetry_seq(b"{not json").is_err());
    }

    #[test]
    fn topics_round_trip() {
        let id = DeviceId::parse("vm-001").unwrap();
        let t = topic(&id, Channel::Heartbeat);
        assert_eq!(t, "automat/v1/devices/vm-001/heartbeat");
        assert_eq!(parse_topic(&t), Some((id, Channel::Heartbeat)));
    }

    #[test]
    fn messages_have_a_flat_json_shape() {
        let message = DeviceMessage {
            schema: SCHEMA_VERSION,
            seq: 7,
            msg_id: "m7".into(),
            sent_at: "2026-11-22T10:00:00Z".parse().unwrap(),
            body: DeviceEvent::Ack {
                command_id: "cmd_1".into(),
                ok: true,
                error: None,
            },
        };
        let json = serde_json::to_value(&message).unwrap();
        assert_eq!(
            json,
            serde_json::json!({
                "schema": 3, "seq": 7, "msg_id": "m7", "sent_at": "2026-11-22T10:00:00Z",
                "type": "ack", "command_id": "cmd_1", "ok": true
            })
        );
        let bytes = serde_json::to_vec(&message).unwrap();
        assert_eq!(parse_device_message(&bytes).unwrap(), message);
        let command = Command {
            schema: SCHEMA_VERSION,
            command_id: "cmd_2".into(),
            sent_at: message.sent_at,
            body: CommandBody::OpenDoor {
                mode: DeviceMode::Purchase,
                session: "vs_1".into(),
                code: "123456".into(),
                locker: None,
            },
        };
        let json = serde_json::to_value(&command).unwrap();
        assert_eq!(json["type"], "open_door");
        assert_eq!(json["mode"], "purchase");
        assert_eq!(serde_json::from_value::<Command>(json).unwrap(), command);
        let set_mode = serde_json::to_value(CommandBody::SetMode {
            mode: MachineMode::Normal,
        })
        .unwrap();
        assert_eq!(
            set_mode,
            serde_json::json!({"type": "set_mode", "mode": "normal"})
        );
    }

    #[test]
    fn earlier_schemas_are_still_read() {
        let schema_2 = br#"{"schema":2,"seq":1,"msg_id":"m","sent_at":"2026-11-22T10:00:00Z","type":"ack","command_id":"c","ok":true}"#;
        assert_eq!(parse_device_message(schema_2).unwrap().schema, 2);
    }

    #[test]
    fn unknown_schemas_and_shapes_are_refused() {
        let future = br#"{"schema":9,"seq":1,"msg_id":"m","sent_at":"2026-11-22T10:00:00Z","type":"ack","command_id":"c","ok":true}"#;
        assert!(parse_device_message(future).is_err());
        let unknown_type = br#"{"schema":2,"seq":1,"msg_id":"m","sent_at":"2026-11-22T10:00:00Z","type":"explode"}"#;
        assert!(parse_device_message(unknown_type).is_err());
        assert!(parse_device_message(b"not json").is_err());
    }

    fn door_closed(before: i32, after: i32) -> DeviceMessage {
        let reading = |grams| ScaleReading {
            scale: 1,
            grams,
            stable: true,
            at: "2026-11-22T10:00:00Z".parse().unwrap(),
        };
        DeviceMessage {
            schema: SCHEMA_VERSION,
            seq: 7,
            msg_id: "m7".into(),
            sent_at: "2026-11-22T10:00:00Z".parse().unwrap(),
            body: DeviceEvent::DoorClosed {
                session: "vsess_1".into(),
                before: vec![reading(before)],
                after: vec![reading(after)],
            },
        }
    }

    fn read_back(message: &DeviceMessage) -> Result<DeviceMessage, DomainError> {
        parse_device_message(&serde_json::to_vec(message).unwrap())
    }

    #[test]
    fn grams_out_of_range_are_refused_before_anything_is_weighed() {
        assert!(read_back(&door_closed(MAX_GRAMS, -MAX_GRAMS)).is_ok());
        for (before, after) in [
            (i32::MAX, i32::MIN),
            (MAX_GRAMS + 1, 0),
            (0, -MAX_GRAMS - 1),
        ] {
            let refused = read_back(&door_closed(before, after)).unwrap_err();
            assert!(refused.to_string().contains("g (at most"), "{refused}");
        }
        // Beyond i32 the JSON does not even read as a reading.
        let beyond = br#"{"schema":3,"seq":1,"msg_id":"m","sent_at":"2026-11-22T10:00:00Z","type":"door_opened","session":"s","scales":[{"scale":1,"grams":4294967296,"stable":true,"at":"2026-11-22T10:00:00Z"}]}"#;
        assert!(parse_device_message(beyond).is_err());
    }

    #[test]
    fn counts_strings_seqs_and_sizes_out_of_bounds_are_refused() {
        let mut many = door_closed(100, 100);
        if let DeviceEvent::DoorClosed { after, .. } = &mut many.body {
            *after = vec![after[0].clone(); MAX_READINGS + 1];
        }
        assert!(read_back(&many).is_err(), "too many readings");
        let mut long_session = door_closed(100, 100);
        if let DeviceEvent::DoorClosed { session, .. } = &mut long_session.body {
            *session = "s".repeat(MAX_ID_BYTES + 1);
        }
        assert!(read_back(&long_session).is_err(), "a session id too long");
        let long_msg_id = DeviceMessage {
            msg_id: "m".repeat(MAX_ID_BYTES + 1),
            ..door_closed(100, 100)
        };
        assert!(read_back(&long_msg_id).is_err());
        let error = |message: String| DeviceMessage {
            body: DeviceEvent::Error {
                code: "jam".into(),
                message,
                session: None,
            },
            ..door_closed(100, 100)
        };
        assert!(read_back(&error("x".repeat(MAX_TEXT_BYTES))).is_ok());
        assert!(read_back(&error("x".repeat(MAX_TEXT_BYTES + 1))).is_err());
        for seq in [MAX_SEQ + 1, u64::MAX] {
            let absurd = DeviceMessage {
                seq,
                ..door_closed(100, 100)
            };
            assert!(read_back(&absurd).is_err(), "seq {seq}");
            let telemetry = format!(
                r#"{{"schema":3,"seq":{seq},"msg_id":"m","sent_at":"2026-11-22T10:00:00Z","type":"scale_readings","scales":[]}}"#
            );
            assert!(telemetry_seq(telemetry.as_bytes()).is_err(), "seq {seq}");
            let beat = format!(
                r#"{{"schema":3,"seq":{seq},"msg_id":"m","sent_at":"2026-11-22T10:00:00Z"}}"#
            );
            assert!(parse_heartbeat(beat.as_bytes()).is_err(), "seq {seq}");
        }
        let beat = br#"{"schema":3,"seq":9,"msg_id":"m","sent_at":"2026-11-22T10:00:00Z","firmware":"fw"}"#;
        assert_eq!(parse_heartbeat(beat).unwrap().seq, 9);
        let long_firmware = format!(
            r#"{{"schema":3,"online":true,"firmware":"{}"}}"#,
            "f".repeat(MAX_ID_BYTES + 1)
        );
        assert!(parse_status(long_firmware.as_bytes()).is_err());
        assert!(
            parse_status(br#"{"schema":3,"online":true}"#)
                .unwrap()
                .online
        );
        let mut padded = serde_json::to_vec(&door_closed(100, 100)).unwrap();
        padded.pop();
        padded.extend(std::iter::repeat_n(b' ', MAX_MESSAGE_BYTES));
        padded.push(b'}');
        let too_big = parse_device_message(&padded).unwrap_err();
        assert!(too_big.to_string().contains("bytes"), "{too_big}");
        assert!(telemetry_seq(&padded).is_err());
    }

    #[test]
    fn a_seq_far_ahead_is_refused_and_none_pins_a_device() {
        let at = |secs: i64| DateTime::<Utc>::UNIX_EPOCH + chrono::TimeDelta::seconds(secs);
        let jump = MAX_SEQ_JUMP as i64;
        assert_eq!(seq_order(5, at(0), None), SeqOrder::After);
        assert_eq!(seq_order(11, at(1), Some((10, at(0)))), SeqOrder::After);
        assert_eq!(seq_order(10, at(1), Some((10, at(0)))), SeqOrder::NotAfter);
        assert_eq!(seq_order(9, at(1), Some((10, at(0)))), SeqOrder::NotAfter);
        assert_eq!(
            seq_order(10 + jump, at(1), Some((10, at(0)))),
            SeqOrder::After
        );
        assert_eq!(
            seq_order(11 + jump, at(1), Some((10, at(0)))),
            SeqOrder::TooFarAhead
        );
        assert_eq!(
            seq_order(MAX_SEQ as i64, at(1), Some((10, at(0)))),
            SeqOrder::TooFarAhead
        );
        // A last one out of line (it came first) gives way to the next sane one...
        assert_eq!(
            seq_order(10, at(1), Some((MAX_SEQ as i64, at(0)))),
            SeqOrder::After
        );
        assert_eq!(
            seq_order(10, at(1), Some((i64::MAX, at(0)))),
            SeqOrder::After
        );
        // ...and past the window arrival order wins whatever the numbers.
        let window = SEQ_WINDOW.num_seconds();
        assert_eq!(seq_order(9, at(window), Some((10, at(0)))), SeqOrder::After);
        assert_eq!(
            seq_order(i64::MAX, at(window), Some((10, at(0)))),
            SeqOrder::After
        );
        assert_eq!(
            seq_order(i64::MIN, at(1), Some((i64::MAX, at(0)))),
            SeqOrder::After
        );
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
