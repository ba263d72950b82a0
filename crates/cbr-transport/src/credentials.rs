//! Where credentials and the project id come from, and the IAM-token layer.
//!
//! [`CredentialChain`] finds how to authenticate ([`Auth`]) and the project id, in this
//! order, the first source that has a value winning:
//!
//! 1. **explicit** values given to the chain (code, or a command-line flag);
//! 2. the **environment**, with the official SDKs' names: [`ENV_ACCESS_KEY`],
//!    [`ENV_SECRET_KEY`], [`ENV_SECURITY_TOKEN`], [`ENV_PROJECT_ID`] (plus, if the caller
//!    names one with [`CredentialChain::with_token_variable`], a variable holding an IAM
//!    token);
//! 3. the official **credentials file**: [`ENV_CREDENTIALS_FILE`], else
//!    `~/.huaweicloud/credentials`, section `[basic]`, keys `ak`, `sk`, `security_token`,
//!    `project_id` (INI, read as the official SDK's `configparser` reads it).
//!
//! The credentials and the project id are resolved separately, each in that order, so keys
//! from the environment may go with a `project_id` from the file. Every value is checked
//! before anything is sent: an empty or whitespace-only value is an error naming its
//! source, as is half a key pair (an AK without an SK). Unlike the official SDK, no source
//! falls through silently to the next, and nothing is ever fetched from a metadata service.
//!
//! Everything is read through an [`Environment`], so tests use a [`StaticEnvironment`]
//! instead of the process environment and the real home directory.
//!
//! TODO: the official SDK finds a missing project id by asking IAM for the project named
//! after the region (`GET /v3/projects?name=<region>`); that needs the IAM API and its
//! endpoint table, which this crate does not have, so the project id must be given.

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::fmt;
use std::io;
use std::path::{Path, PathBuf};

use bytes::Bytes;
use http::header::AUTHORIZATION;
use http::{HeaderName, HeaderValue};

use crate::ini::Ini;
use crate::redact::REDACTED;
use crate::sign::{Credentials, SecretString, SignError};
use crate::{BoxFuture, HttpTransport, TransportError};

/// Environment variable holding the access key (AK).
pub const ENV_ACCESS_KEY: &str = "HUAWEICLOUD_SDK_AK";

/// Environment variable holding the secret key (SK).
pub const ENV_SECRET_KEY: &str = "HUAWEICLOUD_SDK_SK";

/// Environment variable holding the security token of temporary AK/SK.
pub const ENV_SECURITY_TOKEN: &str = "HUAWEICLOUD_SDK_SECURITY_TOKEN";

/// Environment variable holding the project id.
pub const ENV_PROJECT_ID: &str = "HUAWEICLOUD_SDK_PROJECT_ID";

/// Environment variable naming the credentials file.
pub const ENV_CREDENTIALS_FILE: &str = "HUAWEICLOUD_SDK_CREDENTIALS_FILE";

/// The credentials file's place under the home directory when [`ENV_CREDENTIALS_FILE`] is
/// not set.
pub const DEFAULT_CREDENTIALS_FILE: &str = ".huaweicloud/credentials";

/// The section of the credentials file holding project-level (`basic`) credentials.
pub const CREDENTIALS_SECTION: &str = "basic";

/// Header carrying an IAM token.
pub const X_AUTH_TOKEN: HeaderName = HeaderName::from_static("x-auth-token");

// ---------------------------------------------------------------------------------------
// What is resolved

/// How requests prove who sends them.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub enum Auth {
    /// AK/SK signing (SDK-HMAC-SHA256), permanent or temporary; see
    /// [`SigningTransport`](crate::SigningTransport).
    Signed(Credentials),
    /// An IAM token sent as `X-Auth-Token`; see [`TokenTransport`].
    Token(SecretString),
}

/// Where a value came from; shown in messages instead of the value.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Source {
    /// Given explicitly; the text says how (e.g. `--project-id`).
    Explicit(String),
    /// An environment variable.
    Environment(String),
    /// A key of the `[basic]` section of the credentials file.
    File {
        /// The credentials file.
        path: PathBuf,
        /// The key (lower case).
        key: String,
    },
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Explicit(how) => f.write_str(how),
            Self::Environment(name) => write!(f, "environment variable {name}"),
            Self::File { path, key } => {
                write!(f, "`{key}` in [{CREDENTIALS_SECTION}] of {}", path.display())
            }
        }
    }
}

/// A resolved value and where it came from.
#[derive(Clone, Debug)]
pub struct Resolved<T> {
    /// The value.
    pub value: T,
    /// Its source. For AK/SK credentials, the source of the access key.
    pub origin: Source,
}

