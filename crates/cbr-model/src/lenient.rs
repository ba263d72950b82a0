//! Tolerant field decoders for what the service is known to send: numbers as strings, strings
//! as numbers, `null` where a list is expected.
//!
//! The generated decoders read every documented field through a `Lenient` type, on the fast
//! path (straight from the body) and on the slow path (from a parsed `serde_json::Value`), so
//! both paths accept exactly the same values.

use serde::Deserialize;
use serde::de::{self, DeserializeOwned, Deserializer, Visitor};
use std::fmt;

/// A value as read from the wire, turned into the field's `Option`.
pub(crate) trait Lenient: DeserializeOwned {
    /// The field's value type.
    type Value;

    /// The field's value; `None` for `null`.
    fn into_option(self) -> Option<Self::Value>;
}

impl<T: DeserializeOwned> Lenient for Option<T> {
    type Value = T;

    fn into_option(self) -> Option<T> {
        self
    }
}

/// A documented string field: a JSON string, or a number read as its text.
pub(crate) struct OptString(Option<String>);

impl<'de> Deserialize<'de> for OptString {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        opt_string(deserializer).map(Self)
    }
}

impl Lenient for OptString {
    type Value = String;

    fn into_option(self) -> Option<String> {
        self.0
    }
}

/// A documented integer field: a JSON number, a decimal string or a whole float.
pub(crate) struct OptU64(Option<u64>);

impl<'de> Deserialize<'de> for OptU64 {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        opt_u64(deserializer).map(Self)
    }
}

impl Lenient for OptU64 {
    type Value = u64;

    fn into_option(self) -> Option<u64> {
        self.0
    }
}

/// An optional unsigned integer given as a JSON number or as a decimal string.
pub fn opt_u64<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<u64>, D::Error> {
    struct U64Visitor;

    impl<'de> Visitor<'de> for U64Visitor {
        type Value = Option<u64>;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a non-negative integer, a decimal string or null")
        }

        fn visit_u64<E: de::Error>(self, value: u64) -> Result<Self::Value, E> {
            Ok(Some(value))
        }

        fn visit_i64<E: de::Error>(self, value: i64) -> Result<Self::Value, E> {
            u64::try_from(value)
                .map(Some)
                .map_err(|_| E::custom(format!("{value} is negative; expected an integer >= 0")))
        }

        fn visit_f64<E: de::Error>(self, value: f64) -> Result<Self::Value, E> {
            if value.fract() == 0.0 && value >= 0.0 && value < u64::MAX as f64 {
                // An integral float such as 40.0 is an integer the sender wrote oddly.
                #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
                Ok(Some(value as u64))
            } else {
                Err(E::custom("fractional number where an integer is expected"))
            }
        }

        fn visit_str<E: de::Error>(self, value: &str) -> Result<Self::Value, E> {
            value
                .trim()
                .parse()
                .map(Some)
                .map_err(|_| E::custom(format!("the string {value:?} is not an integer >= 0")))
        }

        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }

        fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }

        fn visit_some<D2: Deserializer<'de>>(self, d: D2) -> Result<Self::Value, D2::Error> {
            d.deserialize_any(self)
        }
    }

    deserializer.deserialize_any(U64Visitor)
}

/// An optional string that may arrive as a JSON number (e.g. `"enterprise_project_id": 0`).
pub fn opt_string<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<String>, D::Error> {
    struct StringVisitor;

    impl<'de> Visitor<'de> for StringVisitor {
        type Value = Option<String>;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a string, a number or null")
        }

        fn visit_str<E: de::Error>(self, value: &str) -> Result<Self::Value, E> {
            Ok(Some(value.to_owned()))
        }

        fn visit_string<E: de::Error>(self, value: String) -> Result<Self::Value, E> {
            Ok(Some(value))
        }

        fn visit_u64<E: de::Error>(self, value: u64) -> Result<Self::Value, E> {
            Ok(Some(value.to_string()))
        }

        fn visit_i64<E: de::Error>(self, value: i64) -> Result<Self::Value, E> {
            Ok(Some(value.to_string()))
        }

        fn visit_f64<E: de::Error>(self, value: f64) -> Result<Self::Value, E> {
            Ok(Some(value.to_string()))
        }

        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }

        fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }

        fn visit_some<D2: Deserializer<'de>>(self, d: D2) -> Result<Self::Value, D2::Error> {
            d.deserialize_any(self)
        }
    }

    deserializer.deserialize_any(StringVisitor)
}

/// A list where `null` or absence both mean "no list" (`None`).
pub fn opt_vec<'de, D, T>(deserializer: D) -> Result<Option<Vec<T>>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<Vec<T>>::deserialize(deserializer)
}

/// A list where `null` means empty.
pub fn vec_or_null<'de, D, T>(deserializer: D) -> Result<Vec<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Ok(Option::<Vec<T>>::deserialize(deserializer)?.unwrap_or_default())
}
