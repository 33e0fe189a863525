//! The children's statement (E6): the public statement's section on the
//! children's scheme, explained to children and young people of 12 to 17.
//!
//! The words are ours and short; the facts are the register's. Which data,
//! from where, who inside sees it, who outside gets it and how long it is
//! kept come from the same processings the public statement renders and
//! the kernel enforces, so the two cannot say different things.

use std::fmt::Write as _;

use grondslag_values::dutch;

use super::{Block, CategoryNotes, anchored, category_label, heading, list, paragraph, readers, retention_nl};
use crate::model::{Basis, ChildrenStatement, Edition, Processing, RecipientKind, Register};

/// Where the site serves the children's statement.
pub const PAGE: &str = "/privacyverklaring/kinderen";

const CHILD_NOTES: CategoryNotes = ("alleen als het nodig is", "extra gevoelig: daar zijn wij extra voorzichtig mee");

/// The children's statement: a short opening, the register's intro, then
/// per processing of the explained section what happens with the data, and
/// what the reader may do.
pub(super) fn blocks(register: &Register, children: &ChildrenStatement, edition: Option<&Edition>) -> Vec<Block> {
    let mut blocks = Vec::new();
    if let Some(edition) = edition {
        blocks.push(paragraph(format!("Versie {}, vastgesteld op {}.", edition.version, dutch::date(edition.date))));
    }
    blocks.push(paragraph(
        "Ben je 17 jaar of jonger? Dan is deze uitleg voor jou. Hier lees je welke gegevens wij over jou gebruiken. \
         Je leest ook waarom, en wat je zelf mag.",
    ));
    blocks.extend(children.intro.split("\n\n").map(|p| paragraph(p.trim())));
    blocks.push(Block::Link {
        text: "De privacyverklaring voor volwassenen over dit onderwerp".to_string(),
        href: format!("/privacyverklaring#sectie-{}", children.section),
    });
    blocks.push(Block::Contents);
    for p in register.processings.iter().filter(|p| children.explains(p)) {
        processing_blocks(register, p, &mut blocks);
    }
    rights_blocks(&mut blocks);
    contact_blocks(register, &mut blocks);
    blocks
}

fn processing_blocks(register: &Register, p: &Processing, blocks: &mut Vec<Block>) {
    blocks.push(anchored(p.name.clone(), format!("verwerking-{}", p.id)));
    blocks.push(heading(3, "Welke gegevens gebruiken wij?".to_string()));
    blocks.push(list(p.categories.iter().map(|c| category_label(c, p.optional, CHILD_NOTES)).collect()));
    if !p.sources.is_empty() {
        blocks.push(heading(3, "Van wie krijgen wij je gegevens?".to_string()));
        blocks.push(list(p.sources.clone()));
    }
    blocks.push(heading(3, "Mogen wij dat?".to_string()));
    blocks.push(paragraph(may_we(p)));
    let readers = readers(p);
    if !readers.is_empty() {
        blocks.push(heading(3, "Wie bij ons kan je gegevens zien?".to_string()));
        blocks.push(paragraph("Alleen mensen die het voor hun werk nodig hebben. De computer houdt bij wie je gegevens bekijkt."));
        blocks.push(list(readers));
    }
    blocks.push(heading(3, "Aan wie geven wij je gegevens?".to_string()));
    if p.disclosures.is_empty() {
        blocks.push(paragraph("Aan niemand. Wij geven deze gegevens niet aan anderen."));
    } else {
        // Which data each one gets is in the public statement, one link
        // away: a list of ten data per party is not read at 12.
        blocks.push(paragraph("Alleen aan deze organisaties. Elke organisatie krijgt alleen de gegevens die zij nodig heeft."));
        blocks.push(list(
            p.disclosures
                .iter()
                .map(|d| {
                    let recipient = register.recipient(d.recipient_id);
                    format!("{} ({})", recipient.name, who_nl(recipient.kind))
                })
                .collect(),
        ));
        blocks.push(Block::Link { text: "Welke gegevens elke organisatie krijgt".to_string(), href: format!("/privacyverklaring#verwerking-{}", p.id) });
    }
    blocks.push(heading(3, "Hoe lang bewaren wij je gegevens?".to_string()));
    blocks.push(paragraph(retention_nl(register, &p.retention)));
    if let Some(dpia) = &p.dpia {
        blocks.push(paragraph(format!(
            "Gegevens van kinderen verdienen extra bescherming. Daarom hebben wij vooraf onderzocht wat de risico's voor je privacy zijn ({dpia})."
        )));
    }
}