/// Why credentials or the project id could not be resolved. Messages name sources, never
/// values.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CredentialError {
    /// A value is empty or only whitespace.
    #[error("the {what} from {origin} is empty")]
    Blank {
        /// What the value is (`secret key`, `project id`, ...).
        what: &'static str,
        /// Where it came from.
        origin: Source,
    },
    /// A value that must go into an HTTP header has characters a header cannot carry.
    #[error("the {what} from {origin} has characters an HTTP header cannot carry")]
    NotHeaderText {
        /// What the value is.
        what: &'static str,
        /// Where it came from.
        origin: Source,
    },
    /// An environment variable is not valid Unicode.
    #[error("{origin} is not valid Unicode")]
    NotUnicode {
        /// The variable.
        origin: Source,
    },
    /// Half of a pair is set: an access key without a secret key, or the reverse, or a
    /// security token without keys.
    #[error("{present} is set but {missing} is not: set both")]
    Incomplete {
        /// What is set.
        present: Source,
        /// What is missing.
        missing: Source,
    },
    /// Two ways to authenticate are set at the same level.
    #[error("both {first} and {second} are set: keep only one")]
    Conflict {
        /// One of them.
        first: Source,
        /// The other.
        second: Source,
    },
    /// The credentials file cannot be read.
    #[error("cannot read the credentials file {}: {source}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: io::Error,
    },
    /// The credentials file is not valid INI.
    #[error("credentials file {}, line {line}: {reason}", path.display())]
    Syntax {
        /// The file.
        path: PathBuf,
        /// Line number, from 1.
        line: usize,
        /// What is wrong (never the line's text).
        reason: &'static str,
    },
    /// The credentials file asks for a login this crate does not support.
    #[error("{origin} asks for federated login, which is not supported: set `ak` and `sk` instead")]
    Unsupported {
        /// The key found.
        origin: Source,
    },
}

// ---------------------------------------------------------------------------------------
// Environment

/// Where the chain reads environment variables and files from.
pub trait Environment: Send + Sync {
    /// The value of an environment variable; `None` when it is not set.
    fn var(&self, name: &str) -> Option<OsString>;

    /// The whole text of a file.
    fn read_to_string(&self, path: &Path) -> io::Result<String>;

    /// The user's home directory: `HOME` (`USERPROFILE` on Windows), if set and not empty.
    fn home_dir(&self) -> Option<PathBuf> {
        let name = if cfg!(windows) { "USERPROFILE" } else { "HOME" };
        self.var(name).filter(|home| !home.is_empty()).map(PathBuf::from)
    }
}

impl<E: Environment + ?Sized> Environment for &E {
    fn var(&self, name: &str) -> Option<OsString> {
        (**self).var(name)
    }

    fn read_to_string(&self, path: &Path) -> io::Result<String> {
        (**self).read_to_string(path)
    }

    fn home_dir(&self) -> Option<PathBuf> {
        (**self).home_dir()
    }
}

/// The process environment and the real file system.
#[derive(Clone, Copy, Debug, Default)]
pub struct ProcessEnvironment;

impl Environment for ProcessEnvironment {
    fn var(&self, name: &str) -> Option<OsString> {
        std::env::var_os(name)
    }

    fn read_to_string(&self, path: &Path) -> io::Result<String> {
        std::fs::read_to_string(path)
    }
}

/// A fixed set of variables and files, for tests; nothing else exists.
///
/// `Debug` lists variable names and file paths only, never their contents.
#[derive(Clone, Default)]
pub struct StaticEnvironment {
    vars: BTreeMap<String, OsString>,
    files: BTreeMap<PathBuf, String>,
}

impl StaticEnvironment {
    /// An environment without variables or files.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds (or replaces) a variable.
    pub fn with_var(mut self, name: impl Into<String>, value: impl Into<OsString>) -> Self {
        self.vars.insert(name.into(), value.into());
        self
    }

    /// Adds (or replaces) a file.
    pub fn with_file(mut self, path: impl Into<PathBuf>, text: impl Into<String>) -> Self {
        self.files.insert(path.into(), text.into());
        self
    }
}

impl Environment for StaticEnvironment {
    fn var(&self, name: &str) -> Option<OsString> {
        self.vars.get(name).cloned()
    }

    fn read_to_string(&self, path: &Path) -> io::Result<String> {
        self.files.get(path).cloned().ok_or_else(|| io::Error::from(io::ErrorKind::NotFound))
    }
}

impl fmt::Debug for StaticEnvironment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StaticEnvironment")
            .field("vars", &self.vars.keys().collect::<Vec<_>>())
            .field("files", &self.files.keys().collect::<Vec<_>>())
            .finish()
    }
}

