//! What clients may hold of the relay: connections in total and per source
//! address, time to sign in, bytes waiting. Past a limit a connection is
//! closed, and the closing logged ([`Refusals`]).

use std::{
    collections::HashMap,
    net::{IpAddr, Ipv6Addr, SocketAddr},
    sync::{Arc, Mutex, PoisonError},
    time::{Duration, Instant},
};

/// The relay's limits (settings: [`EmbeddedBrokerSettings`](crate::vending::broker::EmbeddedBrokerSettings)).
#[derive(Debug, Clone)]
pub struct Limits {
    /// From the TCP accept to a whole CONNECT, the TLS handshake included.
    pub connect_timeout: Duration,
    pub max_connections: usize,
    /// Connections from one IPv4 address, or one IPv6 /64 (what one
    /// subscriber usually gets).
    pub max_per_address: usize,
    /// Bytes of one connection's reports waiting for the gateway.
    pub max_queued_bytes: usize,
}

/// The connections open, in total and per source address.
#[derive(Default)]
pub struct Connections(Mutex<Open>);

#[derive(Default)]
struct Open {
    total: usize,
    by_address: HashMap<IpAddr, usize>,
}

/// A connection counted in [`Connections`] until dropped.
pub struct Slot {
    connections: Arc<Connections>,
    address: IpAddr,
}

/// The limit a connection met.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Full {
    Total,
    Address,
}

impl Full {
    pub fn describe(self, limits: &Limits) -> String {
        match self {
            Full::Total => format!(
                "{} connections open, the most allowed",
                limits.max_connections
            ),
            Full::Address => format!(
                "{} connections open from this address, the most allowed",
                limits.max_per_address
            ),
        }
    }
}

impl Connections {
    /// Counts a connection from `peer`, unless a limit is reached.
    pub fn take(self: &Arc<Self>, peer: IpAddr, limits: &Limits) -> Result<Slot, Full> {
        let address = address_of(peer);
        let mut open = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        if open.total >= limits.max_connections {
            return Err(Full::Total);
        }
        let from_address = open.by_address.get(&address).copied().unwrap_or(0);
        if from_address >= limits.max_per_address {
            return Err(Full::Address);
        }
        open.by_address.insert(address, from_address + 1);
        open.total += 1;
        Ok(Slot {
            connections: self.clone(),
            address,
        })
    }

    #[cfg(test)]
    pub fn open(&self) -> usize {
        self.0.lock().unwrap().total
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut open = self
            .connections
            .0
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        open.total -= 1;
        if let Some(count) = open.by_address.get_mut(&self.address) {
            *count -= 1;
            if *count == 0 {
                open.by_address.remove(&self.address);
            }
        }
    }
}

/// The address a connection counts against: an IPv4 address (also when
/// mapped into IPv6), or the /64 network of an IPv6 one, since a single
/// subscriber holds a whole /64.
fn address_of(peer: IpAddr) -> IpAddr {
    match peer {
        IpAddr::V4(v4) => IpAddr::V4(v4),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => IpAddr::V6(Ipv6Addr::from_bits(v6.to_bits() & !u128::from(u64::MAX))),
        },
    }
}

/// How often, at most, refused connections are logged: a flood of them
/// must not flood the log too.
const LOG_EVERY: Duration = Duration::from_secs(10);

/// Logs connections closed for a limit: the first at once, then at most
/// one line every [`LOG_EVERY`], counting those in between.
#[derive(Default)]
pub struct Refusals(Mutex<(Option<Instant>, u64)>);

impl Refusals {
    pub fn note(&self, peer: Option<SocketAddr>, why: &str) {
        let mut state = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        let (last, unlogged) = &mut *state;
        let now = Instant::now();
        if last.is_some_and(|at| now.duration_since(at) < LOG_EVERY) {
            *unlogged += 1;
            return;
        }
        let peer = peer.map(|p| p.to_string()).unwrap_or_default();
        tracing::warn!(
            peer,
            refused_since_last_line = *unlogged,
            "MQTT connection closed: {why}"
        );
        (*last, *unlogged) = (Some(now), 0);
    }
}

#[cfg(test)]
mod tests {
    use std::{net::IpAddr, sync::Arc, time::Duration};

    use super::{Connections, Full, Limits, address_of};

    fn limits(total: usize, per_address: usize) -> Limits {
        Limits {
            connect_timeout: Duration::from_secs(5),
            max_connections: total,
            max_per_address: per_address,
            max_queued_bytes: 1024,
        }
    }

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[test]
    fn connections_are_capped_in_total_and_per_address_until_they_close() {
        let connections = Arc::new(Connections::default());
        let limits = limits(3, 2);
        let first = connections.take(ip("10.0.0.1"), &limits).unwrap();
        let _second = connections.take(ip("10.0.0.1"), &limits).unwrap();
        assert_eq!(
            connections.take(ip("10.0.0.1"), &limits).err(),
            Some(Full::Address)
        );
        let _other = connections.take(ip("10.0.0.2"), &limits).unwrap();
        assert_eq!(
            connections.take(ip("10.0.0.3"), &limits).err(),
            Some(Full::Total)
        );
        drop(first);
        assert_eq!(connections.open(), 2);
        assert!(connections.take(ip("10.0.0.1"), &limits).is_ok());
    }

    #[test]
    fn an_ipv6_network_counts_as_one_address() {
        assert_eq!(address_of(ip("2001:db8:1:2::1")), ip("2001:db8:1:2::"));
        assert_eq!(
            address_of(ip("2001:db8:1:2:ffff:ffff:ffff:ffff")),
            ip("2001:db8:1:2::")
        );
        assert_ne!(address_of(ip("2001:db8:1:3::1")), ip("2001:db8:1:2::"));
        assert_eq!(address_of(ip("::ffff:10.0.0.1")), ip("10.0.0.1"));
        assert_eq!(address_of(ip("10.0.0.1")), ip("10.0.0.1"));
    }
}
