//! How a connection to PostgreSQL is secured: libpq's `sslmode` and
//! `sslrootcert` in the URL, so a URL that works with `psql` works here —
//! with one difference. Without `sslmode`, libpq encrypts if the server
//! offers it and verifies nothing; grondslag does that only for a server on
//! this machine (loopback or a Unix socket, where there is no network to
//! tap) and otherwise verifies the server's certificate and name
//! (`verify-full`). Personal data does not cross a network to a server
//! nobody checked unless the URL says so.
//!
//! | `sslmode` | encrypted | server checked |
//! | --- | --- | --- |
//! | `disable` | no | no |
//! | `allow`, `prefer` | if the server offers it | no |
//! | `require` | yes | no |
//! | `verify-ca` | yes | its certificate chains to `sslrootcert` |
//! | `verify-full` | yes | and names the host connected to |

use std::net::IpAddr;
use std::path::PathBuf;
use std::sync::Arc;

use rustls::DigitallySignedStruct;
use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{CryptoProvider, verify_tls12_signature, verify_tls13_signature};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use tokio_postgres::config::{Host, SslMode};
use tokio_postgres_rustls::MakeRustlsConnect;

use crate::StoreError;

/// What the URL asks of the server.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Check {
    /// No TLS at all.
    Nothing,
    /// TLS if the server offers it, its certificate unchecked.
    Prefer,
    /// TLS, its certificate unchecked.
    Encrypt,
    /// TLS with a certificate issued under `sslrootcert`.
    Chain,
    /// TLS with a certificate issued under `sslrootcert` for the host's name.
    ChainAndName,
}

/// A database URL taken apart: the server's settings and how to secure
/// connections to it.
#[derive(Clone)]
pub(crate) struct Connector {
    pub(crate) config: tokio_postgres::Config,
    tls: MakeRustlsConnect,
}

impl std::fmt::Debug for Connector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Connector").field("config", &self.config).finish_non_exhaustive()
    }
}

impl Connector {
    /// Reads `url` (`postgres://user@host:port/db?sslmode=…&sslrootcert=…`).
    pub(crate) fn new(url: &str) -> Result<Connector, StoreError> {
        let invalid = |reason: String| StoreError::DatabaseUrl(reason);
        let (base, query) = url.split_once('?').unwrap_or((url, ""));
        let (mut sslmode, mut rootcert, mut rest) = (None, None, Vec::new());
        for pair in query.split('&').filter(|p| !p.is_empty()) {
            match pair.split_once('=') {
                Some(("sslmode", value)) => sslmode = Some(value.to_string()),
                Some(("sslrootcert", value)) => rootcert = Some(PathBuf::from(percent_decoded(value).map_err(invalid)?)),
                _ => rest.push(pair),
            }
        }
        let rest = if rest.is_empty() { base.to_string() } else { format!("{base}?{}", rest.join("&")) };
        let mut config: tokio_postgres::Config =
            rest.parse().map_err(|e| invalid(format!("{e}; give one like postgres://user@host:5432/database?sslmode=verify-full&sslrootcert=/path/ca.pem")))?;
        let check = match sslmode.as_deref() {
            None if on_this_machine(&config) => Check::Prefer,
            None => Check::ChainAndName,
            Some("disable") => Check::Nothing,
            Some("allow" | "prefer") => Check::Prefer,
            Some("require") => Check::Encrypt,
            Some("verify-ca") => Check::Chain,
            Some("verify-full") => Check::ChainAndName,
            Some(other) => {
                return Err(invalid(format!("sslmode={other} is not one of disable, allow, prefer, require, verify-ca, verify-full")));
            }
        };
        config.ssl_mode(match check {
            Check::Nothing => SslMode::Disable,
            Check::Prefer => SslMode::Prefer,
            Check::Encrypt | Check::Chain | Check::ChainAndName => SslMode::Require,
        });
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let chain = match check {
            Check::Nothing | Check::Prefer | Check::Encrypt => None,
            Check::Chain | Check::ChainAndName => {
                let Some(path) = rootcert else {
                    let why = if sslmode.is_none() { "the server is on another machine, so its certificate is checked: " } else { "" };
                    return Err(invalid(format!(
                        "{why}name the certificate authority that issued the server's certificate with sslrootcert=/path/ca.pem \
                         (or, knowing the network is private, sslmode=require)"
                    )));
                };
                let verifier = WebPkiServerVerifier::builder_with_provider(Arc::new(roots(&path)?), Arc::clone(&provider))
                    .build()
                    .map_err(|e| invalid(format!("sslrootcert {}: {e}", path.display())))?;
                Some(verifier)
            }
        };
        let verifier = Arc::new(ServerCheck { provider: Arc::clone(&provider), chain, name: check != Check::Chain });
        let tls = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| invalid(format!("TLS: {e}")))?
            .dangerous()
            .with_custom_certificate_verifier(verifier)
            .with_no_client_auth();
        Ok(Connector { config, tls: MakeRustlsConnect::new(tls) })
    }

    /// A new connection, secured as the URL asked, whose statements can be
    /// sent without waiting for the answers to the ones before: the
    /// connection's own work is spawned on `runtime` (one thread, which runs
    /// it while the caller waits on the client).
    pub(crate) fn connect_on(&self, runtime: &tokio::runtime::Runtime) -> Result<tokio_postgres::Client, tokio_postgres::Error> {
        let (client, connection) = runtime.block_on(self.config.connect(self.tls.clone()))?;
        runtime.spawn(async move {
            if let Err(e) = connection.await {
                tracing::warn!(error = %e, "a connection to PostgreSQL failed");
            }
        });
        Ok(client)
    }
}