// ---------------------------------------------------------------------------------------
// The chain

/// Resolves credentials and the project id: explicit > environment > credentials file.
///
/// Nothing is read until [`auth`](Self::auth) or [`project_id`](Self::project_id) is
/// called, and the credentials file only when the earlier sources have no value.
///
/// ```
/// use cbr_transport::{Auth, CredentialChain, StaticEnvironment};
///
/// let env = StaticEnvironment::new()
///     .with_var("HOME", "/home/me")
///     .with_var("HUAWEICLOUD_SDK_AK", "MY-AK")
///     .with_var("HUAWEICLOUD_SDK_SK", "my-sk")
///     .with_file("/home/me/.huaweicloud/credentials", "[basic]\nproject_id = p-1\n");
/// let chain = CredentialChain::new(env);
///
/// let auth = chain.auth()?.expect("keys are set");
/// assert!(matches!(&auth.value, Auth::Signed(c) if c.access_key() == "MY-AK"));
/// assert_eq!(auth.origin.to_string(), "environment variable HUAWEICLOUD_SDK_AK");
/// assert_eq!(chain.project_id()?.expect("in the file").value, "p-1");
/// # Ok::<(), cbr_transport::CredentialError>(())
/// ```
#[derive(Debug)]
pub struct CredentialChain<E> {
    env: E,
    explicit_auth: Option<Resolved<Auth>>,
    explicit_project_id: Option<Resolved<String>>,
    token_variable: Option<String>,
}

impl<E: Environment> CredentialChain<E> {
    /// A chain reading `env`, with no explicit values.
    pub fn new(env: E) -> Self {
        Self { env, explicit_auth: None, explicit_project_id: None, token_variable: None }
    }

    /// Uses `auth` instead of looking at the environment or the file; `given_as` says how it
    /// was given, for messages.
    pub fn with_auth(mut self, auth: Auth, given_as: impl Into<String>) -> Self {
        self.explicit_auth =
            Some(Resolved { value: auth, origin: Source::Explicit(given_as.into()) });
        self
    }

    /// Uses `project_id` instead of looking at the environment or the file; `given_as` says
    /// how it was given (e.g. `--project-id`), for messages.
    pub fn with_project_id(
        mut self,
        project_id: impl Into<String>,
        given_as: impl Into<String>,
    ) -> Self {
        self.explicit_project_id =
            Some(Resolved { value: project_id.into(), origin: Source::Explicit(given_as.into()) });
        self
    }

    /// Also reads an IAM token from the environment variable `name` (the official SDKs
    /// define none). It is an error to set both it and AK/SK in the environment.
    pub fn with_token_variable(mut self, name: impl Into<String>) -> Self {
        self.token_variable = Some(name.into());
        self
    }

    /// The credentials file the chain reads: [`ENV_CREDENTIALS_FILE`], else
    /// [`DEFAULT_CREDENTIALS_FILE`] under the home directory; `None` without a home
    /// directory. The file need not exist.
    pub fn credentials_file(&self) -> Result<Option<PathBuf>, CredentialError> {
        match self.env_value(ENV_CREDENTIALS_FILE, "credentials file path")? {
            Some(named) => Ok(Some(PathBuf::from(named.value))),
            None => Ok(self.env.home_dir().map(|home| home.join(DEFAULT_CREDENTIALS_FILE))),
        }
    }

    /// How to authenticate, or `None` when no source has credentials.
    pub fn auth(&self) -> Result<Option<Resolved<Auth>>, CredentialError> {
        if let Some(explicit) = &self.explicit_auth {
            check_auth(explicit)?;
            return Ok(Some(explicit.clone()));
        }
        if let Some(from_env) = self.env_auth()? {
            return Ok(Some(from_env));
        }
        self.file_auth()
    }

    /// The project id, or `None` when no source has one.
    pub fn project_id(&self) -> Result<Option<Resolved<String>>, CredentialError> {
        if let Some(explicit) = &self.explicit_project_id {
            check_header_text("project id", &explicit.value, &explicit.origin)?;
            return Ok(Some(explicit.clone()));
        }
        if let Some(from_env) = self.env_value(ENV_PROJECT_ID, "project id")? {
            check_header_text("project id", &from_env.value, &from_env.origin)?;
            return Ok(Some(from_env));
        }
        let Some(file) = self.load_file()? else { return Ok(None) };
        let project_id = file.value("project_id", "project id")?;
        if let Some(found) = &project_id {
            check_header_text("project id", &found.value, &found.origin)?;
        }
        Ok(project_id)
    }

