//! Where requests go: the endpoint URL and the project whose backups are listed.

use crate::error::BuildError;
use cbr_model::encode::percent_encode;

/// A validated endpoint (`scheme://authority[/prefix]`) plus project id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    base: String,
    project_id: String,
}

impl Endpoint {
    /// Checks `endpoint` (an absolute `http` or `https` URL; a bare host gets `https://`) and
    /// `project_id` (not blank).
    pub fn new(endpoint: &str, project_id: &str) -> Result<Self, BuildError> {
        let bad = |reason: &str| BuildError::Endpoint {
            endpoint: endpoint.to_owned(),
            reason: reason.to_owned(),
        };
        let trimmed = endpoint.trim();
        if trimmed.is_empty() {
            return Err(bad("it is empty"));
        }
        let with_scheme =
            if trimmed.contains("://") { trimmed.to_owned() } else { format!("https://{trimmed}") };
        let uri: http::Uri = with_scheme.parse().map_err(|_| bad("not a URL"))?;
        match uri.scheme_str() {
            Some("http" | "https") => {}
            _ => return Err(bad("the scheme must be http or https")),
        }
        if uri.authority().is_none_or(|a| a.host().is_empty()) {
            return Err(bad("it has no host"));
        }
        if uri.query().is_some() {
            return Err(bad("it must not have a query"));
        }
        if project_id.trim().is_empty() {
            return Err(BuildError::MissingProjectId);
        }
        Ok(Self {
            base: with_scheme.trim_end_matches('/').to_owned(),
            project_id: project_id.to_owned(),
        })
    }

    /// The endpoint URL without a trailing `/`.
    #[must_use]
    pub fn base(&self) -> &str {
        &self.base
    }

    /// The project id.
    #[must_use]
    pub fn project_id(&self) -> &str {
        &self.project_id
    }

    /// The path of the backups collection, `/v3/{project_id}/backups` after any prefix of the
    /// endpoint; the project id is percent-encoded.
    #[must_use]
    pub fn backups_path(&self) -> String {
        let prefix = self.base.splitn(4, '/').nth(3).map(|p| format!("/{p}")).unwrap_or_default();
        format!("{prefix}/v3/{}/backups", percent_encode(&self.project_id))
    }

    /// The full URL of the backups collection with the given wire query (may be empty).
    #[must_use]
    pub fn backups_url(&self, query: &str) -> String {
        let origin_end = self.base.match_indices('/').nth(2).map_or(self.base.len(), |(i, _)| i);
        let origin = &self.base[..origin_end];
        if query.is_empty() {
            format!("{origin}{}", self.backups_path())
        } else {
            format!("{origin}{}?{query}", self.backups_path())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builds_the_documented_path() {
        let e = Endpoint::new("https://cbr.cn-north-4.myhuaweicloud.com/", "p1").unwrap();
        assert_eq!(e.backups_path(), "/v3/p1/backups");
        assert_eq!(
            e.backups_url("limit=5"),
            "https://cbr.cn-north-4.myhuaweicloud.com/v3/p1/backups?limit=5"
        );
        let local = Endpoint::new("http://127.0.0.1:8080/prefix", "p 1").unwrap();
        assert_eq!(local.backups_url(""), "http://127.0.0.1:8080/prefix/v3/p%201/backups");
        let bare = Endpoint::new("cbr.example.internal", "p").unwrap();
        assert_eq!(bare.base(), "https://cbr.example.internal");
    }

    #[test]
    fn refuses_what_cannot_work() {
        assert_eq!(Endpoint::new("https://h", " "), Err(BuildError::MissingProjectId));
        assert!(Endpoint::new("", "p").is_err());
        assert!(Endpoint::new("ftp://h", "p").is_err());
        assert!(Endpoint::new("https://h?x=1", "p").is_err());
    }
}
