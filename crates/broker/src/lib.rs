//! Signing in as Dutch citizens and companies do: DigiD, DigiD Machtigen
//! and eHerkenning, reached through a broker that speaks OpenID Connect
//! (the NL GOV Assurance profile), with this crate as the relying party.
//!
//! Design: the protocol is `openidconnect`'s (authorisation code with PKCE,
//! `state` and `nonce`, signature and claim checks); this crate adds what
//! the Dutch means need and nothing else. A [`Provider`] is one configured
//! means; [`Provider::start`] gives the address to send the browser to and
//! the [`Pending`] sign-in the server keeps (never the browser), and
//! [`Provider::finish`] turns the broker's answer into an [`Identity`]: the
//! BSN or KvK number from the token's claims, never typed by the person,
//! at a level of assurance of at least *substantieel* (Wdo). Discovery is
//! lazy and cached; a token signed by a key we do not know yet makes us
//! fetch the broker's keys once more (key rotation) before refusing it.
//! Time is passed in: the token's expiry is checked against the `now` the
//! caller gives. The crate stores nothing and knows no accounts.

#![warn(missing_docs)]

use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use grondslag_values::{Bsn, InvalidValue, Kvk};
use openidconnect::core::{
    CoreAuthenticationFlow, CoreClient, CoreGenderClaim, CoreIdTokenVerifier, CoreJsonWebKeySet, CoreJweContentEncryptionAlgorithm, CoreJwsSigningAlgorithm,
};
use openidconnect::{
    AdditionalClaims, AuthenticationContextClass, AuthorizationCode, ClaimsVerificationError, ClientId, ClientSecret, CsrfToken, IdToken, IssuerUrl, Nonce,
    PkceCodeChallenge, PkceCodeVerifier, ProviderMetadataWithLogout, RedirectUrl, Scope, SignatureVerificationError, TokenResponse,
};
use serde::{Deserialize, Serialize};

/// A means of signing in that a broker offers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Means {
    /// A citizen, with their own BSN.
    Digid,
    /// A citizen acting for another (DigiD Machtigen): both BSNs and the service.
    DigidMachtigen,
    /// A company, with its KvK number (eHerkenning).
    Eherkenning,
}

impl Means {
    /// Every means, in the order the sign-in page offers them.
    pub const ALL: [Means; 3] = [Means::Digid, Means::DigidMachtigen, Means::Eherkenning];

    /// The name in the configuration file and in addresses (`/inloggen/digid`).
    pub fn name(self) -> &'static str {
        match self {
            Means::Digid => "digid",
            Means::DigidMachtigen => "digid-machtigen",
            Means::Eherkenning => "eherkenning",
        }
    }

    /// The means named `name`, as [`Means::name`] gives it.
    pub fn from_name(name: &str) -> Option<Means> {
        Means::ALL.into_iter().find(|m| m.name() == name)
    }

    /// Its name as people know it.
    pub fn label(self) -> &'static str {
        match self {
            Means::Digid => "DigiD",
            Means::DigidMachtigen => "DigiD Machtigen",
            Means::Eherkenning => "eHerkenning",
        }
    }

    /// The claim that carries the number when the configuration names none.
    fn default_claim(self) -> &'static str {
        match self {
            Means::Digid | Means::DigidMachtigen => "bsn",
            Means::Eherkenning => "kvk",
        }
    }

    /// The `acr` value asked for at `level`: DigiD's SAML classes, eHerkenning's levels.
    fn acr(self, level: Level) -> &'static str {
        match (self, level) {
            (Means::Eherkenning, Level::Basis) => "urn:etoegang:core:assurance-class:loa2",
            (Means::Eherkenning, Level::Midden) => "urn:etoegang:core:assurance-class:loa2plus",
            (Means::Eherkenning, Level::Substantieel) => "urn:etoegang:core:assurance-class:loa3",
            (Means::Eherkenning, Level::Hoog) => "urn:etoegang:core:assurance-class:loa4",
            (_, Level::Basis) => "urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport",
            (_, Level::Midden) => "urn:oasis:names:tc:SAML:2.0:ac:classes:MobileTwoFactorContract",
            (_, Level::Substantieel) => "urn:oasis:names:tc:SAML:2.0:ac:classes:Smartcard",
            (_, Level::Hoog) => "urn:oasis:names:tc:SAML:2.0:ac:classes:SmartcardPKI",
        }
    }
}