    /// A non-blank environment variable, or `None` when unset.
    fn env_value(
        &self,
        name: &str,
        what: &'static str,
    ) -> Result<Option<Resolved<String>>, CredentialError> {
        let Some(raw) = self.env.var(name) else { return Ok(None) };
        let origin = Source::Environment(name.to_owned());
        let Ok(value) = raw.into_string() else {
            return Err(CredentialError::NotUnicode { origin });
        };
        check_not_blank(what, &value, &origin)?;
        Ok(Some(Resolved { value, origin }))
    }

    fn env_auth(&self) -> Result<Option<Resolved<Auth>>, CredentialError> {
        let access_key = self.env_value(ENV_ACCESS_KEY, "access key")?;
        let secret_key = self.env_value(ENV_SECRET_KEY, "secret key")?;
        let security_token = self.env_value(ENV_SECURITY_TOKEN, "security token")?;
        let iam_token = match &self.token_variable {
            Some(name) => self.env_value(name, "IAM token")?,
            None => None,
        };
        let env = |name: &str| Source::Environment(name.to_owned());
        let auth = match (access_key, secret_key) {
            (Some(access_key), Some(secret_key)) => {
                if let Some(iam_token) = iam_token {
                    return Err(CredentialError::Conflict {
                        first: access_key.origin,
                        second: iam_token.origin,
                    });
                }
                signed(access_key, secret_key, security_token)
            }
            (Some(access_key), None) => {
                return Err(CredentialError::Incomplete {
                    present: access_key.origin,
                    missing: env(ENV_SECRET_KEY),
                });
            }
            (None, Some(secret_key)) => {
                return Err(CredentialError::Incomplete {
                    present: secret_key.origin,
                    missing: env(ENV_ACCESS_KEY),
                });
            }
            (None, None) => {
                if let Some(security_token) = security_token {
                    return Err(CredentialError::Incomplete {
                        present: security_token.origin,
                        missing: env(ENV_ACCESS_KEY),
                    });
                }
                let Some(token) = iam_token else { return Ok(None) };
                Resolved {
                    value: Auth::Token(SecretString::new(token.value)),
                    origin: token.origin,
                }
            }
        };
        check_auth(&auth)?;
        Ok(Some(auth))
    }

    fn file_auth(&self) -> Result<Option<Resolved<Auth>>, CredentialError> {
        let Some(file) = self.load_file()? else { return Ok(None) };
        let access_key = file.value("ak", "access key")?;
        let secret_key = file.value("sk", "secret key")?;
        let security_token = file.value("security_token", "security token")?;
        let auth = match (access_key, secret_key) {
            (Some(access_key), Some(secret_key)) => signed(access_key, secret_key, security_token),
            (Some(present), None) => {
                let missing = file.origin("sk");
                return Err(CredentialError::Incomplete { present: present.origin, missing });
            }
            (None, Some(present)) => {
                let missing = file.origin("ak");
                return Err(CredentialError::Incomplete { present: present.origin, missing });
            }
            (None, None) => {
                if let Some(present) = security_token {
                    let missing = file.origin("ak");
                    return Err(CredentialError::Incomplete { present: present.origin, missing });
                }
                for key in ["idp_id", "id_token_file"] {
                    if file.ini.get(CREDENTIALS_SECTION, key).is_some() {
                        return Err(CredentialError::Unsupported { origin: file.origin(key) });
                    }
                }
                return Ok(None);
            }
        };
        check_auth(&auth)?;
        Ok(Some(auth))
    }

    /// The parsed credentials file; `None` when the default file does not exist. A file
    /// named by [`ENV_CREDENTIALS_FILE`] must exist.
    fn load_file(&self) -> Result<Option<CredentialsFile>, CredentialError> {
        let named = self.env.var(ENV_CREDENTIALS_FILE).is_some();
        let Some(path) = self.credentials_file()? else { return Ok(None) };
        let text = match self.env.read_to_string(&path) {
            Ok(text) => text,
            Err(e) if e.kind() == io::ErrorKind::NotFound && !named => {
                tracing::debug!(path = %path.display(), "no credentials file");
                return Ok(None);
            }
            Err(source) => return Err(CredentialError::Read { path, source }),
        };
        let ini = Ini::parse(&text).map_err(|e| CredentialError::Syntax {
            path: path.clone(),
            line: e.line,
            reason: e.reason,
        })?;
        if !ini.has_section(CREDENTIALS_SECTION) {
            tracing::debug!(path = %path.display(), "credentials file has no [basic] section");
        }
        Ok(Some(CredentialsFile { path, ini }))
    }
}

/// A parsed credentials file.
struct CredentialsFile {
    path: PathBuf,
    ini: Ini,
}

