//! Limits on what anyone can send without signing in: the public forms
//! (an acutely unsafe situation, contact, the newsletter) and signing in.
//! Each client address may send a fixed number of them per window; more
//! are answered `429` with `Retry-After`, before anything is decided or
//! stored. Without this one visitor could fill the database, use up the
//! year's case numbers, or try passwords of many names at once (the lock
//! counts per name, this per address).
//!
//! The count is kept in this node's memory: with several nodes behind a
//! balancer a client may send the limit to each. An IPv6 client is counted
//! by its /64, which is what one subscriber is usually given.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::str::FromStr;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, HeaderName, Method};
use axum::response::{IntoResponse, Response};

use crate::error::ServerError;
use crate::state::AppState;

/// The paths that take a POST from someone not signed in.
const ANONYMOUS_POSTS: &[&str] =
    &["/acuut-onveilig", "/contact", "/nieuwsbrief", "/nieuwsbrief/afmelden", "/inloggen", "/inloggen/code", "/inloggen/passkey", "/api/v1/session"];

/// How many windows' worth of clients are remembered before the expired
/// ones are forgotten: bounds the memory a flood from many addresses takes.
const REMEMBERED: usize = 100_000;

/// `count` requests per `per`, e.g. `30/10m`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rate {
    /// Requests allowed in one window.
    pub count: u32,
    /// The window.
    pub per: Duration,
}

impl Default for Rate {
    /// Thirty in ten minutes: more than a household filling in forms, far
    /// fewer than a script.
    fn default() -> Rate {
        Rate { count: 30, per: Duration::from_secs(600) }
    }
}

impl FromStr for Rate {
    type Err = String;
    fn from_str(text: &str) -> Result<Rate, String> {
        let wrong = || format!("`{text}` is not a rate; write a count and a window, e.g. 30/10m or 100/1h");
        let (count, per) = text.split_once('/').ok_or_else(wrong)?;
        let count: u32 = count.trim().parse().map_err(|_| wrong())?;
        let per: jiff::SignedDuration = per.trim().parse().map_err(|_| wrong())?;
        let per = Duration::try_from(per).map_err(|_| wrong())?;
        if count == 0 || per.is_zero() {
            return Err(format!("`{text}`: both the count and the window must be more than zero"));
        }
        Ok(Rate { count, per })
    }
}

/// The count of each client address in its current window.
#[derive(Debug)]
pub(crate) struct Limiter {
    rate: Rate,
    windows: Mutex<HashMap<IpAddr, (Instant, u32)>>,
}

impl Limiter {
    pub(crate) fn new(rate: Rate) -> Limiter {
        Limiter { rate, windows: Mutex::new(HashMap::new()) }
    }

    /// Counts a request of `client` at `now`; `Err(wait)` when it is over the limit.
    pub(crate) fn count(&self, client: IpAddr, now: Instant) -> Result<(), Duration> {
        let client = counted_as(client);
        let mut windows = self.windows.lock().unwrap_or_else(PoisonError::into_inner);
        if windows.len() >= REMEMBERED {
            windows.retain(|_, (started, _)| now.duration_since(*started) < self.rate.per);
        }
        let window = windows.entry(client).or_insert((now, 0));
        if now.duration_since(window.0) >= self.rate.per {
            *window = (now, 0);
        }
        if window.1 >= self.rate.count {
            return Err(self.rate.per.saturating_sub(now.duration_since(window.0)));
        }
        window.1 += 1;
        Ok(())
    }
}

/// An IPv6 address by its /64; an IPv4 one (also when mapped) as it is.
fn counted_as(client: IpAddr) -> IpAddr {
    match client {
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => IpAddr::V6((u128::from(v6) & !((1u128 << 64) - 1)).into()),
        },
        v4 @ IpAddr::V4(_) => v4,
    }
}

