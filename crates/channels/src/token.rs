//! Tokens for links that work without logging in (unsubscribe, withdraw):
//! 256 random bits as hexadecimal (safe in a URL, and never mistaken for a
//! command-line option the way a leading `-` of base64url would be), shown
//! once; the store keeps only a keyed digest, through the kernel's record
//! index, so a stolen database yields no working link.

use std::fmt;

use rand::RngCore;

/// A link token: 64 lower-case hexadecimal digits. `Debug` does not show it.
#[derive(Clone, PartialEq, Eq)]
pub struct Token(String);

impl Token {
    /// A fresh token of 256 random bits.
    pub fn generate() -> Token {
        let mut bytes = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut bytes);
        Token(bytes.iter().map(|b| format!("{b:02x}")).collect())
    }

    /// Accepts only the shape a generated token has, so junk never reaches
    /// a lookup.
    pub fn parse(text: &str) -> Option<Token> {
        let text = text.trim();
        (text.len() == 64 && text.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))).then(|| Token(text.to_string()))
    }

    /// The token as it goes into a link.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for Token {
    /// A token is a key to someone's data; it stays out of logs.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Token(..)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_round_trip_and_junk_is_refused() {
        let token = Token::generate();
        assert_eq!(Token::parse(token.as_str()), Some(token.clone()));
        assert_ne!(Token::generate(), token);
        assert_eq!(Token::parse("abc"), None);
        assert_eq!(Token::parse(&"!".repeat(64)), None);
        assert_eq!(Token::parse(&"A".repeat(64)), None);
    }
}
