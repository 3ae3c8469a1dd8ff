//! [`DateTime`]: a date-time as the API sent it.

/// A date-time as the API sent it.
///
/// Decodes RFC 3339 (`2026-04-12T14:26:35.005991Z`, `2026-04-12T16:26:35+02:00`) and ISO
/// 8601 date-times without an offset (`2026-04-12T14:26:35.005991`, which is what a Python
/// server sends for a naive `datetime`); a date-time without an offset is read as UTC.
/// Anything else fails to decode, naming the text.
///
/// The value keeps the text it was decoded from and encodes to exactly that text, so a
/// date-time the server sent goes back unchanged (offset, precision and all). One made from
/// a [`chrono::DateTime`] is written in RFC 3339 (`2026-04-12T14:26:35Z`).
///
/// Two values are equal, ordered and hashed by the instant they denote: `…T16:26:35+02:00`
/// equals `…T14:26:35Z` and `…T14:26:35`.
///
/// ```
/// use islo_wire::DateTime;
///
/// let naive: DateTime = "2026-04-12T14:26:35.005991".parse()?;
/// assert!(naive.is_naive());
/// assert_eq!(naive.utc().to_rfc3339(), "2026-04-12T14:26:35.005991+00:00");
/// assert_eq!(serde_json::to_string(&naive)?, r#""2026-04-12T14:26:35.005991""#);
///
/// let zoned: DateTime = serde_json::from_str(r#""2026-04-12T16:26:35.005991+02:00""#)?;
/// assert_eq!(zoned, naive);
/// assert_eq!(zoned.as_str(), "2026-04-12T16:26:35.005991+02:00");
///
/// let now = DateTime::from(chrono::Utc::now());
/// assert!(!now.is_naive());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
pub struct DateTime {
    utc: ::chrono::DateTime<::chrono::Utc>,
    offset: ::std::option::Option<::chrono::FixedOffset>,
    text: ::std::string::String,
}

/// A text that is not a date-time [`DateTime`] accepts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DateTimeError {
    text: ::std::string::String,
}

impl ::std::fmt::Display for DateTimeError {
    fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
        write!(
            f,
            "{:?} is not a date-time (expected RFC 3339, or ISO 8601 without an offset)",
            self.text
        )
    }
}

impl ::std::error::Error for DateTimeError {}

/// The layouts of an ISO 8601 date-time without an offset (fraction optional).
const NAIVE_LAYOUTS: [&str; 3] = [
    "%Y-%m-%dT%H:%M:%S%.f",
    "%Y-%m-%d %H:%M:%S%.f",
    "%Y-%m-%dt%H:%M:%S%.f",
];

impl DateTime {
    /// Parses RFC 3339, or ISO 8601 without an offset (read as UTC), keeping `text`.
    pub fn parse(text: &str) -> ::std::result::Result<Self, DateTimeError> {
        if let Ok(t) = ::chrono::DateTime::parse_from_rfc3339(text) {
            return Ok(Self {
                utc: t.with_timezone(&::chrono::Utc),
                offset: Some(*t.offset()),
                text: text.to_string(),
            });
        }
        for layout in NAIVE_LAYOUTS {
            if let Ok(t) = ::chrono::NaiveDateTime::parse_from_str(text, layout) {
                return Ok(Self {
                    utc: t.and_utc(),
                    offset: None,
                    text: text.to_string(),
                });
            }
        }
        Err(DateTimeError {
            text: text.to_string(),
        })
    }

    /// The instant, in UTC (a date-time sent without an offset is read as UTC).
    pub fn utc(&self) -> ::chrono::DateTime<::chrono::Utc> {
        self.utc
    }

    /// The offset the text carried; `None` when it had none.
    pub fn offset(&self) -> ::std::option::Option<::chrono::FixedOffset> {
        self.offset
    }

    /// The date-time with the offset it was sent with (UTC when it had none).
    pub fn fixed_offset(&self) -> ::chrono::DateTime<::chrono::FixedOffset> {
        let offset = self
            .offset
            .unwrap_or_else(|| ::chrono::Offset::fix(&::chrono::Utc));
        self.utc.with_timezone(&offset)
    }

    /// Whether the text had no offset (a naive date-time, read as UTC).
    pub fn is_naive(&self) -> bool {
        self.offset.is_none()
    }

    /// The text, exactly as decoded (or as written for a value made from chrono).
    pub fn as_str(&self) -> &str {
        &self.text
    }
}

impl ::std::convert::From<::chrono::DateTime<::chrono::Utc>> for DateTime {
    fn from(t: ::chrono::DateTime<::chrono::Utc>) -> Self {
        Self {
            utc: t,
            offset: Some(::chrono::Offset::fix(t.offset())),
            text: t.to_rfc3339_opts(::chrono::SecondsFormat::AutoSi, true),
        }
    }
}

impl ::std::convert::From<::chrono::DateTime<::chrono::FixedOffset>> for DateTime {
    fn from(t: ::chrono::DateTime<::chrono::FixedOffset>) -> Self {
        Self {
            utc: t.with_timezone(&::chrono::Utc),
            offset: Some(*t.offset()),
            text: t.to_rfc3339_opts(::chrono::SecondsFormat::AutoSi, true),
        }
    }
}

impl ::std::convert::From<DateTime> for ::chrono::DateTime<::chrono::Utc> {
    fn from(t: DateTime) -> Self {
        t.utc
    }
}

impl ::std::str::FromStr for DateTime {
    type Err = DateTimeError;
    fn from_str(text: &str) -> ::std::result::Result<Self, Self::Err> {
        Self::parse(text)
    }
}

impl ::std::fmt::Display for DateTime {
    fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
        f.write_str(&self.text)
    }
}

impl ::std::fmt::Debug for DateTime {
    fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
        f.debug_tuple("DateTime").field(&self.text).finish()
    }
}

impl ::std::cmp::PartialEq for DateTime {
    fn eq(&self, other: &Self) -> bool {
        self.utc == other.utc
    }
}

impl ::std::cmp::Eq for DateTime {}

impl ::std::cmp::PartialOrd for DateTime {
    fn partial_cmp(&self, other: &Self) -> ::std::option::Option<::std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl ::std::cmp::Ord for DateTime {
    fn cmp(&self, other: &Self) -> ::std::cmp::Ordering {
        self.utc.cmp(&other.utc)
    }
}

impl ::std::hash::Hash for DateTime {
    fn hash<H: ::std::hash::Hasher>(&self, state: &mut H) {
        self.utc.hash(state);
    }
}

impl ::serde::Serialize for DateTime {
    fn serialize<S: ::serde::Serializer>(
        &self,
        serializer: S,
    ) -> ::std::result::Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.text)
    }
}

impl<'de> ::serde::Deserialize<'de> for DateTime {
    fn deserialize<D: ::serde::Deserializer<'de>>(
        deserializer: D,
    ) -> ::std::result::Result<Self, D::Error> {
        struct Visitor;
        impl ::serde::de::Visitor<'_> for Visitor {
            type Value = DateTime;
            fn expecting(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str("a date-time (RFC 3339, or ISO 8601 without an offset)")
            }
            fn visit_str<E: ::serde::de::Error>(
                self,
                text: &str,
            ) -> ::std::result::Result<DateTime, E> {
                DateTime::parse(text).map_err(E::custom)
            }
        }
        deserializer.deserialize_str(Visitor)
    }
}