/// The client's address: the last one in `header` when the service is
/// configured to trust the proxy in front of it to set that header
/// (`--client-address-header`), else the connection's peer.
pub(crate) fn client_address(headers: &HeaderMap, peer: Option<SocketAddr>, header: Option<&HeaderName>) -> Option<IpAddr> {
    let forwarded = header.and_then(|name| headers.get_all(name).iter().next_back()).and_then(|value| value.to_str().ok()).and_then(|value| {
        // The proxy appends the address it saw; earlier entries are the client's own say.
        value.rsplit(',').next().map(str::trim).and_then(|last| last.parse::<IpAddr>().ok())
    });
    forwarded.or(peer.map(|peer| peer.ip()))
}

/// The middleware: counts each anonymous POST against its client's limit.
pub(crate) async fn anonymous_posts(State(state): State<AppState>, request: axum::extract::Request, next: axum::middleware::Next) -> Response {
    if request.method() == Method::POST && ANONYMOUS_POSTS.contains(&request.uri().path()) {
        let peer = request.extensions().get::<ConnectInfo<SocketAddr>>().map(|ConnectInfo(peer)| *peer);
        if let Some(client) = client_address(request.headers(), peer, state.client_address_header())
            && let Err(wait) = state.limiter().count(client, Instant::now())
        {
            tracing::info!(path = request.uri().path(), "refused a request over the limit of its address");
            return ServerError::TooManyRequests { retry_after: wait }.into_response();
        }
    }
    next.run(request).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_rate_reads_as_a_count_per_window() {
        assert_eq!("30/10m".parse::<Rate>().unwrap(), Rate { count: 30, per: Duration::from_secs(600) });
        assert_eq!("5 / 1h".parse::<Rate>().unwrap(), Rate { count: 5, per: Duration::from_secs(3600) });
        for bad in ["30", "x/10m", "30/soon", "0/10m", "30/0s", "-1/10m"] {
            assert!(bad.parse::<Rate>().is_err(), "{bad}");
        }
    }

    #[test]
    fn each_address_has_its_own_window_and_an_ipv6_subscriber_one_for_its_64() {
        let limiter = Limiter::new(Rate { count: 2, per: Duration::from_secs(60) });
        let start = Instant::now();
        let one: IpAddr = "192.0.2.1".parse().unwrap();
        assert!(limiter.count(one, start).is_ok() && limiter.count(one, start).is_ok());
        let wait = limiter.count(one, start + Duration::from_secs(20)).unwrap_err();
        assert_eq!(wait, Duration::from_secs(40));
        assert!(limiter.count("192.0.2.2".parse().unwrap(), start).is_ok(), "another address counts apart");
        assert!(limiter.count(one, start + Duration::from_secs(60)).is_ok(), "a new window");
        let (a, b): (IpAddr, IpAddr) = ("2001:db8::1".parse().unwrap(), "2001:db8::ffff:2".parse().unwrap());
        assert!(limiter.count(a, start).is_ok() && limiter.count(b, start).is_ok());
        assert!(limiter.count("2001:db8::3".parse().unwrap(), start).is_err(), "one /64 is one client");
        assert!(limiter.count("2001:db8:0:1::1".parse().unwrap(), start).is_ok());
    }

    #[test]
    fn the_address_comes_from_the_proxys_header_only_when_it_is_trusted() {
        let peer: SocketAddr = "10.0.0.5:4000".parse().unwrap();
        let mut headers = HeaderMap::new();
        headers.insert("x-forwarded-for", "198.51.100.7, 203.0.113.9".parse().unwrap());
        let name = HeaderName::from_static("x-forwarded-for");
        assert_eq!(client_address(&headers, Some(peer), Some(&name)), Some("203.0.113.9".parse().unwrap()));
        assert_eq!(client_address(&headers, Some(peer), None), Some(peer.ip()));
        headers.insert("x-forwarded-for", "not an address".parse().unwrap());
        assert_eq!(client_address(&headers, Some(peer), Some(&name)), Some(peer.ip()));
    }
}