/// A level of assurance, lowest first (eIDAS: low, substantial, high;
/// DigiD adds *midden* between basis and substantieel).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    /// DigiD with a password only; eHerkenning EH2.
    Basis,
    /// DigiD with an SMS code or the app; eHerkenning EH2+.
    Midden,
    /// DigiD app with ID check; eHerkenning EH3; eIDAS substantial.
    Substantieel,
    /// An identity card with a chip; eHerkenning EH4; eIDAS high.
    Hoog,
}

impl Level {
    /// The level an `acr` value stands for, if it is one we know.
    pub fn of_acr(acr: &str) -> Option<Level> {
        Some(match acr {
            "urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport"
            | "urn:etoegang:core:assurance-class:loa2"
            | "http://eidas.europa.eu/LoA/low" => Level::Basis,
            "urn:oasis:names:tc:SAML:2.0:ac:classes:MobileTwoFactorContract" | "urn:etoegang:core:assurance-class:loa2plus" => Level::Midden,
            "urn:oasis:names:tc:SAML:2.0:ac:classes:Smartcard" | "urn:etoegang:core:assurance-class:loa3" | "http://eidas.europa.eu/LoA/substantial" => {
                Level::Substantieel
            }
            "urn:oasis:names:tc:SAML:2.0:ac:classes:SmartcardPKI" | "urn:etoegang:core:assurance-class:loa4" | "http://eidas.europa.eu/LoA/high" => Level::Hoog,
            _ => return None,
        })
    }

    /// Its Dutch name.
    pub fn name(self) -> &'static str {
        match self {
            Level::Basis => "basis",
            Level::Midden => "midden",
            Level::Substantieel => "substantieel",
            Level::Hoog => "hoog",
        }
    }
}

/// What is wrong with a token the broker gave, in one word for a program.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TokenFault {
    /// Made for another client (`aud`).
    Audience,
    /// Past its `exp`.
    Expired,
    /// Not the answer to our request (`nonce`).
    Nonce,
    /// Signed by a key the broker does not publish, or not signed right.
    Signature,
    /// Issued by another party (`iss`).
    Issuer,
    /// Anything else the checks of OpenID Connect Core §3.1.3.7 refuse.
    Other,
}

impl TokenFault {
    /// The stable code a program (and a test) branches on.
    pub fn code(self) -> &'static str {
        match self {
            TokenFault::Audience => "oidc_wrong_audience",
            TokenFault::Expired => "oidc_token_expired",
            TokenFault::Nonce => "oidc_wrong_nonce",
            TokenFault::Signature => "oidc_unknown_key",
            TokenFault::Issuer => "oidc_wrong_issuer",
            TokenFault::Other => "oidc_token_invalid",
        }
    }

    fn of(error: &ClaimsVerificationError) -> TokenFault {
        match error {
            ClaimsVerificationError::InvalidAudience(_) => TokenFault::Audience,
            ClaimsVerificationError::Expired(_) => TokenFault::Expired,
            ClaimsVerificationError::InvalidNonce(_) => TokenFault::Nonce,
            ClaimsVerificationError::SignatureVerification(_) => TokenFault::Signature,
            ClaimsVerificationError::InvalidIssuer(_) => TokenFault::Issuer,
            _ => TokenFault::Other,
        }
    }

    /// What was wrong, in Dutch.
    fn nl(self) -> &'static str {
        match self {
            TokenFault::Audience => "het bewijs was voor een andere dienst bedoeld",
            TokenFault::Expired => "het bewijs was verlopen",
            TokenFault::Nonce => "het bewijs hoorde niet bij deze inlogpoging",
            TokenFault::Signature => "het bewijs was niet ondertekend met een sleutel die wij kennen",
            TokenFault::Issuer => "het bewijs kwam van een andere partij",
            TokenFault::Other => "het bewijs klopte niet",
        }
    }
}

