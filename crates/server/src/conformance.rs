//! What every Dutch government website must publish beyond its own pages:
//! `/.well-known/security.txt` (RFC 9116, on the "pas toe of leg uit"
//! list of Forum Standaardisatie) and the accessibility statement
//! (toegankelijkheidsverklaring, Besluit digitale toegankelijkheid
//! overheid) in the model of digitoegankelijk.nl.
//!
//! security.txt promises that its contact works until `Expires`. The
//! operator sets that date; without one, it follows from the register's
//! date (see [`SecurityTxt::from_register`]), and the service warns at
//! start-up, and `grondslag serve --check` fails, when it is near or past.

use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use jiff::civil::Date;
use jiff::{Timestamp, ToSpan};
use maud::{Markup, html};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::layout::layout;
use crate::openapi;
use crate::state::AppState;
use crate::visitor::{Signed, Visitor};

/// How long before `Expires` the warning starts: time enough to check
/// the contact and set a new date.
const WARN_DAYS: i64 = 30;

/// The date the accessibility statement was drawn up; set anew whenever
/// its content changes (the model asks for the date of the statement,
/// not of the page view).
const STATEMENT_DATE: Date = jiff::civil::date(2026, 12, 1);

pub(crate) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(security_txt)).routes(routes!(accessibility))
}

/// The fields of security.txt (RFC 9116) this service publishes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SecurityTxt {
    /// Where to report a vulnerability: `mailto:`, `https:` or `tel:` URIs, in order of preference.
    pub contacts: Vec<String>,
    /// Until when the file may be relied on.
    pub expires: Timestamp,
    /// The file's own address, under the origin clients reach the service at.
    pub canonical: String,
    /// The organisation's disclosure policy, if it publishes one.
    pub policy: Option<String>,
}

impl SecurityTxt {
    /// What the register already says: its `[contact]` e-mail as the
    /// contact, and an expiry one year after the register's `date`, the
    /// day the organisation last reviewed what it publishes (contact
    /// included). Not a year after start-up: that would renew a promise
    /// nobody checked. An old register so gives an expired file, and the
    /// warning says to set `--security-expires`. `origin` is where clients
    /// reach the service (`--public-origin`); without it, the origin of
    /// the register's `base_uri`.
    pub fn from_register(register: &grondslag_register::Register, origin: Option<&str>) -> SecurityTxt {
        // The register's last review: the newest date of its statements.
        let reviewed = register.meta.editions.iter().map(|e| e.date).max().unwrap_or(jiff::civil::Date::MIN);
        let expires =
            reviewed.checked_add(1.year()).and_then(|date| date.to_zoned(jiff::tz::TimeZone::UTC)).map_or(Timestamp::UNIX_EPOCH, |zoned| zoned.timestamp());
        let origin = origin.map_or_else(|| origin_of(&register.meta.base_uri), str::to_string);
        SecurityTxt {
            contacts: vec![format!("mailto:{}", register.contact.email)],
            expires,
            canonical: format!("{}/.well-known/security.txt", origin.trim_end_matches('/')),
            policy: None,
        }
    }

    /// The file, one field a line (LF), in the order of RFC 9116's examples.
    pub fn render(&self) -> String {
        let mut text = String::from("# Beveiligingsprobleem gevonden? Meld het ons (coordinated vulnerability disclosure).\n");
        for contact in &self.contacts {
            text.push_str(&format!("Contact: {contact}\n"));
        }
        text.push_str(&format!("Expires: {}\n", self.expires.strftime("%Y-%m-%dT%H:%M:%SZ")));
        text.push_str("Preferred-Languages: nl, en\n");
        text.push_str(&format!("Canonical: {}\n", self.canonical));
        if let Some(policy) = &self.policy {
            text.push_str(&format!("Policy: {policy}\n"));
        }
        text
    }

    /// A warning when `Expires` is less than 30 days after `now`, or past.
    pub fn expiry_warning(&self, now: Timestamp) -> Option<String> {
        let expires = self.expires.strftime("%Y-%m-%d %H:%M UTC");
        if self.expires <= now {
            return Some(format!(
                "security.txt expired on {expires}: finders of a vulnerability are told not to rely on its contact; check that {} still works and set a new date with --security-expires (at most a year ahead)",
                self.contacts.join(", ")
            ));
        }
        let left = self.expires.duration_since(now);
        (left < jiff::SignedDuration::from_hours(24 * WARN_DAYS)).then(|| {
            format!(
                "security.txt expires on {expires}, in {} day(s): check that {} still works and set a new date with --security-expires (at most a year ahead)",
                left.as_hours() / 24,
                self.contacts.join(", ")
            )
        })
    }
}

/// `https://host:port` of a URL (everything before its path).
fn origin_of(url: &str) -> String {
    let after_scheme = url.find("://").map_or(0, |i| i + 3);
    match url[after_scheme..].find('/') {
        Some(path) => url[..after_scheme + path].to_string(),
        None => url.to_string(),
    }
}

