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
        // A text cut off (a body that broke off, or capped) may end in the secret's start.
        if let Some(cut) = trailing_prefix(&out, &secret.0) {
            out = std::borrow::Cow::Owned(format!("{}{REDACTED}", &out[..cut]));
        }
    }
    redact_credentials(&out)
}

/// Where `text` ends with the first 4 or more bytes of `secret` (but not all of it), if it
/// does: the start of that tail (the longest such tail that ends on a character boundary of
/// `secret`).
///
/// Linear in the length of `secret`: a prefix-function (Knuth–Morris–Pratt) match of
/// `secret` over the end of `text` finds the longest prefix of `secret` that `text` ends
/// with, and the chain of borders of that prefix gives the shorter ones. (Checking each
/// length with `ends_with` is quadratic, and the secret is a token the server chose, up to
/// the size of an exchange answer.)
fn trailing_prefix(text: &str, secret: &str) -> Option<usize> {
    let longest = secret.len().saturating_sub(1).min(text.len());
    if longest < 4 {
        return None;
    }
    let pattern = &secret.as_bytes()[..longest];
    // border[i]: the length of the longest proper prefix of pattern[..=i] that is also its
    // suffix.
    let mut border = vec![0usize; pattern.len()];
    let mut k = 0;
    for i in 1..pattern.len() {
        while k > 0 && pattern[i] != pattern[k] {
            k = border[k - 1];
        }
        if pattern[i] == pattern[k] {
            k += 1;
        }
        border[i] = k;
    }
    // Only the last `longest` bytes of `text` can hold the match.
    let mut matched = 0;
    for &b in &text.as_bytes()[text.len() - longest..] {
        if matched == pattern.len() {
            matched = border[matched - 1];
        }
        while matched > 0 && pattern[matched] != b {
            matched = border[matched - 1];
        }
        if pattern[matched] == b {
            matched += 1;
        }
    }
    // `text` ends with pattern[..n] exactly for the n on the chain matched, border[matched-1], …
    let mut n = matched;
    while n >= 4 {
        if secret.is_char_boundary(n) {
            return Some(text.len() - n);
        }
        n = border[n - 1];
    }
    None
}

/// A JSON decoding error with `redact` applied to its message (serde quotes the values it
/// could not take). Kept as it is when `redact` finds nothing; otherwise an error of the
/// same text, redacted (its category and position then read only from the text).
pub(crate) fn redact_json_error(
    error: serde_json::Error,
    redact: impl Fn(&str) -> String,
) -> serde_json::Error {
    let text = error.to_string();
    let redacted = redact(&text);
    if redacted == text {
        error
    } else {
        <serde_json::Error as serde::de::Error>::custom(redacted)
    }
}

/// An answer's body with `redact` applied to its text, for keeping in an error.
///
/// - A body in which `redact` finds nothing is kept byte for byte (also when it is not
///   UTF-8).
/// - A JSON body is also redacted string by string after decoding: JSON may spell any
///   character as `\uXXXX` (and `/` as `\/`), so a secret echoed that way is not in the
///   raw text but would be in the message decoded from it. A string that had to change is
///   written again, encoded; the rest of the body stays byte for byte.
/// - Otherwise the body kept is the redacted text (invalid UTF-8 replaced by U+FFFD).
pub(crate) fn redact_body(raw: bytes::Bytes, redact: impl Fn(&str) -> String) -> bytes::Bytes {
    let lossy = String::from_utf8_lossy(&raw);
    let text = redact_text(&lossy, redact);
    if text == lossy {
        raw
    } else {
        text.into_bytes().into()
    }
}

/// `text` with `redact` applied, and, when it is JSON, to each of its strings after
/// decoding too (JSON may spell any character as `\uXXXX`, so a secret echoed that way is
/// not in the text but is in what a reader decodes from it). A string that had to change is
/// written again, JSON-encoded; everything else stays byte for byte.
///
/// The strings are found by scanning the text, not by decoding it into a tree: a tree of
/// tiny values takes some 30 times the text's size, and the text is the server's.
pub(crate) fn redact_text(text: &str, redact: impl Fn(&str) -> String) -> String {
    let redacted = redact(text);
    // Validated without building anything, so that the scan below may trust the framing.
    if serde_json::from_str::<serde::de::IgnoredAny>(&redacted).is_err() {
        return redacted;
    }
    match redact_string_literals(&redacted, &redact) {
        Some(rewritten) => rewritten,
        None => redacted,
    }
}