impl CredentialsFile {
    fn origin(&self, key: &str) -> Source {
        Source::File { path: self.path.clone(), key: key.to_owned() }
    }

    /// A non-blank key of `[basic]`, or `None` when absent.
    fn value(
        &self,
        key: &str,
        what: &'static str,
    ) -> Result<Option<Resolved<String>>, CredentialError> {
        let Some(value) = self.ini.get(CREDENTIALS_SECTION, key) else { return Ok(None) };
        let origin = self.origin(key);
        check_not_blank(what, value, &origin)?;
        Ok(Some(Resolved { value: value.to_owned(), origin }))
    }
}

fn signed(
    access_key: Resolved<String>,
    secret_key: Resolved<String>,
    security_token: Option<Resolved<String>>,
) -> Resolved<Auth> {
    let mut credentials = Credentials::new(access_key.value, secret_key.value);
    if let Some(token) = security_token {
        credentials = credentials.with_security_token(token.value);
    }
    Resolved { value: Auth::Signed(credentials), origin: access_key.origin }
}

/// Checks every part of `auth`: nothing blank, and what goes into a header is header text.
fn check_auth(auth: &Resolved<Auth>) -> Result<(), CredentialError> {
    let origin = &auth.origin;
    match &auth.value {
        Auth::Signed(credentials) => {
            check_header_text("access key", credentials.access_key(), origin)?;
            check_not_blank("secret key", credentials.secret_key().expose_secret(), origin)?;
            if let Some(token) = credentials.security_token() {
                check_header_text("security token", token.expose_secret(), origin)?;
            }
        }
        Auth::Token(token) => check_header_text("IAM token", token.expose_secret(), origin)?,
    }
    Ok(())
}

fn check_not_blank(
    what: &'static str,
    value: &str,
    origin: &Source,
) -> Result<(), CredentialError> {
    if value.trim().is_empty() {
        return Err(CredentialError::Blank { what, origin: origin.clone() });
    }
    Ok(())
}

fn check_header_text(
    what: &'static str,
    value: &str,
    origin: &Source,
) -> Result<(), CredentialError> {
    check_not_blank(what, value, origin)?;
    if HeaderValue::from_str(value.trim()).is_err() {
        return Err(CredentialError::NotHeaderText { what, origin: origin.clone() });
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------
// Token layer

/// A layer that sends an IAM token as `X-Auth-Token` instead of signing.
///
/// Any `Authorization` header on the request is removed. The header value is marked
/// sensitive, and [`RecordingTransport`](crate::RecordingTransport) redacts it.
pub struct TokenTransport<T> {
    inner: T,
    token: HeaderValue,
}

impl<T: HttpTransport> TokenTransport<T> {
    /// Sends `token` with every request through `inner`. Fails if the token cannot be a
    /// header value.
    pub fn new(inner: T, token: &SecretString) -> Result<Self, SignError> {
        let mut value = HeaderValue::from_str(token.expose_secret().trim())
            .map_err(|_| SignError::InvalidValue { what: "IAM token" })?;
        value.set_sensitive(true);
        Ok(Self { inner, token: value })
    }

    /// The wrapped transport.
    pub fn inner(&self) -> &T {
        &self.inner
    }
}

impl<T: fmt::Debug> fmt::Debug for TokenTransport<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenTransport")
            .field("inner", &self.inner)
            .field("token", &REDACTED)
            .finish()
    }
}

impl<T: HttpTransport> HttpTransport for TokenTransport<T> {
    fn send(
        &self,
        mut request: http::Request<Bytes>,
    ) -> BoxFuture<'_, Result<http::Response<Bytes>, TransportError>> {
        let headers = request.headers_mut();
        headers.remove(AUTHORIZATION);
        headers.insert(X_AUTH_TOKEN, self.token.clone());
        tracing::trace!("iam token attached");
        self.inner.send(request)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use std::sync::Arc;

    use super::*;

    const HOME: &str = "/home/tester";
    const FILE: &str = "/home/tester/.huaweicloud/credentials";
    const CANARY_SK: &str = "canary-sk-7d1f0c9e";
    const CANARY_TOKEN: &str = "canary-token-53ab";

    fn home() -> StaticEnvironment {
        StaticEnvironment::new().with_var("HOME", HOME)
    }

    fn keys(env: StaticEnvironment, ak: &str, sk: &str) -> StaticEnvironment {
        env.with_var(ENV_ACCESS_KEY, ak).with_var(ENV_SECRET_KEY, sk)
    }

    fn signed_ak(auth: &Resolved<Auth>) -> (&str, &str, Option<&str>) {
        match &auth.value {
            Auth::Signed(c) => (
                c.access_key(),
                c.secret_key().expose_secret(),
                c.security_token().map(SecretString::expose_secret),
            ),
            Auth::Token(_) => panic!("expected AK/SK, got a token"),
        }
    }