/// Where to report a vulnerability (RFC 9116).
#[utoipa::path(get, path = "/.well-known/security.txt", tag = "pages", responses((status = 200, content_type = "text/plain")), extensions(("x-register" = json!(openapi::public()))))]
async fn security_txt(State(state): State<AppState>) -> Response {
    ([(header::CONTENT_TYPE, "text/plain; charset=utf-8")], state.security_txt().render()).into_response()
}

/// The accessibility statement (toegankelijkheidsverklaring), in the
/// model of digitoegankelijk.nl.
#[utoipa::path(get, path = "/toegankelijkheid", tag = "pages", responses((status = 200, content_type = "text/html")), extensions(("x-register" = json!(openapi::public()))))]
async fn accessibility(State(state): State<AppState>, visitor: Visitor) -> Markup {
    let signed = Signed::optional(Signed::from_visitor(visitor));
    let register = state.kernel().register();
    let contact = &register.contact;
    layout(
        "Toegankelijkheidsverklaring",
        signed.as_ref(),
        html! {
            p { (register.meta.controller) " wil dat iedereen deze website kan gebruiken, ook met een beperking. Daarom houden wij ons aan de eisen voor overheidswebsites uit het Besluit digitale toegankelijkheid overheid." }
            h2 { "Over welke website gaat deze verklaring?" }
            dl {
                dt { "Organisatie" } dd { (register.meta.controller) }
                dt { "Website" } dd { "Deze website: de openbare pagina's, het portaal Mijn gegevens en de pagina's voor medewerkers van het IMG." }
                dt { "Standaard" } dd { "WCAG 2.1 niveau AA, zoals vastgelegd in de Europese norm EN 301 549." }
                dt { "Status" } dd { strong { "C: eerste maatregelen genomen" } }
                dt { "Datum van deze verklaring" } dd { (grondslag_values::dutch::date(STATEMENT_DATE)) }
            }
            h2 { "Wat wij hebben gedaan" }
            p { "Een onafhankelijk onderzoek (audit) van deze website is nog niet gedaan. Daarom kunnen wij nog niet zeggen dat de website aan alle eisen voldoet." }
            p { "Wel controleren wij bij elke wijziging van de software elke pagina automatisch met axe-core, een hulpmiddel dat fouten tegen WCAG 2.1 A en AA opspoort. De tests van de software falen zodra die controle een fout vindt. Zo'n automatische controle vindt maar een deel van de mogelijke problemen; de audit moet de rest laten zien." }
            p { "De pagina's gebruiken geen script, hebben een link om direct naar de inhoud te gaan, en een foutmelding in een formulier verwijst naar het veld waar het om gaat." }
            h2 { "Wat nog niet goed is" }
            ul {
                li { "Voor de opnames van telefoongesprekken die coaches en medewerkers van het klantcontactcentrum terugluisteren, is geen uitgeschreven tekst (WCAG 1.2.1). Het monitoringsformulier en het verslag beschrijven wel wat er in het gesprek gebeurde." }
                li { "Wat de audit vindt, zetten wij hier, met wanneer wij het oplossen." }
            }
            h2 { "Kun je iets niet gebruiken?" }
            p {
                "Laat het ons weten, dan helpen wij je op een andere manier en lossen wij het probleem op. Mail naar "
                a href={ "mailto:" (contact.email) } { (contact.email) }
                ", bel " (contact.phone) " of schrijf naar " (contact.post) "."
            }
            h2 { "Niet tevreden met onze reactie?" }
            p {
                "Ben je niet tevreden over hoe wij je melding hebben behandeld, of hoor je niets van ons? Dan kun je een klacht indienen bij de Nationale ombudsman: "
                a href="https://www.nationaleombudsman.nl" { "www.nationaleombudsman.nl" }
                ", telefoon 0800 33 55 555."
            }
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(expires: &str) -> SecurityTxt {
        SecurityTxt {
            contacts: vec!["mailto:security@example.nl".into()],
            expires: expires.parse().unwrap(),
            canonical: "https://example.nl/.well-known/security.txt".into(),
            policy: None,
        }
    }

    #[test]
    fn warns_only_within_thirty_days_of_expiry_or_after_it() {
        let now: Timestamp = "2026-12-01T00:00:00Z".parse().unwrap();
        assert_eq!(file("2027-06-01T00:00:00Z").expiry_warning(now), None);
        assert!(file("2026-12-20T00:00:00Z").expiry_warning(now).unwrap().contains("in 19 day(s)"));
        assert!(file("2026-11-30T00:00:00Z").expiry_warning(now).unwrap().contains("expired on 2026-11-30"));
    }

    #[test]
    fn the_origin_of_a_url_is_everything_before_its_path() {
        assert_eq!(origin_of("https://register.example/processing_activities"), "https://register.example");
        assert_eq!(origin_of("https://register.example:8443"), "https://register.example:8443");
    }
}
