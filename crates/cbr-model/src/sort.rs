//! The `sort` grammar: `key[:asc|desc]` pairs joined by commas, at most 255 characters.

use std::fmt;
use std::str::FromStr;

pub use crate::generated::query::MAX_SORT_LEN;

/// A field the service can sort backups by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum SortField {
    /// `created_at`, the service's default order (newest first).
    CreatedAt,
    /// `updated_at`.
    UpdatedAt,
    /// `name`.
    Name,
    /// `status`.
    Status,
    /// `protected_at`.
    ProtectedAt,
    /// `id`.
    Id,
}

impl SortField {
    /// Every field in documentation order.
    pub const ALL: [Self; 6] =
        [Self::CreatedAt, Self::UpdatedAt, Self::Name, Self::Status, Self::ProtectedAt, Self::Id];

    /// The wire spelling.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::CreatedAt => "created_at",
            Self::UpdatedAt => "updated_at",
            Self::Name => "name",
            Self::Status => "status",
            Self::ProtectedAt => "protected_at",
            Self::Id => "id",
        }
    }

    fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|field| field.as_str() == text)
    }
}

/// The direction of one sort key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum SortDirection {
    /// Smallest first.
    Asc,
    /// Largest first; the service's choice when a key has no direction.
    Desc,
}

impl SortDirection {
    /// The wire spelling.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Asc => "asc",
            Self::Desc => "desc",
        }
    }
}

/// One `key[:direction]` element of a sort.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct SortKey {
    /// The field sorted by.
    pub field: SortField,
    /// The direction as written; `None` means the service default, descending.
    pub direction: Option<SortDirection>,
}

impl SortKey {
    /// The direction in effect: the one written, or descending.
    #[must_use]
    pub fn effective_direction(&self) -> SortDirection {
        self.direction.unwrap_or(SortDirection::Desc)
    }
}

/// A whole `sort` value: one or more keys, most significant first.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Sort {
    keys: Vec<SortKey>,
}

/// Why a `sort` value was refused; each variant names the part at fault.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SortError {
    /// Nothing to sort by.
    #[error("sort is empty; expected key[:asc|desc],...")]
    Empty,
    /// An empty element between commas.
    #[error("sort element {position} is empty; expected key[:asc|desc]")]
    EmptyElement {
        /// 1-based position of the element.
        position: usize,
    },
    /// A key the service does not sort by.
    #[error(
        "unknown sort key {key:?} in element {position}; \
         expected one of created_at, updated_at, name, status, protected_at, id"
    )]
    UnknownKey {
        /// The key as written.
        key: String,
        /// 1-based position of the element.
        position: usize,
    },
    /// A direction other than `asc`/`desc`.
    #[error("unknown sort direction {direction:?} in element {position}; expected asc or desc")]
    UnknownDirection {
        /// The direction as written.
        direction: String,
        /// 1-based position of the element.
        position: usize,
    },
    /// The value is longer than the service accepts.
    #[error("sort is {length} characters long; at most 255 are allowed")]
    TooLong {
        /// Length in characters.
        length: usize,
    },
}

impl Sort {
    /// A sort by the given keys; fails if there are none or the rendered value is too long.
    pub fn new(keys: Vec<SortKey>) -> Result<Self, SortError> {
        if keys.is_empty() {
            return Err(SortError::Empty);
        }
        let sort = Self { keys };
        let length = sort.to_string().chars().count();
        if length > MAX_SORT_LEN {
            return Err(SortError::TooLong { length });
        }
        Ok(sort)
    }

    /// A sort by one field in one direction.
    #[must_use]
    pub fn by(field: SortField, direction: SortDirection) -> Self {
        Self { keys: vec![SortKey { field, direction: Some(direction) }] }
    }

    /// The keys, most significant first.
    #[must_use]
    pub fn keys(&self) -> &[SortKey] {
        &self.keys
    }
}

impl FromStr for Sort {
    type Err = SortError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let length = text.chars().count();
        if length > MAX_SORT_LEN {
            return Err(SortError::TooLong { length });
        }
        if text.is_empty() {
            return Err(SortError::Empty);
        }
        let mut keys = Vec::new();
        for (index, element) in text.split(',').enumerate() {
            let position = index + 1;
            if element.is_empty() {
                return Err(SortError::EmptyElement { position });
            }
            let (key, direction) = match element.split_once(':') {
                Some((key, direction)) => (key, Some(direction)),
                None => (element, None),
            };
            let field = SortField::parse(key)
                .ok_or_else(|| SortError::UnknownKey { key: key.to_owned(), position })?;
            let direction = match direction {
                None => None,
                Some("asc") => Some(SortDirection::Asc),
                Some("desc") => Some(SortDirection::Desc),
                Some(other) => {
                    return Err(SortError::UnknownDirection {
                        direction: other.to_owned(),
                        position,
                    });
                }
            };
            keys.push(SortKey { field, direction });
        }
        Ok(Self { keys })
    }
}

impl fmt::Display for Sort {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (index, key) in self.keys.iter().enumerate() {
            if index > 0 {
                f.write_str(",")?;
            }
            f.write_str(key.field.as_str())?;
            if let Some(direction) = key.direction {
                write!(f, ":{}", direction.as_str())?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_renders_the_documented_grammar() {
        let sort: Sort = "created_at:desc,name:asc,id".parse().unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(sort.keys().len(), 3);
        assert_eq!(sort.keys()[2].direction, None);
        assert_eq!(sort.keys()[2].effective_direction(), SortDirection::Desc);
        assert_eq!(sort.to_string(), "created_at:desc,name:asc,id");
    }

    #[test]
    fn errors_name_the_bad_part() {
        let err = |text: &str| text.parse::<Sort>().err().map(|e| e.to_string());
        assert_eq!(
            err("bogus_key"),
            Some(
                "unknown sort key \"bogus_key\" in element 1; expected one of created_at, \
                 updated_at, name, status, protected_at, id"
                    .into()
            )
        );
        assert!(err("name:up").is_some_and(|m| m.contains("\"up\" in element 1")));
        assert!(err("name,,id").is_some_and(|m| m.contains("element 2 is empty")));
        assert!(err("created_at:desc&limit=1").is_some_and(|m| m.contains("direction")));
        assert!(err(&"id,".repeat(100)).is_some_and(|m| m.contains("at most 255")));
        assert!(err("").is_some());
    }
}