    #[test]
    fn environment_keys_and_project_id() {
        // Given the official variables, temporary keys included.
        let env = keys(home(), "AK-ENV", "sk-env")
            .with_var(ENV_SECURITY_TOKEN, "token-env")
            .with_var(ENV_PROJECT_ID, "p-env");

        // When the chain resolves.
        let chain = CredentialChain::new(env);
        let auth = chain.auth().unwrap().unwrap();
        let project = chain.project_id().unwrap().unwrap();

        // Then it uses them and says where they came from.
        assert_eq!(signed_ak(&auth), ("AK-ENV", "sk-env", Some("token-env")));
        assert_eq!(auth.origin, Source::Environment(ENV_ACCESS_KEY.into()));
        assert_eq!(project.value, "p-env");
        assert_eq!(project.origin.to_string(), "environment variable HUAWEICLOUD_SDK_PROJECT_ID");
    }

    #[test]
    fn credentials_file_in_the_home_directory() {
        let env = home().with_file(
            FILE,
            "[global]\nak = G\nsk = g\n[basic]\nak = AK-FILE\nsk = sk-file\n\
             security_token = tok-file\nproject_id = p-file\n",
        );

        let chain = CredentialChain::new(env);
        let auth = chain.auth().unwrap().unwrap();
        let project = chain.project_id().unwrap().unwrap();

        assert_eq!(signed_ak(&auth), ("AK-FILE", "sk-file", Some("tok-file")));
        assert_eq!(auth.origin.to_string(), format!("`ak` in [basic] of {FILE}"));
        assert_eq!(project.value, "p-file");
    }

    #[test]
    fn credentials_file_named_by_the_environment() {
        let env = home()
            .with_var(ENV_CREDENTIALS_FILE, "/etc/cbr/creds")
            .with_file("/etc/cbr/creds", "[basic]\nak = AK-NAMED\nsk = sk-named\n")
            .with_file(FILE, "[basic]\nak = AK-HOME\nsk = sk-home\n");

        let chain = CredentialChain::new(env);

        assert_eq!(signed_ak(&chain.auth().unwrap().unwrap()).0, "AK-NAMED");
        assert_eq!(chain.credentials_file().unwrap(), Some(PathBuf::from("/etc/cbr/creds")));
    }

    #[test]
    fn explicit_beats_environment_beats_file() {
        let file = "[basic]\nak = AK-FILE\nsk = sk-file\nproject_id = p-file\n";
        let with_file = home().with_file(FILE, file);
        let with_env =
            keys(with_file.clone(), "AK-ENV", "sk-env").with_var(ENV_PROJECT_ID, "p-env");

        let file_only = CredentialChain::new(with_file);
        let env_and_file = CredentialChain::new(with_env.clone());
        let explicit = CredentialChain::new(with_env)
            .with_auth(Auth::Signed(Credentials::new("AK-X", "sk-x")), "code")
            .with_project_id("p-x", "--project-id");

        assert_eq!(signed_ak(&file_only.auth().unwrap().unwrap()).0, "AK-FILE");
        assert_eq!(file_only.project_id().unwrap().unwrap().value, "p-file");
        assert_eq!(signed_ak(&env_and_file.auth().unwrap().unwrap()).0, "AK-ENV");
        assert_eq!(env_and_file.project_id().unwrap().unwrap().value, "p-env");
        assert_eq!(signed_ak(&explicit.auth().unwrap().unwrap()).0, "AK-X");
        let project = explicit.project_id().unwrap().unwrap();
        assert_eq!(
            (project.value.as_str(), project.origin.to_string()),
            ("p-x", "--project-id".into())
        );
    }

    #[test]
    fn project_id_may_come_from_the_file_while_keys_come_from_the_environment() {
        let env =
            keys(home(), "AK-ENV", "sk-env").with_file(FILE, "[basic]\nproject_id = p-file\n");

        let chain = CredentialChain::new(env);

        assert_eq!(signed_ak(&chain.auth().unwrap().unwrap()).0, "AK-ENV");
        let project = chain.project_id().unwrap().unwrap();
        assert_eq!(project.origin, Source::File { path: FILE.into(), key: "project_id".into() });
    }

    #[test]
    fn nothing_anywhere_is_none_not_an_error() {
        let no_home = CredentialChain::new(StaticEnvironment::new());
        let empty_home = CredentialChain::new(home());
        let other_sections = CredentialChain::new(home().with_file(FILE, "[global]\nak = a\n"));

        for chain in [no_home, empty_home, other_sections] {
            assert!(chain.auth().unwrap().is_none());
            assert!(chain.project_id().unwrap().is_none());
        }
    }