/// Whether every host of `config` is this machine.
fn on_this_machine(config: &tokio_postgres::Config) -> bool {
    config.get_hosts().iter().all(|host| match host {
        Host::Unix(_) => true,
        Host::Tcp(name) => name == "localhost" || name.trim_matches(['[', ']']).parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback()),
    })
}

/// The certificates of the PEM file at `path`.
fn roots(path: &std::path::Path) -> Result<rustls::RootCertStore, StoreError> {
    let unreadable = |e: &dyn std::fmt::Display| StoreError::DatabaseUrl(format!("sslrootcert {}: {e}", path.display()));
    let mut roots = rustls::RootCertStore::empty();
    for certificate in CertificateDer::pem_file_iter(path).map_err(|e| unreadable(&e))? {
        roots.add(certificate.map_err(|e| unreadable(&e))?).map_err(|e| unreadable(&e))?;
    }
    if roots.is_empty() {
        return Err(unreadable(&"holds no PEM certificate"));
    }
    Ok(roots)
}

/// `text` with its %XX escapes decoded, as URLs carry a path.
fn percent_decoded(text: &str) -> Result<String, String> {
    let mut bytes = Vec::with_capacity(text.len());
    let mut rest = text.as_bytes();
    while let Some((&first, tail)) = rest.split_first() {
        if first == b'%' {
            let byte = tail.get(..2).and_then(|hex| u8::from_str_radix(std::str::from_utf8(hex).ok()?, 16).ok());
            bytes.push(byte.ok_or_else(|| format!("'{text}' has a % not followed by two hexadecimal digits"))?);
            rest = tail.get(2..).unwrap_or_default();
        } else {
            bytes.push(first);
            rest = tail;
        }
    }
    String::from_utf8(bytes).map_err(|_| format!("'{text}' does not decode to UTF-8"))
}

/// The server's certificate as the URL's `sslmode` asks it checked. The
/// server always proves it holds the key of the certificate it shows; with
/// no `chain`, nobody vouches for that certificate (libpq's `require`);
/// without `name`, it must chain to a trusted authority whatever name it
/// carries (`verify-ca`: a server reached by an address its certificate
/// does not list).
#[derive(Debug)]
struct ServerCheck {
    provider: Arc<CryptoProvider>,
    chain: Option<Arc<WebPkiServerVerifier>>,
    name: bool,
}

