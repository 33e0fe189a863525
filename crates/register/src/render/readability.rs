//! How easy a statement is to read: the Flesch–Douma index, Flesch's
//! reading ease fitted to Dutch by W.H. Douma (1960):
//! 206.84 − 0.77 × syllables per 100 words − 0.93 × words per sentence.
//! Higher is easier; 60–70 is plain language, 80 and up is easy.
//!
//! The counts are a plain reader's, not a linguist's: a sentence ends at
//! `.`, `!` or `?` before a capital (so "art. 2" does not end one), each
//! list entry is a sentence, and a syllable is a group of vowels (a vowel
//! with a diaeresis, as in "financiële", starts a new one). Tables and
//! headings are left out: they are not read as prose. So is "what
//! changed", which quotes earlier text.

use std::fmt;

use super::{Block, CHANGES, Document};

/// The counts of a statement's prose and the index they give.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Readability {
    /// Sentences (and list entries).
    pub sentences: usize,
    /// Words: tokens with at least one letter.
    pub words: usize,
    /// Syllables of those words.
    pub syllables: usize,
}

impl Readability {
    /// Average words per sentence.
    pub fn words_per_sentence(&self) -> f64 {
        ratio(self.words, self.sentences)
    }

    /// Average syllables per word.
    pub fn syllables_per_word(&self) -> f64 {
        ratio(self.syllables, self.words)
    }

    /// The Flesch–Douma reading ease.
    pub fn flesch_douma(&self) -> f64 {
        206.84 - 77.0 * self.syllables_per_word() - 0.93 * self.words_per_sentence()
    }

    /// What the index means, in the usual Dutch bands.
    pub fn band_nl(&self) -> &'static str {
        match self.flesch_douma() {
            x if x >= 80.0 => "makkelijk",
            x if x >= 60.0 => "eenvoudig",
            x if x >= 45.0 => "vrij moeilijk",
            x if x >= 30.0 => "moeilijk",
            _ => "zeer moeilijk",
        }
    }
}

impl fmt::Display for Readability {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Flesch-Douma {:.0} ({}): {:.1} words per sentence, {:.2} syllables per word, {} sentences",
            self.flesch_douma(),
            self.band_nl(),
            self.words_per_sentence(),
            self.syllables_per_word(),
            self.sentences
        )
    }
}

fn ratio(part: usize, whole: usize) -> f64 {
    // Counts of a statement stay far below 2^52, where f64 is exact.
    #[allow(clippy::cast_precision_loss)]
    let (part, whole) = (part as f64, whole.max(1) as f64);
    part / whole
}

/// The readability of `document`'s prose.
pub fn readability(document: &Document) -> Readability {
    let mut counts = Readability::default();
    let mut in_changes = false;
    for block in &document.blocks {
        match block {
            Block::Heading { level: 2, anchor, .. } => in_changes = anchor.as_deref() == Some(CHANGES),
            _ if in_changes => {}
            Block::Paragraph { text } | Block::Field { text, .. } | Block::Link { text, .. } => count(text, &mut counts),
            Block::List { items } => items.iter().for_each(|item| count(item, &mut counts)),
            Block::Heading { .. } | Block::Table { .. } | Block::Contents => {}
        }
    }
    counts
}

/// Adds the sentences, words and syllables of one piece of text, which
/// ends a sentence where it ends.
fn count(text: &str, counts: &mut Readability) {
    let mut words_in_sentence = 0;
    let mut tokens = text.split_whitespace().peekable();
    while let Some(token) = tokens.next() {
        if token.chars().any(char::is_alphabetic) {
            counts.words += 1;
            counts.syllables += syllables(token);
            words_in_sentence += 1;
        }
        let ends = token.trim_end_matches(['"', '”', ')', '\'']).ends_with(['.', '!', '?']);
        let next_starts_anew = tokens.peek().and_then(|next| next.trim_start_matches(['"', '„', '(']).chars().next()).is_none_or(char::is_uppercase);
        if ends && next_starts_anew && words_in_sentence > 0 {
            counts.sentences += 1;
            words_in_sentence = 0;
        }
    }
    if words_in_sentence > 0 {
        counts.sentences += 1;
    }
}

/// Vowel groups of a Dutch word; at least one (an abbreviation as "BSN"
/// is read as one).
fn syllables(word: &str) -> usize {
    let mut groups = 0;
    let mut in_vowels = false;
    for c in word.chars().flat_map(char::to_lowercase) {
        let starts_new = matches!(c, 'ë' | 'ï' | 'ö' | 'ü');
        if is_vowel(c) {
            if !in_vowels || starts_new {
                groups += 1;
            }
            in_vowels = true;
        } else {
            in_vowels = false;
        }
    }
    groups.max(1)
}

fn is_vowel(c: char) -> bool {
    matches!(
        c,
        'a' | 'e'
            | 'i'
            | 'o'
            | 'u'
            | 'y'
            | 'à'
            | 'á'
            | 'â'
            | 'ä'
            | 'è'
            | 'é'
            | 'ê'
            | 'ë'
            | 'ì'
            | 'í'
            | 'î'
            | 'ï'
            | 'ò'
            | 'ó'
            | 'ô'
            | 'ö'
            | 'ù'
            | 'ú'
            | 'û'
            | 'ü'
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn of(text: &str) -> Readability {
        let mut counts = Readability::default();
        count(text, &mut counts);
        counts
    }

    #[test]
    fn syllables_are_vowel_groups_and_a_diaeresis_starts_one() {
        assert_eq!(syllables("gegevens"), 3);
        assert_eq!(syllables("financiële"), 5);
        assert_eq!(syllables("tijd"), 1);
        assert_eq!(syllables("BSN"), 1);
        assert_eq!(syllables("privacyverklaring"), 6);
    }

    #[test]
    fn an_abbreviation_before_a_number_does_not_end_the_sentence() {
        let counts = of("Het staat in art. 2 lid 3 van de wet. Dat is alles.");
        assert_eq!(counts.sentences, 2);
        assert_eq!(counts.words, 11, "numbers are not words");
    }

    #[test]
    fn short_words_in_short_sentences_read_easier() {
        let easy = of("Wij gebruiken je naam. Wij bewaren hem kort. Je mag het vragen.");
        let hard =
            of("Wij verwerken uw persoonsgegevens ter uitvoering van onze wettelijke taakstelling met inachtneming van de toepasselijke bewaartermijnen.");
        assert!(easy.flesch_douma() > 80.0, "{easy}");
        assert!(hard.flesch_douma() < 30.0, "{hard}");
    }
}
