//! Enumerations of the API that stay open: each knows the documented values and keeps any
//! other string verbatim, so a value the service adds tomorrow can be sent and received.
//!
//! The `open_enum!` macro is written here by hand; its invocations (the variants and their
//! spellings) are generated from the spec into `generated/enums.rs`.

use std::fmt;
use std::marker::PhantomData;

use serde::de::{self, Visitor};

macro_rules! open_enum {
    (
        $(#[$meta:meta])*
        $name:ident {
            $( $(#[$vmeta:meta])* $variant:ident => $text:literal, )+
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[non_exhaustive]
        pub enum $name {
            $( $(#[$vmeta])* $variant, )+
            /// A value this version does not know, kept exactly as received or given.
            Unknown(String),
        }

        impl $name {
            /// Every documented spelling, in documentation order.
            pub const KNOWN: &'static [&'static str] = &[$($text),+];

            /// The wire spelling.
            #[must_use]
            pub fn as_str(&self) -> &str {
                match self {
                    $( Self::$variant => $text, )+
                    Self::Unknown(other) => other,
                }
            }

            /// Whether this is one of the documented values.
            #[must_use]
            pub fn is_known(&self) -> bool {
                !matches!(self, Self::Unknown(_))
            }
        }

        impl From<&str> for $name {
            fn from(text: &str) -> Self {
                match text {
                    $( $text => Self::$variant, )+
                    other => Self::Unknown(other.to_owned()),
                }
            }
        }

        impl From<String> for $name {
            fn from(text: String) -> Self {
                match Self::from(text.as_str()) {
                    Self::Unknown(_) => Self::Unknown(text),
                    known => known,
                }
            }
        }

        impl std::str::FromStr for $name {
            type Err = std::convert::Infallible;

            fn from_str(text: &str) -> Result<Self, Self::Err> {
                Ok(Self::from(text))
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl ::serde::Serialize for $name {
            fn serialize<S: ::serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        impl<'de> ::serde::Deserialize<'de> for $name {
            fn deserialize<D: ::serde::Deserializer<'de>>(
                deserializer: D,
            ) -> Result<Self, D::Error> {
                deserializer.deserialize_str($crate::enums::OpenEnumVisitor::<Self>::new())
            }
        }
    };
}

pub(crate) use open_enum;

/// Reads a JSON string into an open enumeration; a documented spelling is matched without
/// copying the text.
pub(crate) struct OpenEnumVisitor<T>(PhantomData<T>);

impl<T> OpenEnumVisitor<T> {
    /// The visitor.
    pub(crate) const fn new() -> Self {
        Self(PhantomData)
    }
}

impl<T> Visitor<'_> for OpenEnumVisitor<T>
where
    T: for<'a> From<&'a str> + From<String>,
{
    type Value = T;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string")
    }

    fn visit_str<E: de::Error>(self, text: &str) -> Result<T, E> {
        Ok(T::from(text))
    }

    fn visit_string<E: de::Error>(self, text: String) -> Result<T, E> {
        Ok(T::from(text))
    }
}

// The invocations, one per enumeration of the spec, are generated.
pub use crate::generated::enums::*;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_values_use_the_documented_spelling() {
        for text in ResourceType::KNOWN {
            let value = ResourceType::from(*text);
            assert!(value.is_known());
            assert_eq!(value.as_str(), *text);
            assert!(!text.contains(' '));
        }
        assert_eq!(Status::from("waiting_restore"), Status::WaitingRestore);
        assert_eq!(RestoreMode::from("backup"), RestoreMode::Backup);
    }

    #[test]
    fn unknown_values_are_kept() {
        let frozen: Status = serde_json::from_str("\"frozen\"").unwrap_or(Status::Available);
        assert_eq!(frozen, Status::Unknown("frozen".into()));
        assert_eq!(serde_json::to_string(&frozen).ok().as_deref(), Some("\"frozen\""));
        assert_eq!(ResourceType::from("OS::Sfs::Turbo"), ResourceType::SfsTurbo);
        assert_eq!(RestoreMode::from(" backup"), RestoreMode::Unknown(" backup".into()));
    }
}