/// `json` (valid JSON) with each string literal whose decoded value `redact` changes
/// replaced by the redacted value, encoded; `None` when none changed (or the framing was
/// not as valid JSON has it, which cannot happen after validation).
fn redact_string_literals(json: &str, redact: &impl Fn(&str) -> String) -> Option<String> {
    let bytes = json.as_bytes();
    let mut out: Option<String> = None;
    let mut copied = 0;
    let mut at = 0;
    // Outside a string, valid JSON has no `"`: each one found there opens a string.
    while let Some(found) = memchr::memchr(b'"', bytes.get(at..)?) {
        let open = at.saturating_add(found);
        let mut end = open.saturating_add(1);
        let mut escaped = false;
        loop {
            let next = memchr::memchr2(b'"', b'\\', bytes.get(end..)?)?;
            let pos = end.saturating_add(next);
            if bytes.get(pos) == Some(&b'\\') {
                escaped = true;
                // An escape is `\` and one ASCII character (`\uXXXX` goes on as plain text).
                end = pos.saturating_add(2);
            } else {
                end = pos.saturating_add(1);
                break;
            }
        }
        at = end;
        let literal = json.get(open..end)?;
        let decoded: std::borrow::Cow<'_, str> = if escaped {
            serde_json::from_str::<String>(literal).ok()?.into()
        } else {
            literal.get(1..literal.len().saturating_sub(1))?.into()
        };
        let changed = redact(&decoded);
        if changed != decoded {
            let kept = out.get_or_insert_with(|| String::with_capacity(json.len()));
            kept.push_str(json.get(copied..open)?);
            kept.push_str(&serde_json::to_string(&changed).ok()?);
            copied = end;
        }
    }
    let mut kept = out?;
    kept.push_str(json.get(copied..)?);
    Some(kept)
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
        // Jump to the next `b`/`B` (memchr), then compare the word there.
        match memchr::memchr2(b'b', b'B', &bytes[i..bytes.len() - WORD.len() + 1]) {
            Some(at) => i += at,
            None => break,
        }
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