    #[test]
    fn blank_values_are_refused_naming_their_source() {
        let cases: Vec<(StaticEnvironment, &str)> = vec![
            (
                keys(home(), "AK", " \t"),
                "the secret key from environment variable HUAWEICLOUD_SDK_SK is empty",
            ),
            (
                keys(home(), "", "sk"),
                "the access key from environment variable HUAWEICLOUD_SDK_AK is empty",
            ),
            (
                keys(home(), "AK", "sk").with_var(ENV_SECURITY_TOKEN, ""),
                "the security token from environment variable \
                 HUAWEICLOUD_SDK_SECURITY_TOKEN is empty",
            ),
            (
                home().with_file(FILE, "[basic]\nak = AK\nsk =\n"),
                "the secret key from `sk` in [basic] of /home/tester/.huaweicloud/credentials \
                 is empty",
            ),
            (
                home().with_var(ENV_CREDENTIALS_FILE, "  "),
                "the credentials file path from environment variable \
                 HUAWEICLOUD_SDK_CREDENTIALS_FILE is empty",
            ),
        ];
        for (env, expected) in cases {
            let error = CredentialChain::new(env).auth().unwrap_err();

            assert_eq!(error.to_string(), expected);
        }

        let blank_project = [
            (
                home().with_var(ENV_PROJECT_ID, " "),
                "environment variable HUAWEICLOUD_SDK_PROJECT_ID",
            ),
            (home().with_file(FILE, "[basic]\nproject_id =\n"), "`project_id` in [basic]"),
        ];
        for (env, source) in blank_project {
            let error = CredentialChain::new(env).project_id().unwrap_err().to_string();

            assert!(error.starts_with("the project id from "), "{error}");
            assert!(error.contains(source) && error.ends_with("is empty"), "{error}");
        }
        let explicit = CredentialChain::new(home()).with_project_id("", "--project-id");
        assert_eq!(
            explicit.project_id().unwrap_err().to_string(),
            "the project id from --project-id is empty"
        );
        let explicit_sk = CredentialChain::new(home())
            .with_auth(Auth::Signed(Credentials::new("AK", "")), "code");
        assert!(matches!(
            explicit_sk.auth(),
            Err(CredentialError::Blank { what: "secret key", .. })
        ));
    }

    #[test]
    fn half_a_pair_is_refused_instead_of_falling_through() {
        let file = "[basic]\nak = AK-FILE\nsk = sk-file\n";
        let cases = [
            (home().with_var(ENV_ACCESS_KEY, "AK").with_file(FILE, file), ENV_SECRET_KEY),
            (home().with_var(ENV_SECRET_KEY, CANARY_SK), ENV_ACCESS_KEY),
            (home().with_var(ENV_SECURITY_TOKEN, CANARY_TOKEN), ENV_ACCESS_KEY),
            (home().with_file(FILE, "[basic]\nak = AK\n"), "`sk` in [basic]"),
            (home().with_file(FILE, "[basic]\nsecurity_token = t\n"), "`ak` in [basic]"),
        ];
        for (env, missing) in cases {
            let error = CredentialChain::new(env).auth().unwrap_err();

            assert!(matches!(error, CredentialError::Incomplete { .. }), "{error:?}");
            let text = error.to_string();
            assert!(text.contains(missing) && text.ends_with(" is not: set both"), "{text}");
            assert!(text.rfind(missing) > text.find(" is set but "), "{text}");
            assert!(!text.contains(CANARY_SK) && !text.contains(CANARY_TOKEN), "{text}");
        }
    }

    #[test]
    fn iam_token_from_a_named_variable() {
        let env = home().with_var("CBR_AUTH_TOKEN", CANARY_TOKEN);

        let without_name = CredentialChain::new(env.clone());
        let with_name = CredentialChain::new(env.clone()).with_token_variable("CBR_AUTH_TOKEN");
        let both =
            CredentialChain::new(keys(env, "AK", "sk")).with_token_variable("CBR_AUTH_TOKEN");

        assert!(without_name.auth().unwrap().is_none());
        let auth = with_name.auth().unwrap().unwrap();
        assert!(matches!(&auth.value, Auth::Token(t) if t.expose_secret() == CANARY_TOKEN));
        let conflict = both.auth().unwrap_err().to_string();
        assert_eq!(
            conflict,
            "both environment variable HUAWEICLOUD_SDK_AK and environment variable \
             CBR_AUTH_TOKEN are set: keep only one"
        );
    }