/// Why signing in through a broker did not work.
#[derive(Debug, thiserror::Error)]
#[allow(missing_docs)] // each variant is documented by its #[error] message
pub enum BrokerError {
    #[error("{file}: {message}")]
    Config { file: String, message: String },
    #[error("{} is not configured here; see docs/server.md (Signing in with DigiD and eHerkenning)", .0.label())]
    NotConfigured(Means),
    #[error("the broker for {} could not be reached: {detail}", means.label())]
    Unreachable { means: Means, detail: String },
    #[error("this sign-in attempt is unknown, expired or already used (state); start signing in again")]
    UnknownAttempt,
    #[error("the broker for {} ended the sign-in: {error}", means.label())]
    Ended { means: Means, error: String },
    #[error("the ID token from {} was refused ({}): {detail}", means.label(), fault.code())]
    Token { means: Means, fault: TokenFault, detail: String },
    #[error("signed in at level {got}, but at least {} is required", needed.name())]
    LevelTooLow { got: String, needed: Level },
    #[error("the ID token from {} carries no `{claim}` claim", means.label())]
    MissingClaim { means: Means, claim: String },
    #[error("the ID token's `{claim}` claim is not valid: {source}")]
    InvalidClaim { means: Means, claim: String, source: InvalidValue },
}

impl BrokerError {
    /// The stable code a program branches on (the problem's `code`).
    pub fn code(&self) -> &'static str {
        match self {
            BrokerError::Config { .. } => "oidc_config",
            BrokerError::NotConfigured(_) => "oidc_not_configured",
            BrokerError::Unreachable { .. } => "oidc_unreachable",
            BrokerError::UnknownAttempt => "oidc_unknown_attempt",
            BrokerError::Ended { .. } => "oidc_ended",
            BrokerError::Token { fault, .. } => fault.code(),
            BrokerError::LevelTooLow { .. } => "oidc_level_too_low",
            BrokerError::MissingClaim { .. } | BrokerError::InvalidClaim { .. } => "oidc_claim_invalid",
        }
    }

    /// The refusal as the page says it, in plain Dutch: what happened and what to do.
    pub fn explain_nl(&self) -> String {
        match self {
            BrokerError::Config { .. } | BrokerError::NotConfigured(_) => {
                "Op deze manier inloggen kan hier nog niet. Log in met je gebruikersnaam en wachtwoord, of neem contact op met het IMG.".to_string()
            }
            BrokerError::Unreachable { means, .. } => format!("{} is nu niet bereikbaar. Probeer het over een paar minuten opnieuw.", means.label()),
            BrokerError::UnknownAttempt => {
                "Deze inlogpoging is verlopen of al gebruikt. Begin opnieuw met inloggen; gebruik daarvoor niet de knop ‘terug’ van je browser.".to_string()
            }
            BrokerError::Ended { means, .. } => {
                format!("Het inloggen met {} is afgebroken. Je bent niet ingelogd. Begin opnieuw als je wilt inloggen.", means.label())
            }
            BrokerError::Token { means, fault, .. } => format!(
                "Wij konden je inloggen met {} niet vertrouwen: {}. Je bent niet ingelogd. Begin opnieuw met inloggen; lukt het dan weer niet, neem dan contact op met het IMG.",
                means.label(),
                fault.nl()
            ),
            BrokerError::LevelTooLow { needed, .. } => format!(
                "Je bent ingelogd op een te laag betrouwbaarheidsniveau. Voor het IMG is minstens niveau {} nodig: log opnieuw in met de DigiD app met ID-check, of met eHerkenning niveau 3 of hoger.",
                needed.name()
            ),
            BrokerError::MissingClaim { means, .. } | BrokerError::InvalidClaim { means, .. } => {
                format!("{} gaf ons niet het nummer waarmee wij je herkennen. Je bent niet ingelogd. Neem contact op met het IMG.", means.label())
            }
        }
    }
}

/// Who signed in, as the token's claims say.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Identity {
    /// A citizen, themselves.
    Citizen(Bsn),
    /// A citizen acting for another under DigiD Machtigen.
    Representative {
        /// Who acts (the `act` claim's number).
        representative: Bsn,
        /// For whom (the token's number).
        represented: Bsn,
        /// The service the mandate is for, when the broker names it.
        service: Option<String>,
    },
    /// A company (eHerkenning).
    Company(Kvk),
}