/// Replaces every JWT (three dot-separated base64url parts of at least 8 characters, the
/// first starting `eyJ`) by `[redacted]`, also inside a longer run of dotted words
/// (`x.eyJ….….…`), in one pass over `text`.
fn redact_jwts(text: &str) -> String {
    let is_word = |c: u8| c.is_ascii_alphanumeric() || c == b'-' || c == b'_' || c == b'.';
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut copied = 0;
    let mut i = 0;
    // Reused for every run of words.
    let mut parts = Vec::new();
    while i < bytes.len() {
        if !is_word(bytes[i]) {
            i += 1;
            continue;
        }
        let start = i;
        let mut dots = 0usize;
        while i < bytes.len() && is_word(bytes[i]) {
            dots += usize::from(bytes[i] == b'.');
            i += 1;
        }
        // A JWT has three parts: a run with fewer than two dots holds none.
        if dots < 2 {
            continue;
        }
        // The run's dot-separated parts, with their byte ranges (ASCII: char boundaries).
        parts.clear();
        let mut from = start;
        for (at, &c) in bytes[start..i].iter().enumerate() {
            if c == b'.' {
                parts.push((from, start + at));
                from = start + at + 1;
            }
        }
        parts.push((from, i));
        let mut p = 0;
        while p + 3 <= parts.len() {
            let window = &parts[p..p + 3];
            // The header may be glued to what precedes it (`-eyJ…`, `x_eyJ…`).
            let header_at = text[window[0].0..window[0].1]
                .find("eyJ")
                .map(|k| window[0].0 + k);
            let jwt = header_at.is_some_and(|h| window[0].1 - h >= 8)
                && window[1..].iter().all(|(a, b)| b - a >= 8);
            if let (true, Some(h)) = (jwt, header_at) {
                out.push_str(&text[copied..h]);
                out.push_str(REDACTED);
                copied = window[2].1;
                p += 3;
            } else {
                p += 1;
            }
        }
    }
    out.push_str(&text[copied..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The definition `trailing_prefix` implements, checked length by length.
    fn trailing_prefix_by_definition(text: &str, secret: &str) -> Option<usize> {
        let longest = secret.len().saturating_sub(1).min(text.len());
        (4..=longest)
            .rev()
            .filter(|&n| secret.is_char_boundary(n))
            .find(|&n| text.ends_with(&secret[..n]))
            .map(|n| text.len() - n)
    }

    #[test]
    fn trailing_prefix_matches_its_definition() {
        let secrets = [
            "abcdefgh",
            "aaaaaaaa",
            "abababab",
            "abaabaab",
            "aab\u{e9}\u{e9}aab\u{e9}",
            "\u{1f600}\u{1f600}\u{1f600}",
            "abc",
            "abcd",
            "abcde",
        ];
        // Every text made of up to 9 characters drawn from those that occur in the secrets,
        // by a fixed pseudo-random walk.
        let alphabet: Vec<char> = "ab\u{e9}\u{1f600}cdx".chars().collect();
        let mut state = 0x2545_f491_4f6c_dd1du64;
        for _ in 0..20_000 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let len = (state % 10) as usize;
            let mut text = String::new();
            let mut s = state;
            for _ in 0..len {
                text.push(alphabet[(s % alphabet.len() as u64) as usize]);
                s /= alphabet.len() as u64;
            }
            for secret in secrets {
                let half: String = secret
                    .chars()
                    .take(secret.chars().count() / 2 + 1)
                    .collect();
                for text in [text.clone(), format!("{text}{half}")] {
                    assert_eq!(
                        trailing_prefix(&text, secret),
                        trailing_prefix_by_definition(&text, secret),
                        "{text:?} {secret:?}"
                    );
                }
            }
        }
        let long = "a".repeat(70_000);
        let near = format!("x{}b", &long[..69_998]);
        assert_eq!(trailing_prefix(&near, &long), None);
        let cut = format!("x{}", &long[..69_998]);
        assert_eq!(trailing_prefix(&cut, &long), Some(1));
    }

    #[test]
    fn debug_and_display_never_show_the_value() {
        let s = Secret::new("ak_live_supersecret");
        assert_eq!(format!("{s:?}"), "[redacted]");
        assert_eq!(format!("{s}"), "[redacted]");
    }

    #[test]
    fn a_body_is_kept_unless_a_secret_had_to_go() {
        let secret = Secret::new("ak_live_supersecret");
        let redact = |t: &str| redact(t, &[&secret]);
        // Nothing to remove: the bytes as they came, invalid UTF-8 and odd JSON included.
        for raw in [&b"Caf\xe9"[..], br#"{"n": 1.50, "s": "\u00e9"}"#, b""] {
            let body = redact_body(bytes::Bytes::copy_from_slice(raw), redact);
            assert_eq!(body.as_ref(), raw);
        }
        // A literal secret in text that is not JSON.
        let body = redact_body(
            bytes::Bytes::from_static(b"key ak_live_supersecret \xff"),
            redact,
        );
        assert_eq!(String::from_utf8_lossy(&body), "key [redacted] \u{fffd}");
        // Spelled with escapes, in a value and in a key: the JSON is encoded again.
        let raw = br#"{"m": ["\u0061k_live_supersecret"], "ak_live_super\u0073ecret": 1}"#;
        let body = redact_body(bytes::Bytes::from_static(raw), redact);
        let value: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(
            value,
            serde_json::json!({"m": ["[redacted]"], "[redacted]": 1})
        );
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

    /// Only the JSON strings that held a secret are written again: spacing, key order,
    /// duplicate keys, numbers as spelled and the other strings' escapes stay as sent (a
    /// body decoded and encoded again lost all of them).
    #[test]
    fn json_redaction_rewrites_only_the_strings_that_change() {
        let redact = |t: &str| t.replace("sekret", "[redacted]");
        let text = "{ \"a\" : \"x\\u0073ekret\\n\",\n  \"a\": 1.50,\"b\\/\": [\"\\u00e9\", \"\"],\n  \"s\u{e9}kret\\u0073ekret\": null }";
        assert_eq!(
            redact_text(text, redact),
            "{ \"a\" : \"x[redacted]\\n\",\n  \"a\": 1.50,\"b\\/\": [\"\\u00e9\", \"\"],\n  \"s\u{e9}kret[redacted]\": null }"
        );
        // Nothing to change: the text as it came, and not-JSON redacted as text.
        let plain = "{\"a\": \"\\u00e9\"}";
        assert_eq!(redact_text(plain, redact), plain);
        assert_eq!(redact_text("sekret {", redact), "[redacted] {");
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

    /// A deterministic property test: whatever text surrounds them, the secrets given and
    /// every JWT are gone from the output, and text with nothing to redact is unchanged.
    #[test]
    fn redaction_property_on_random_text() {
        let secret = Secret::new("opaque-tok-4242");
        let key = Secret::new("ak_live_key_77");
        let jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0In0.c2lnbmF0dXJlLXNpZw";
        let pieces: [&str; 16] = [
            "opaque-tok-4242",
            "ak_live_key_77",
            jwt,
            "Bearer ",
            "bEaReR ",
            "bearer",
            " ",
            ",",
            "\"",
            "'",
            "é",
            "日本",
            "x",
            ".",
            "-",
            "\n",
        ];
        let mut state = 0x9E37_79B9_7F4A_7C15u64;
        let mut next = || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        for _ in 0..20_000 {
            let n = (next() % 12) as usize;
            let text: String = (0..n).map(|_| pieces[(next() % 16) as usize]).collect();
            let out = redact(&text, &[&secret, &key]);
            assert!(!out.contains(secret.expose()), "{text:?} -> {out:?}");
            assert!(!out.contains(key.expose()), "{text:?} -> {out:?}");
            assert!(!out.contains(jwt), "{text:?} -> {out:?}");
            let clean = !text.to_ascii_lowercase().contains("bearer ")
                && !text.contains(secret.expose())
                && !text.contains(key.expose())
                && !text.contains("eyJ");
            if clean {
                assert_eq!(out, text);
            }
        }
    }

    #[test]
    fn redaction_of_large_inputs_is_linear_enough_to_finish() {
        // 4 MiB of `bearer x ` pairs: a quadratic scan would not finish in a test run.
        let text = "bearer x ".repeat(4 * 1024 * 1024 / 9);
        let out = redact_credentials(&text);
        assert!(out.starts_with("bearer [redacted] bearer [redacted]"));
        assert!(!out.contains(" x "));
    }
}
