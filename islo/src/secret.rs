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

    /// Replaces every occurrence of this secret in `text` with `[redacted]`.
    pub(crate) fn redact_in(&self, text: &str) -> String {
        if self.0.len() < 4 {
            return text.to_string();
        }
        text.replace(&*self.0, REDACTED)
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

/// Removes anything that looks like a bearer credential (`Bearer <token>`) or a JWT
/// (`xxx.yyy.zzz` with base64url parts) from `text`.
pub(crate) fn redact_credentials(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while !rest.is_empty() {
        let lower = rest.to_ascii_lowercase();
        match lower.find("bearer ") {
            Some(i) => {
                out.push_str(&rest[..i + 7]);
                let after = &rest[i + 7..];
                let end = after
                    .find(|c: char| c.is_whitespace() || c == '"' || c == '\'' || c == ',')
                    .unwrap_or(after.len());
                if end > 0 {
                    out.push_str(REDACTED);
                }
                rest = &after[end..];
            }
            None => {
                out.push_str(rest);
                break;
            }
        }
    }
    redact_jwts(&out)
}

fn redact_jwts(text: &str) -> String {
    let is_b64 = |c: char| c.is_ascii_alphanumeric() || c == '-' || c == '_';
    let mut out = String::with_capacity(text.len());
    let mut word = String::new();
    let flush = |word: &mut String, out: &mut String| {
        let parts: Vec<&str> = word.split('.').collect();
        if parts.len() == 3
            && parts.iter().all(|p| p.len() >= 8 && p.chars().all(is_b64))
            && word.starts_with("eyJ")
        {
            out.push_str(REDACTED);
        } else {
            out.push_str(word);
        }
        word.clear();
    };
    for c in text.chars() {
        if is_b64(c) || c == '.' {
            word.push(c);
        } else {
            flush(&mut word, &mut out);
            out.push(c);
        }
    }
    flush(&mut word, &mut out);
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
    fn redact_in_replaces_every_occurrence() {
        let s = Secret::new("tok_123456");
        assert_eq!(
            s.redact_in("a tok_123456 b tok_123456"),
            "a [redacted] b [redacted]"
        );
    }
}