/// One means as the configuration file describes it.
#[derive(Clone, Debug)]
pub struct ProviderConfig {
    /// Which means this is.
    pub means: Means,
    /// The broker's issuer URL; discovery is at `{issuer}/.well-known/openid-configuration`.
    pub issuer: String,
    /// Our client id at the broker.
    pub client_id: String,
    /// Our client secret at the broker.
    pub client_secret: String,
    /// Scopes to ask besides `openid`.
    pub scopes: Vec<String>,
    /// The claim that carries the BSN or KvK number.
    pub claim: String,
    /// The lowest level accepted; never below substantieel (Wdo).
    pub minimum: Level,
}

impl ProviderConfig {
    /// The broker's origin (scheme, host and port), for the
    /// Content-Security-Policy's `form-action`.
    pub fn origin(&self) -> Option<String> {
        let url = openidconnect::url::Url::parse(&self.issuer).ok()?;
        Some(url.origin().ascii_serialization())
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ProviderFile {
    issuer: String,
    client_id: String,
    client_secret: Option<String>,
    client_secret_file: Option<std::path::PathBuf>,
    #[serde(default)]
    scopes: Vec<String>,
    claim: Option<String>,
    minimum_level: Option<Level>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ConfigFile {
    digid: Option<ProviderFile>,
    #[serde(rename = "digid-machtigen")]
    digid_machtigen: Option<ProviderFile>,
    eherkenning: Option<ProviderFile>,
}

/// Reads the brokers' configuration file (TOML, docs/server.md): a table
/// per means, `[digid]`, `[digid-machtigen]`, `[eherkenning]`.
pub fn read_config(path: &Path) -> Result<Vec<ProviderConfig>, BrokerError> {
    let file = path.display().to_string();
    let error = |message: String| BrokerError::Config { file: file.clone(), message };
    let text = std::fs::read_to_string(path).map_err(|e| error(format!("cannot read it: {e}")))?;
    let parsed: ConfigFile = toml::from_str(&text).map_err(|e| error(e.to_string()))?;
    let mut providers = Vec::new();
    for (means, entry) in [(Means::Digid, parsed.digid), (Means::DigidMachtigen, parsed.digid_machtigen), (Means::Eherkenning, parsed.eherkenning)] {
        let Some(entry) = entry else { continue };
        let table = means.name();
        let client_secret = match (entry.client_secret, entry.client_secret_file) {
            (Some(secret), None) => secret,
            (None, Some(secret_file)) => std::fs::read_to_string(&secret_file)
                .map_err(|e| error(format!("[{table}] client_secret_file {}: cannot read it: {e}", secret_file.display())))?
                .trim()
                .to_string(),
            _ => return Err(error(format!("[{table}]: give exactly one of client_secret_file (preferred) and client_secret"))),
        };
        let minimum = entry.minimum_level.unwrap_or(Level::Substantieel);
        if minimum < Level::Substantieel {
            return Err(error(format!("[{table}] minimum_level = \"{}\": the Wdo requires at least \"substantieel\" for these services", minimum.name())));
        }
        IssuerUrl::new(entry.issuer.clone()).map_err(|e| error(format!("[{table}] issuer `{}`: {e}", entry.issuer)))?;
        providers.push(ProviderConfig {
            means,
            issuer: entry.issuer,
            client_id: entry.client_id,
            client_secret,
            scopes: entry.scopes,
            claim: entry.claim.unwrap_or_else(|| means.default_claim().to_string()),
            minimum,
        });
    }
    Ok(providers)
}

/// A sign-in under way: kept by the server (bound to the browser by a
/// cookie that holds only a random key), used once.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Pending {
    /// The means it was started with.
    pub means: Means,
    state: String,
    nonce: String,
    verifier: String,
    /// Where the person goes once signed in (a local path).
    pub back: String,
}

/// The broker's answer at our return address.
#[derive(Clone, Copy, Debug)]
pub struct Answer<'a> {
    /// The authorisation code.
    pub code: &'a str,
    /// Our `state`, sent back.
    pub state: &'a str,
    /// The issuer the answer says it comes from (RFC 9207), when sent.
    pub iss: Option<&'a str>,
}

/// The claims beyond OpenID Connect's own that the brokers send: the
/// numbers, and for a mandate the acting party (RFC 8693 `act`).
#[derive(Clone, Debug, Serialize, Deserialize)]
struct BrokerClaims {
    #[serde(flatten)]
    other: serde_json::Map<String, serde_json::Value>,
}

impl AdditionalClaims for BrokerClaims {}

type BrokerIdToken = IdToken<BrokerClaims, CoreGenderClaim, CoreJweContentEncryptionAlgorithm, CoreJwsSigningAlgorithm>;

/// What discovery gave: the endpoints and the keys.
#[derive(Debug)]
struct Discovered {
    metadata: ProviderMetadataWithLogout,
}

/// One configured means, with its broker's discovered metadata.
#[derive(Debug)]
pub struct Provider {
    config: ProviderConfig,
    http: ureq::Agent,
    discovered: Mutex<Option<Arc<Discovered>>>,
}

impl Provider {
    /// The means of `config`; nothing is fetched until it is first used.
    pub fn new(config: ProviderConfig) -> Provider {
        // No redirects: a broker's endpoint that redirects elsewhere is not followed (SSRF).
        let http = ureq::AgentBuilder::new().redirects(0).timeout(Duration::from_secs(10)).build();
        Provider { config, http, discovered: Mutex::new(None) }
    }

