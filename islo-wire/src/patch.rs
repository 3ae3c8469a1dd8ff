//! [`Patch`]: an update body's field, three-state.

/// A field of an update body: left out, sent as `null`, or sent with a value.
///
/// The server reads the three differently: a field left out keeps its value, `null` clears
/// it, a value sets it (this is how the official Python SDK sends updates). The update
/// bodies of the Islo API type every optional field that can be `null` with it; the default
/// is [`Patch::Absent`], so `..Default::default()` leaves every other field alone.
///
/// ```
/// use islo_wire::Patch;
///
/// #[derive(serde::Serialize, serde::Deserialize, Default)]
/// struct ProfileUpdate {
///     #[serde(default, skip_serializing_if = "Patch::is_absent")]
///     name: Patch<String>,
///     #[serde(default, skip_serializing_if = "Patch::is_absent")]
///     description: Patch<String>,
///     #[serde(default, skip_serializing_if = "Patch::is_absent")]
///     priority: Patch<i64>,
/// }
///
/// // Rename, clear the description, leave the priority as it is.
/// let body = ProfileUpdate {
///     name: Patch::Value("edge".to_string()),
///     description: Patch::Null,
///     ..Default::default()
/// };
/// assert_eq!(
///     serde_json::to_value(&body)?,
///     serde_json::json!({"name": "edge", "description": null})
/// );
///
/// // Decoding tells the three apart too.
/// let back: ProfileUpdate = serde_json::from_str(r#"{"description": null}"#)?;
/// assert_eq!(back.description, Patch::Null);
/// assert_eq!(back.name, Patch::Absent);
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Patch<T> {
    /// Not sent: the server keeps the field's value.
    #[default]
    Absent,
    /// Sent as `null`: the server clears the field.
    Null,
    /// Sent with this value.
    Value(T),
}

impl<T> Patch<T> {
    /// Whether the field is left out.
    pub fn is_absent(&self) -> bool {
        matches!(self, Self::Absent)
    }

    /// Whether the field is sent as `null`.
    pub fn is_null(&self) -> bool {
        matches!(self, Self::Null)
    }

    /// The value, if one is sent.
    pub fn value(&self) -> ::std::option::Option<&T> {
        match self {
            Self::Value(v) => Some(v),
            Self::Absent | Self::Null => None,
        }
    }

    /// The value, if one is sent.
    pub fn into_value(self) -> ::std::option::Option<T> {
        match self {
            Self::Value(v) => Some(v),
            Self::Absent | Self::Null => None,
        }
    }

    /// A `Patch` of a reference to the value.
    pub fn as_ref(&self) -> Patch<&T> {
        match self {
            Self::Absent => Patch::Absent,
            Self::Null => Patch::Null,
            Self::Value(v) => Patch::Value(v),
        }
    }

    /// The value mapped by `f`; absent and `null` stay as they are.
    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Patch<U> {
        match self {
            Self::Absent => Patch::Absent,
            Self::Null => Patch::Null,
            Self::Value(v) => Patch::Value(f(v)),
        }
    }

    /// `Some(v)` sends `v`, `None` sends `null` (clears the field).
    pub fn or_null(value: ::std::option::Option<T>) -> Self {
        match value {
            Some(v) => Self::Value(v),
            None => Self::Null,
        }
    }
}

impl<T> ::std::convert::From<T> for Patch<T> {
    fn from(value: T) -> Self {
        Self::Value(value)
    }
}

/// A value is written as itself, absent and `null` as `null` (an update body leaves an
/// absent field out before it gets here).
impl<T: ::serde::Serialize> ::serde::Serialize for Patch<T> {
    fn serialize<S: ::serde::Serializer>(
        &self,
        serializer: S,
    ) -> ::std::result::Result<S::Ok, S::Error> {
        match self {
            Self::Value(v) => serializer.serialize_some(v),
            Self::Absent | Self::Null => serializer.serialize_none(),
        }
    }
}

/// `null` is [`Patch::Null`], anything else a value; a field missing from an update body is
/// [`Patch::Absent`] (its default).
impl<'de, T: ::serde::Deserialize<'de>> ::serde::Deserialize<'de> for Patch<T> {
    fn deserialize<D: ::serde::Deserializer<'de>>(
        deserializer: D,
    ) -> ::std::result::Result<Self, D::Error> {
        Ok(Self::or_null(::std::option::Option::<T>::deserialize(
            deserializer,
        )?))
    }
}