/// The legal basis, as an answer to "are we allowed to?".
fn may_we(p: &Processing) -> String {
    let answer = match p.basis {
        Basis::Consent => "Alleen als je er toestemming voor geeft. Ben je jonger dan 16? Dan geven je ouders of voogd die toestemming.",
        Basis::Contract => "Ja. Het is nodig voor een afspraak die wij met je ouders of voogd hebben gemaakt.",
        Basis::LegalObligation => "Ja. De wet verplicht ons ertoe.",
        Basis::VitalInterest => "Ja. Het is nodig om iemand te beschermen tegen gevaar.",
        Basis::PublicTask => "Ja. Het is onze taak, en die taak staat in de wet.",
        Basis::LegitimateInterest => "Ja. Wij hebben er een goede reden voor. Wij hebben ook gekeken of dat niet ten koste gaat van je privacy.",
        Basis::FurtherProcessing => "Ja. Het past bij het doel waarvoor wij je gegevens eerst kregen.",
    };
    let mut text = answer.to_string();
    if !p.basis_articles.is_empty() {
        let _ = write!(text, " Het staat in: {}.", p.basis_articles.join(", "));
    }
    if let Some(ground) = &p.special_ground {
        let _ = write!(text, " Voor extra gevoelige gegevens gelden strengere regels: {ground}. Die gegevens gebruiken wij alleen als het echt nodig is.");
    }
    text
}

/// What kind of party a recipient is, in a child's words.
fn who_nl(kind: RecipientKind) -> &'static str {
    match kind {
        RecipientKind::Processor => "werkt in onze opdracht",
        RecipientKind::PublicBody => "een andere overheid",
        RecipientKind::ThirdParty => "een andere organisatie",
        RecipientKind::LegalObligation => "alleen als de wet het verplicht",
    }
}

/// The rights every person has (AVG art. 15–21), and who uses them for a
/// child: under 16 the parents or guardian (UAVG art. 5), from 16 the
/// young person too.
fn rights_blocks(blocks: &mut Vec<Block>) {
    blocks.push(anchored("Wat mag jij?".to_string(), "rechten".to_string()));
    blocks.push(list(vec![
        "Je mag vragen welke gegevens wij over je hebben.".to_string(),
        "Klopt er iets niet? Dan mag je vragen om het te verbeteren.".to_string(),
        "Je mag vragen om je gegevens te wissen als wij ze niet meer nodig hebben.".to_string(),
        "Je mag vragen of wij even stoppen met je gegevens te gebruiken.".to_string(),
        "Je mag bezwaar maken als je het niet eens bent met wat wij doen.".to_string(),
    ]));
    blocks.push(paragraph(
        "Ben je jonger dan 16? Dan vragen je ouders of voogd dit voor je. Ben je 16 of 17? Dan mag je het ook zelf vragen. \
         Wij geven binnen een maand antwoord.",
    ));
}

fn contact_blocks(register: &Register, blocks: &mut Vec<Block>) {
    let c = &register.contact;
    blocks.push(anchored("Heb je een vraag of een klacht?".to_string(), "contact".to_string()));
    blocks.push(paragraph(format!(
        "Stuur een e-mail naar {} of bel {}. Je mag ook je ouders, je voogd of iemand anders die je vertrouwt vragen om dat voor je te doen.",
        c.email, c.phone
    )));
    blocks.push(paragraph(
        "Ben je het niet eens met wat wij doen? Dan kun je een klacht indienen bij de Autoriteit Persoonsgegevens. \
         Die controleert of iedereen zich aan de regels voor privacy houdt.",
    ));
}