    /// Which means this is.
    pub fn means(&self) -> Means {
        self.config.means
    }

    fn unreachable(&self, detail: impl std::fmt::Display) -> BrokerError {
        BrokerError::Unreachable { means: self.config.means, detail: detail.to_string() }
    }

    /// The broker's metadata: cached, or fetched afresh when `refresh` (a
    /// key we do not know) or never fetched.
    fn discovered(&self, refresh: bool) -> Result<Arc<Discovered>, BrokerError> {
        if !refresh && let Some(found) = self.discovered.lock().map_err(|_| self.unreachable("a lock was poisoned"))?.as_ref() {
            return Ok(Arc::clone(found));
        }
        let issuer = IssuerUrl::new(self.config.issuer.clone()).map_err(|e| self.unreachable(e))?;
        let metadata = ProviderMetadataWithLogout::discover(&issuer, &self.http).map_err(|e| self.unreachable(error_chain(&e)))?;
        let found = Arc::new(Discovered { metadata });
        *self.discovered.lock().map_err(|_| self.unreachable("a lock was poisoned"))? = Some(Arc::clone(&found));
        Ok(found)
    }

    fn client(
        &self,
        discovered: &Discovered,
        redirect: &str,
    ) -> Result<
        CoreClient<
            openidconnect::EndpointSet,
            openidconnect::EndpointNotSet,
            openidconnect::EndpointNotSet,
            openidconnect::EndpointNotSet,
            openidconnect::EndpointMaybeSet,
            openidconnect::EndpointMaybeSet,
        >,
        BrokerError,
    > {
        let redirect = RedirectUrl::new(redirect.to_string()).map_err(|e| self.unreachable(format!("redirect URL `{redirect}`: {e}")))?;
        Ok(CoreClient::from_provider_metadata(
            discovered.metadata.clone(),
            ClientId::new(self.config.client_id.clone()),
            Some(ClientSecret::new(self.config.client_secret.clone())),
        )
        .set_redirect_uri(redirect))
    }

    /// Starts signing in: the broker's address to send the browser to, and
    /// what the server keeps until the browser comes back to `redirect`.
    pub fn start(&self, redirect: &str, back: &str) -> Result<(String, Pending), BrokerError> {
        let discovered = self.discovered(false)?;
        let client = self.client(&discovered, redirect)?;
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let mut request = client
            .authorize_url(CoreAuthenticationFlow::AuthorizationCode, CsrfToken::new_random, Nonce::new_random)
            .set_pkce_challenge(challenge)
            .add_auth_context_value(AuthenticationContextClass::new(self.config.means.acr(self.config.minimum).to_string()));
        for scope in &self.config.scopes {
            request = request.add_scope(Scope::new(scope.clone()));
        }
        let (url, state, nonce) = request.url();
        let pending = Pending {
            means: self.config.means,
            state: state.secret().clone(),
            nonce: nonce.secret().clone(),
            verifier: verifier.secret().clone(),
            back: back.to_string(),
        };
        Ok((url.to_string(), pending))
    }