impl ServerCertVerifier for ServerCheck {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let Some(chain) = &self.chain else { return Ok(ServerCertVerified::assertion()) };
        // The name is checked last, after the chain: a name error means the
        // chain held.
        match chain.verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now) {
            Err(rustls::Error::InvalidCertificate(rustls::CertificateError::NotValidForName | rustls::CertificateError::NotValidForNameContext { .. }))
                if !self.name =>
            {
                Ok(ServerCertVerified::assertion())
            }
            checked => checked,
        }
    }

    fn verify_tls12_signature(&self, message: &[u8], cert: &CertificateDer<'_>, dss: &DigitallySignedStruct) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls12_signature(message, cert, dss, &self.provider.signature_verification_algorithms)
    }

    fn verify_tls13_signature(&self, message: &[u8], cert: &CertificateDer<'_>, dss: &DigitallySignedStruct) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls13_signature(message, cert, dss, &self.provider.signature_verification_algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        self.provider.signature_verification_algorithms.supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The test server's address parts, or `None` (skipped) without one.
    fn test_server() -> Option<(String, u16)> {
        let url = std::env::var("GRONDSLAG_TEST_DATABASE_URL").ok().filter(|u| !u.is_empty())?;
        let config: postgres::Config = url.parse().unwrap();
        Some((config.get_user().unwrap().to_string(), config.get_ports().first().copied().unwrap_or(5432)))
    }

    /// A plain client on a connection made as `connector` says.
    fn connect(connector: &Connector) -> Result<postgres::Client, postgres::Error> {
        postgres::Config::from(connector.config.clone()).connect(connector.tls.clone())
    }

    /// Whether a connection made as `url` asks is encrypted, by the server's account.
    fn encrypted(url: &str) -> Result<bool, String> {
        let connector = Connector::new(url).map_err(|e| e.to_string())?;
        let mut client = connect(&connector).map_err(|e| format!("{e:?}"))?;
        Ok(client.query_one("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()", &[]).unwrap().get(0))
    }

    // req: I.SEC
    #[test]
    fn connections_are_encrypted_and_the_server_checked_as_the_url_asks() {
        let Some((user, port)) = test_server() else { return eprintln!("GRONDSLAG_TEST_DATABASE_URL is not set: skipped") };
        let url = |host: &str, query: &str| format!("postgres://{user}@{host}:{port}/postgres?{query}");
        let mut plain = connect(&Connector::new(&url("127.0.0.1", "sslmode=disable")).unwrap()).unwrap();
        let ssl: String = plain.query_one("SHOW ssl", &[]).unwrap().get(0);
        assert_eq!(ssl, "on", "the test server must offer TLS (ssl = on in postgresql.conf)");
        let certificate: String = plain.query_one("SHOW ssl_cert_file", &[]).unwrap().get(0);

        assert_eq!(encrypted(&url("127.0.0.1", "sslmode=disable")), Ok(false));
        // On this machine, with nothing said: encrypted when offered.
        assert_eq!(encrypted(&url("127.0.0.1", "")), Ok(true));
        assert_eq!(encrypted(&url("127.0.0.1", "sslmode=require")), Ok(true));
        // The server's certificate is self-signed for "localhost": it is its own authority.
        let trusting = format!("sslrootcert={certificate}");
        assert_eq!(encrypted(&url("localhost", &format!("sslmode=verify-full&{trusting}"))), Ok(true));
        assert_eq!(encrypted(&url("127.0.0.1", &format!("sslmode=verify-ca&{trusting}"))), Ok(true));
        let wrong_name = encrypted(&url("127.0.0.1", &format!("sslmode=verify-full&{trusting}"))).unwrap_err();
        assert!(wrong_name.contains("NotValidForName"), "{wrong_name}");

        // Another authority's certificate vouches for nothing here.
        let other = rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let other_ca = dir.path().join("other ca.pem");
        std::fs::write(&other_ca, other.cert.pem()).unwrap();
        let escaped = other_ca.display().to_string().replace(' ', "%20");
        for mode in ["verify-ca", "verify-full"] {
            let refused = encrypted(&url("localhost", &format!("sslmode={mode}&sslrootcert={escaped}"))).unwrap_err();
            assert!(refused.contains("UnknownIssuer"), "{mode}: {refused}");
        }
    }

    // req: I.SEC
    #[test]
    fn a_server_elsewhere_is_checked_unless_the_url_says_otherwise() {
        let refused = Connector::new("postgres://u@db.example.nl/grondslag").unwrap_err().to_string();
        assert!(refused.contains("on another machine") && refused.contains("sslrootcert="), "{refused}");
        let refused = Connector::new("postgres://u@db.example.nl/grondslag?sslmode=verify-ca").unwrap_err().to_string();
        assert!(refused.contains("sslrootcert=") && !refused.contains("another machine"), "{refused}");
        assert!(Connector::new("postgres://u@db.example.nl/grondslag?sslmode=require").is_ok());
        for here in ["localhost", "127.0.0.1", "[::1]", "%2Fvar%2Frun%2Fpostgresql"] {
            assert!(Connector::new(&format!("postgres://u@{here}/grondslag")).is_ok(), "{here}");
        }
        let refused = Connector::new("postgres://u@localhost/grondslag?sslmode=verify").unwrap_err().to_string();
        assert!(refused.contains("sslmode=verify is not one of"), "{refused}");
        let refused = Connector::new("postgres://u@localhost/g?sslmode=verify-full&sslrootcert=/nonexistent/ca.pem").unwrap_err().to_string();
        assert!(refused.contains("sslrootcert /nonexistent/ca.pem"), "{refused}");
        let refused = Connector::new("postgres://u@localhost/g?sslmode=verify-full&sslrootcert=%zz").unwrap_err().to_string();
        assert!(refused.contains("not followed by two hexadecimal digits"), "{refused}");
    }
}