    #[test]
    fn file_problems_name_the_file_and_line_but_no_text() {
        let missing_named = home().with_var(ENV_CREDENTIALS_FILE, "/nowhere/creds");
        let bad_syntax = home().with_file(FILE, format!("[basic]\nak = A\n{CANARY_SK}\n"));
        let federated = home().with_file(FILE, "[basic]\nidp_id = idp\nid_token_file = /t\n");

        let missing = CredentialChain::new(missing_named).auth().unwrap_err();
        let syntax = CredentialChain::new(bad_syntax).auth().unwrap_err().to_string();
        let unsupported = CredentialChain::new(federated).auth().unwrap_err().to_string();

        let CredentialError::Read { path, .. } = missing else { panic!("{missing:?}") };
        assert_eq!(path, Path::new("/nowhere/creds"));
        assert!(syntax.starts_with(&format!("credentials file {FILE}, line 3: ")), "{syntax}");
        assert!(!syntax.contains(CANARY_SK), "{syntax}");
        assert!(
            unsupported.contains("`idp_id` in [basic]") && unsupported.contains("not supported")
        );
    }

    #[test]
    fn header_unsafe_values_are_refused() {
        let env = keys(home(), "AK\nX", "sk");
        let project = home().with_var(ENV_PROJECT_ID, "p\u{7f}");

        let ak = CredentialChain::new(env).auth().unwrap_err();
        let pid = CredentialChain::new(project).project_id().unwrap_err();

        assert!(matches!(ak, CredentialError::NotHeaderText { what: "access key", .. }));
        assert!(matches!(pid, CredentialError::NotHeaderText { what: "project id", .. }));
    }

    #[cfg(unix)]
    #[test]
    fn non_unicode_variables_are_refused() {
        use std::os::unix::ffi::OsStringExt as _;
        let env = keys(home(), "AK", "sk").with_var(ENV_SECRET_KEY, OsString::from_vec(vec![0xff]));

        let error = CredentialChain::new(env).auth().unwrap_err();

        assert_eq!(
            error.to_string(),
            "environment variable HUAWEICLOUD_SDK_SK is not valid Unicode"
        );
    }

    #[test]
    fn no_credential_type_shows_a_secret() {
        // Given canary secrets in every credential type and in every source.
        let env = keys(home(), "AK-PUBLIC", CANARY_SK)
            .with_var(ENV_SECURITY_TOKEN, CANARY_TOKEN)
            .with_var("CBR_AUTH_TOKEN", CANARY_TOKEN)
            .with_file(FILE, format!("[basic]\nak = A\nsk = {CANARY_SK}\n"));
        let chain = CredentialChain::new(env.clone());
        let auth = chain.auth().unwrap().unwrap();
        let token = Auth::Token(SecretString::new(CANARY_TOKEN));
        let mock = crate::MockTransport::new(|_| Ok(http::Response::new(Bytes::new())));
        let layer = TokenTransport::new(mock, &SecretString::new(CANARY_TOKEN)).unwrap();

        // When each is formatted every way it can be.
        let shown = format!(
            "{auth:?} {token:?} {env:?} {chain:?} {layer:?} {} {}",
            SecretString::new(CANARY_SK),
            auth.origin
        );

        // Then no secret is in the text, but the public parts are.
        assert!(!shown.contains(CANARY_SK), "{shown}");
        assert!(!shown.contains(CANARY_TOKEN), "{shown}");
        assert!(shown.contains("AK-PUBLIC") && shown.contains(REDACTED), "{shown}");
    }

    #[tokio::test]
    async fn token_layer_sends_x_auth_token_and_no_signature() {
        let mock = Arc::new(crate::MockTransport::new(|_| Ok(http::Response::new(Bytes::new()))));
        let layer = TokenTransport::new(mock.clone(), &SecretString::new(CANARY_TOKEN)).unwrap();
        let request = http::Request::get("https://h/v3/p/backups")
            .header("authorization", "stale")
            .body(Bytes::new())
            .unwrap();

        layer.send(request).await.unwrap();

        let seen = &mock.requests()[0];
        assert_eq!(seen.headers[X_AUTH_TOKEN], CANARY_TOKEN);
        assert!(seen.headers[X_AUTH_TOKEN].is_sensitive());
        assert!(!seen.headers.contains_key(AUTHORIZATION));
        assert!(!seen.headers.contains_key("x-sdk-date"));
    }

    #[test]
    fn token_layer_refuses_a_token_that_is_no_header() {
        let mock = crate::MockTransport::new(|_| Ok(http::Response::new(Bytes::new())));

        let result = TokenTransport::new(mock, &SecretString::new("a\nb"));

        assert!(matches!(result, Err(SignError::InvalidValue { what: "IAM token" })));
    }
}