    /// Finishes signing in with the broker's answer (`code`, `state` and,
    /// when the broker sends it, `iss` from the redirect): exchanges the
    /// code, checks the ID token against `now` and the level, and reads who
    /// signed in from its claims.
    pub fn finish(&self, pending: &Pending, redirect: &str, answer: &Answer<'_>, now: jiff::Timestamp) -> Result<Identity, BrokerError> {
        if pending.means != self.config.means || pending.state != answer.state {
            return Err(BrokerError::UnknownAttempt);
        }
        let discovered = self.discovered(false)?;
        // RFC 9207: an answer that names another issuer is a mix-up, before any code is spent.
        if let Some(iss) = answer.iss
            && iss != discovered.metadata.issuer().as_str()
        {
            return Err(self.token_error(TokenFault::Issuer, format!("the answer names issuer `{iss}`")));
        }
        let client = self.client(&discovered, redirect)?;
        let response = client
            .exchange_code(AuthorizationCode::new(answer.code.to_string()))
            .map_err(|e| self.unreachable(e))?
            .set_pkce_verifier(PkceCodeVerifier::new(pending.verifier.clone()))
            .request(&self.http)
            .map_err(|e| BrokerError::Ended { means: self.config.means, error: error_chain(&e) })?;
        let raw = response.id_token().ok_or_else(|| self.token_error(TokenFault::Other, "the token response has no id_token"))?.to_string();
        let token: BrokerIdToken = raw.parse().map_err(|e: serde_json::Error| self.token_error(TokenFault::Other, e))?;
        let nonce = Nonce::new(pending.nonce.clone());
        let verified = match self.verify(&token, &discovered, &nonce, now) {
            // A key we have not seen: the broker may have rotated its keys since we looked.
            Err(ClaimsVerificationError::SignatureVerification(SignatureVerificationError::NoMatchingKey)) => {
                let refreshed = self.discovered(true)?;
                self.verify(&token, &refreshed, &nonce, now)
            }
            other => other,
        }
        .map_err(|e| self.token_error(TokenFault::of(&e), error_chain(&e)))?;
        let acr = verified.auth_context_ref().map(|a| a.to_string()).unwrap_or_default();
        match Level::of_acr(&acr) {
            Some(level) if level >= self.config.minimum => {}
            _ => return Err(BrokerError::LevelTooLow { got: if acr.is_empty() { "(none)".to_string() } else { acr }, needed: self.config.minimum }),
        }
        self.identity(&verified.additional_claims().other)
    }

