//! A string that never prints: API keys and session tokens.

use std::fmt;
use std::sync::Arc;

/// A secret string (API key or session JWT). `Debug` and `Display` print `[redacted]`;
/// the value is only reachable through [`Secret::expose`].
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Secret(Arc<str>);

impl Secret {
    /// Wraps a secret value.
    pub fn new(value: impl Into<Arc<str>>) -> Self {
        Self(value.into())
    }

    /// The secret itself. Never log it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

/// The text that replaces a secret.
pub(crate) const REDACTED: &str = "[redacted]";

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(REDACTED)
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(REDACTED)
    }
}

/// `text` with every occurrence of each of `secrets` (the credentials a request was sent
/// with) and anything shaped like a bearer credential or a JWT replaced by `[redacted]`.
/// Linear in the length of `text` for each secret.
pub(crate) fn redact(text: &str, secrets: &[&Secret]) -> String {
    let mut out = std::borrow::Cow::Borrowed(text);
    for secret in secrets {
        if secret.0.len() >= 4 && out.contains(&*secret.0) {
            out = std::borrow::Cow::Owned(out.replace(&*secret.0, REDACTED));
        }
    }
    redact_credentials(&out)
}

/// Removes anything that looks like a bearer credential (`Bearer <token>`, any case) or a JWT
/// (`eyJ…` with three base64url parts) from `text`, in one pass.
pub(crate) fn redact_credentials(text: &str) -> String {
    const WORD: &[u8] = b"bearer ";
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut copied = 0;
    let mut i = 0;
    while i + WORD.len() <= bytes.len() {
        if !bytes[i..i + WORD.len()].eq_ignore_ascii_case(WORD) {
            i += 1;
            continue;
        }
        let start = i + WORD.len();
        let end = bytes[start..]
            .iter()
            .position(|&c| c.is_ascii_whitespace() || matches!(c, b'"' | b'\'' | b','))
            .map_or(bytes.len(), |n| start + n);
        // `start` and `end` sit next to ASCII bytes, so they are char boundaries.
        out.push_str(&text[copied..start]);
        if end > start {
            out.push_str(REDACTED);
        }
        copied = end;
        i = end.max(i + 1);
    }
    out.push_str(&text[copied..]);
    redact_jwts(&out)
}

/// Replaces each word of base64url characters and dots that is a JWT (`eyJ` and three
/// parts of at least 8 characters) by `[redacted]`, in one pass over `text`.
fn redact_jwts(text: &str) -> String {
    let is_word = |c: u8| c.is_ascii_alphanumeric() || c == b'-' || c == b'_' || c == b'.';
    let is_jwt = |w: &str| {
        let mut parts = 0;
        let all_long = w.split('.').all(|p| {
            parts += 1;
            p.len() >= 8
        });
        w.starts_with("eyJ") && parts == 3 && all_long
    };
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut copied = 0;
    let mut i = 0;
    while i < bytes.len() {
        if !is_word(bytes[i]) {
            i += 1;
            continue;
        }
        let start = i;
        while i < bytes.len() && is_word(bytes[i]) {
            i += 1;
        }
        // Word bytes are ASCII: `start` and `i` are char boundaries.
        if is_jwt(&text[start..i]) {
            out.push_str(&text[copied..start]);
            out.push_str(REDACTED);
            copied = i;
        }
    }
    out.push_str(&text[copied..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_and_display_never_show_the_value() {
        let s = Secret::new("ak_live_supersecret");
        assert_eq!(format!("{s:?}"), "[redacted]");
        assert_eq!(format!("{s}"), "[redacted]");
    }

    #[test]
    fn bearer_tokens_and_jwts_are_redacted() {
        let text =
            "bad header: Bearer abc.def-ghi, token eyJhbGciOi.eyJzdWIiOiJ4In0.c2lnbmF0dXJl end";
        let r = redact_credentials(text);
        assert!(!r.contains("abc.def-ghi"), "{r}");
        assert!(!r.contains("eyJhbGciOi"), "{r}");
        assert!(r.contains("Bearer [redacted]"), "{r}");
        assert!(r.ends_with(" end"));
    }

    #[test]
    fn redaction_keeps_everything_else_byte_for_byte() {
        let text = "héllo BEARER x1 ünïcode bearer\tBearer  eyJ.x, end bearer";
        let r = redact_credentials(text);
        assert_eq!(
            r,
            "héllo BEARER [redacted] ünïcode bearer\tBearer  eyJ.x, end bearer"
        );
        assert_eq!(
            redact_credentials("no credentials here"),
            "no credentials here"
        );
        assert_eq!(redact_credentials(""), "");
    }

    #[test]
    fn redact_removes_the_secrets_given_and_credential_shapes() {
        let opaque = Secret::new("opaque-session-123456");
        let key = Secret::new("ak_live_abcdef");
        let r = redact(
            "token opaque-session-123456 key ak_live_abcdef, Bearer zzz",
            &[&opaque, &key],
        );
        assert_eq!(r, "token [redacted] key [redacted], Bearer [redacted]");
    }
}