    fn verify<'t>(
        &self,
        token: &'t BrokerIdToken,
        discovered: &Discovered,
        nonce: &Nonce,
        now: jiff::Timestamp,
    ) -> Result<&'t openidconnect::IdTokenClaims<BrokerClaims, CoreGenderClaim>, ClaimsVerificationError> {
        // Discovery fetched the keys with the metadata.
        let keys: CoreJsonWebKeySet = discovered.metadata.jwks().clone();
        let at = chrono_time(now);
        let verifier = CoreIdTokenVerifier::new_confidential_client(
            ClientId::new(self.config.client_id.clone()),
            ClientSecret::new(self.config.client_secret.clone()),
            discovered.metadata.issuer().clone(),
            keys,
        )
        .set_time_fn(move || at);
        token.claims(&verifier, nonce)
    }

    fn token_error(&self, fault: TokenFault, detail: impl std::fmt::Display) -> BrokerError {
        BrokerError::Token { means: self.config.means, fault, detail: detail.to_string() }
    }

    fn number<'c>(&self, claims: &'c serde_json::Map<String, serde_json::Value>) -> Result<&'c str, BrokerError> {
        claims
            .get(&self.config.claim)
            .and_then(serde_json::Value::as_str)
            .ok_or_else(|| BrokerError::MissingClaim { means: self.config.means, claim: self.config.claim.clone() })
    }

    fn bsn(&self, claims: &serde_json::Map<String, serde_json::Value>, at: &str) -> Result<Bsn, BrokerError> {
        Bsn::parse(self.number(claims)?).map_err(|source| BrokerError::InvalidClaim {
            means: self.config.means,
            claim: format!("{at}{}", self.config.claim),
            source,
        })
    }

    fn identity(&self, claims: &serde_json::Map<String, serde_json::Value>) -> Result<Identity, BrokerError> {
        Ok(match self.config.means {
            Means::Digid => Identity::Citizen(self.bsn(claims, "")?),
            Means::Eherkenning => Identity::Company(Kvk::parse(self.number(claims)?).map_err(|source| BrokerError::InvalidClaim {
                means: self.config.means,
                claim: self.config.claim.clone(),
                source,
            })?),
            Means::DigidMachtigen => {
                // NL GOV profile: the token is about the represented person; `act` names who acts.
                let acting = claims
                    .get("act")
                    .and_then(serde_json::Value::as_object)
                    .ok_or_else(|| BrokerError::MissingClaim { means: self.config.means, claim: "act".to_string() })?;
                Identity::Representative {
                    representative: self.bsn(acting, "act.")?,
                    represented: self.bsn(claims, "")?,
                    service: acting.get("service").or_else(|| claims.get("service")).and_then(serde_json::Value::as_str).map(str::to_string),
                }
            }
        })
    }

    /// Where to send the browser to end the broker's session too (OpenID
    /// Connect RP-Initiated Logout 1.0), when the broker offers it. We keep
    /// no ID token (it carries the BSN), so the request names our client id.
    pub fn logout_url(&self, after: &str, state: &str) -> Result<Option<String>, BrokerError> {
        let discovered = self.discovered(false)?;
        let Some(endpoint) = discovered.metadata.additional_metadata().end_session_endpoint.as_ref() else { return Ok(None) };
        let mut url = endpoint.url().clone();
        url.query_pairs_mut().append_pair("client_id", &self.config.client_id).append_pair("post_logout_redirect_uri", after).append_pair("state", state);
        Ok(Some(url.to_string()))
    }
}

fn chrono_time(now: jiff::Timestamp) -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::from_timestamp(now.as_second(), now.subsec_nanosecond().unsigned_abs()).unwrap_or_default()
}

fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_are_ordered_and_read_from_the_acr_values_of_digid_eherkenning_and_eidas() {
        assert!(Level::Basis < Level::Midden && Level::Midden < Level::Substantieel && Level::Substantieel < Level::Hoog);
        for means in Means::ALL {
            for level in [Level::Basis, Level::Midden, Level::Substantieel, Level::Hoog] {
                assert_eq!(Level::of_acr(means.acr(level)), Some(level));
            }
        }
        assert_eq!(Level::of_acr("http://eidas.europa.eu/LoA/substantial"), Some(Level::Substantieel));
        assert_eq!(Level::of_acr("urn:made:up"), None);
    }

    #[test]
    fn the_configuration_refuses_a_level_below_substantieel_and_says_where() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("brokers.toml");
        std::fs::write(&path, "[digid]\nissuer = \"https://broker.example\"\nclient_id = \"img\"\nclient_secret = \"s\"\nminimum_level = \"midden\"\n")
            .unwrap();
        let error = read_config(&path).unwrap_err().to_string();
        assert!(error.contains("brokers.toml") && error.contains("[digid] minimum_level") && error.contains("substantieel"), "{error}");
        std::fs::write(&path, "[eherkenning]\nissuer = \"https://broker.example\"\nclient_id = \"img\"\n").unwrap();
        let error = read_config(&path).unwrap_err().to_string();
        assert!(error.contains("[eherkenning]") && error.contains("client_secret_file"), "{error}");
        std::fs::write(&path, "[eherkenning]\nissuer = \"https://broker.example\"\nclient_id = \"img\"\nclient_secret = \"s\"\n").unwrap();
        let read = read_config(&path).unwrap();
        assert_eq!((read[0].means, read[0].claim.as_str(), read[0].minimum), (Means::Eherkenning, "kvk", Level::Substantieel));
    }
}
