//! Connecting: which service to talk to (a region, an endpoint, or the in-process emulator),
//! for which project, as whom, and through which transport.
//!
//! - **Endpoint**: `--endpoint` wins; else `--region` through the region table; else
//!   `--emulator`. Signing takes `Host` from the request URI, so the signed host always
//!   follows the endpoint actually used.
//! - **Credentials**: explicit > environment > credentials file (see
//!   `cbr_transport::credentials`); the secret key is never a flag. An IAM token may come
//!   from [`TOKEN_VARIABLE`] instead of keys.
//! - **Project id**: `--project-id` > `HUAWEICLOUD_SDK_PROJECT_ID` > `project_id` in the
//!   credentials file; none is a usage error (never `/v3//backups`).
//! - **Transport**: `SigningTransport(ReqwestTransport)` signing `X-Project-Id` as the
//!   official SDK does, or `TokenTransport(ReqwestTransport)` with a token. Without either,
//!   only a loopback endpoint (a local emulator) is allowed, unsigned.
//! - **`--emulator`** starts the emulator with signature checks on and signs with its demo
//!   keys, so the main job runs real authentication end to end; credentials from the
//!   environment or the file are not used then.

use std::net::IpAddr;
use std::sync::Arc;

use cbr_api::{Client, RetryPolicy, endpoint_for_region};
use cbr_emulator::{DEMO_ACCESS_KEY, DEMO_SECRET_KEY, Dataset, Emulator, RunningEmulator};
use cbr_model::DOCUMENTED_PROJECT_ID;
use cbr_transport::credentials::{DEFAULT_CREDENTIALS_FILE, ENV_PROJECT_ID};
use cbr_transport::{
    Auth, CredentialChain, CredentialError, Credentials, Environment, HttpTransport,
    ProcessEnvironment, RecordingTransport, ReplayingTransport, ReqwestTransport, Signer,
    SigningTransport, StaticEnvironment, TokenTransport,
};

use crate::Failure;
use crate::args::Connection;

/// Environment variable that may hold an IAM token, sent as `X-Auth-Token` instead of
/// signing. The official SDKs have no such variable; this one is the CLI's own.
pub const TOKEN_VARIABLE: &str = "CBR_AUTH_TOKEN";

/// The service to talk to, with the in-process emulator kept alive if one was started.
pub struct Target {
    endpoint: String,
    project_id: String,
    auth: Option<Auth>,
    emulator: Option<RunningEmulator>,
}

impl Target {
    /// Resolves the connection flags with the process environment, starting the in-process
    /// emulator if asked.
    pub async fn connect(connection: &Connection) -> Result<Self, Failure> {
        if connection.emulator {
            return Self::start_emulator(connection).await;
        }
        let resolved = resolve(connection, &ProcessEnvironment)?;
        Ok(Self {
            endpoint: resolved.endpoint,
            project_id: resolved.project_id,
            auth: resolved.auth,
            emulator: None,
        })
    }

    async fn start_emulator(connection: &Connection) -> Result<Self, Failure> {
        let project_id = match &connection.project_id {
            Some(given) => checked_project_id(given)?,
            None => DOCUMENTED_PROJECT_ID.to_owned(),
        };
        let dataset = Dataset::documented().with_project_id(project_id.clone());
        let running = Emulator::new(dataset)
            .verify_signatures(DEMO_ACCESS_KEY, DEMO_SECRET_KEY)
            .bind(([127, 0, 0, 1], 0).into())
            .await
            .map_err(|e| Failure::Runtime(format!("cannot start the emulator: {e}")))?;
        let auth = Auth::Signed(Credentials::new(DEMO_ACCESS_KEY, DEMO_SECRET_KEY));
        Ok(Self {
            endpoint: running.base_url(),
            project_id,
            auth: Some(auth),
            emulator: Some(running),
        })
    }

    /// A client for this target: the network transport with the connection's timeout, under
    /// the authentication layer the credentials call for.
    pub fn client(&self, connection: &Connection) -> Result<Client, Failure> {
        let network: Arc<dyn HttpTransport> = match (&connection.replay, &connection.record) {
            (Some(cassette), _) => {
                tracing::debug!(cassette = %cassette.display(), "transport: ReplayingTransport");
                Arc::new(
                    ReplayingTransport::from_file(cassette).map_err(|e| {
                        Failure::Usage(format!("--replay {}: {e}", cassette.display()))
                    })?,
                )
            }
            (None, record) => {
                let network = ReqwestTransport::builder()
                    .timeout(connection.timeout)
                    .build()
                    .map_err(|e| Failure::Runtime(e.to_string()))?;
                match record {
                    Some(cassette) => {
                        tracing::debug!(cassette = %cassette.display(), "recording");
                        Arc::new(RecordingTransport::new(network, cassette))
                    }
                    None => Arc::new(network),
                }
            }
        };
        let transport: Arc<dyn HttpTransport> = match &self.auth {
            Some(Auth::Signed(credentials)) => {
                tracing::debug!("transport: SigningTransport(ReqwestTransport), X-Project-Id");
                let signer = Signer::new(credentials.clone());
                let signing = SigningTransport::new(network, signer)
                    .with_project_id(&self.project_id)
                    .map_err(|e| Failure::Usage(e.to_string()))?;
                Arc::new(signing)
            }
            Some(Auth::Token(token)) => {
                tracing::debug!("transport: TokenTransport(ReqwestTransport)");
                Arc::new(
                    TokenTransport::new(network, token)
                        .map_err(|e| Failure::Usage(e.to_string()))?,
                )
            }
            Some(_) => {
                return Err(Failure::Usage("this kind of credentials is not supported".into()));
            }
            None => {
                tracing::debug!("transport: ReqwestTransport, unsigned");
                Arc::new(network)
            }
        };
        Client::builder(&self.endpoint, &self.project_id, transport)
            .retry(RetryPolicy::with_attempts(connection.retries.saturating_add(1)))
            .build()
            .map_err(|e| Failure::Usage(e.to_string()))
    }

    /// Stops the in-process emulator, if one was started.
    pub async fn close(self) {
        if let Some(emulator) = self.emulator {
            emulator.shutdown().await;
        }
    }
}

/// Where to send requests and as whom, before anything is started or sent.
#[derive(Debug)]
struct Resolved {
    endpoint: String,
    project_id: String,
    auth: Option<Auth>,
}

/// Resolves endpoint, credentials and project id for a real (non-emulator) connection.
fn resolve(connection: &Connection, env: &dyn Environment) -> Result<Resolved, Failure> {
    let endpoint = match (&connection.endpoint, &connection.region) {
        (Some(endpoint), region) => {
            if region.is_some() {
                tracing::info!("--endpoint given: --region does not choose the endpoint");
            }
            endpoint.clone()
        }
        (None, Some(region)) => {
            endpoint_for_region(region).map_err(|e| Failure::Usage(format!("--region: {e}")))?
        }
        (None, None) => {
            return Err(Failure::Usage(
                "no endpoint: pass --region REGION (e.g. cn-north-4), --endpoint URL, or \
                 --emulator to try the built-in one"
                    .into(),
            ));
        }
    };

    let mut chain = CredentialChain::new(env).with_token_variable(TOKEN_VARIABLE);
    if let Some(project_id) = &connection.project_id {
        chain = chain.with_project_id(project_id.clone(), "--project-id");
    }
    let auth = match chain.auth().map_err(credential_failure)? {
        Some(auth) => {
            tracing::info!(source = %auth.origin, "credentials found");
            Some(auth.value)
        }
        None if is_loopback(&endpoint) => {
            tracing::info!("no credentials: requests to the local endpoint are not signed");
            None
        }
        None if connection.replay.is_some() => {
            tracing::info!("no credentials: answers come from the cassette");
            None
        }
        None => return Err(no_credentials(&chain, &endpoint)),
    };
    let Some(project_id) = chain.project_id().map_err(credential_failure)? else {
        return Err(missing_project_id(&chain));
    };
    tracing::debug!(source = %project_id.origin, "project id found");
    Ok(Resolved { endpoint, project_id: project_id.value, auth })
}

/// `--project-id` checked like any other source (not blank, fit for a header).
fn checked_project_id(given: &str) -> Result<String, Failure> {
    let chain =
        CredentialChain::new(StaticEnvironment::new()).with_project_id(given, "--project-id");
    match chain.project_id().map_err(credential_failure)? {
        Some(project_id) => Ok(project_id.value),
        None => Err(missing_project_id(&chain)),
    }
}

fn credential_failure(error: CredentialError) -> Failure {
    Failure::Usage(error.to_string())
}

/// The credentials file as users know it, for messages.
fn credentials_file_shown<E: Environment>(chain: &CredentialChain<E>) -> String {
    match chain.credentials_file() {
        Ok(Some(path)) => path.display().to_string(),
        _ => format!("~/{DEFAULT_CREDENTIALS_FILE}"),
    }
}

fn no_credentials<E: Environment>(chain: &CredentialChain<E>, endpoint: &str) -> Failure {
    Failure::Usage(format!(
        "no credentials for {endpoint}: set HUAWEICLOUD_SDK_AK and HUAWEICLOUD_SDK_SK (and \
         HUAWEICLOUD_SDK_SECURITY_TOKEN for temporary keys), or put `ak` and `sk` in the \
         [basic] section of {}, or set {TOKEN_VARIABLE} to an IAM token (keys are never \
         taken from flags, which would leak into shell history)",
        credentials_file_shown(chain)
    ))
}

fn missing_project_id<E: Environment>(chain: &CredentialChain<E>) -> Failure {
    Failure::Usage(format!(
        "missing project id: pass --project-id ID, set {ENV_PROJECT_ID}, or add \
         `project_id = ID` to the [basic] section of {}",
        credentials_file_shown(chain)
    ))
}

/// Whether the endpoint's host is this machine (`localhost`, `127.0.0.0/8`, `::1`).
fn is_loopback(endpoint: &str) -> bool {
    let endpoint = endpoint.trim();
    let after_scheme = endpoint.split_once("://").map_or(endpoint, |(_, rest)| rest);
    let authority = after_scheme.split(['/', '?', '#']).next().unwrap_or_default();
    let host_port = authority.rsplit_once('@').map_or(authority, |(_, host)| host);
    let host = match host_port.strip_prefix('[') {
        Some(bracketed) => bracketed.split_once(']').map_or(bracketed, |(ip, _)| ip),
        None => host_port.split(':').next().unwrap_or_default(),
    };
    host.eq_ignore_ascii_case("localhost")
        || host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use std::time::Duration;

    use cbr_transport::credentials::{ENV_ACCESS_KEY, ENV_SECRET_KEY};

    use super::*;

    const REAL: &str = "https://cbr.cn-north-4.myhuaweicloud.com";

    fn connection() -> Connection {
        Connection {
            emulator: false,
            region: None,
            endpoint: None,
            project_id: None,
            timeout: Duration::from_secs(30),
            retries: 2,
            record: None,
            replay: None,
        }
    }

    fn with_keys() -> StaticEnvironment {
        StaticEnvironment::new()
            .with_var("HOME", "/home/tester")
            .with_var(ENV_ACCESS_KEY, "AK")
            .with_var(ENV_SECRET_KEY, "canary-sk-connect")
            .with_var(ENV_PROJECT_ID, "p-env")
    }

    fn usage(result: Result<Resolved, Failure>) -> String {
        match result {
            Err(Failure::Usage(message)) => message,
            other => panic!("expected a usage error, got {other:?}"),
        }
    }

    #[test]
    fn region_gives_the_endpoint_and_endpoint_wins_over_region() {
        // Given keys in the environment, a region, and then also an endpoint.
        let env = with_keys();
        let by_region = Connection { region: Some("eu-west-101".into()), ..connection() };
        let both = Connection {
            endpoint: Some("https://cbr.example.internal".into()),
            ..by_region.clone()
        };

        // When each is resolved.
        let from_region = resolve(&by_region, &env).unwrap();
        let from_endpoint = resolve(&both, &env).unwrap();

        // Then the region table decides only when no endpoint is given.
        assert_eq!(from_region.endpoint, "https://cbr.eu-west-101.myhuaweicloud.eu");
        assert_eq!(from_endpoint.endpoint, "https://cbr.example.internal");
        assert!(matches!(from_region.auth, Some(Auth::Signed(_))));
        assert_eq!(from_region.project_id, "p-env");
    }

    #[test]
    fn project_id_flag_beats_the_environment() {
        let flags = Connection {
            region: Some("cn-north-4".into()),
            project_id: Some("p-flag".into()),
            ..connection()
        };

        let resolved = resolve(&flags, &with_keys()).unwrap();

        assert_eq!(resolved.project_id, "p-flag");
    }

    #[test]
    fn missing_pieces_are_usage_errors_saying_what_to_do() {
        let no_project = StaticEnvironment::new()
            .with_var("HOME", "/home/tester")
            .with_var(ENV_ACCESS_KEY, "AK")
            .with_var(ENV_SECRET_KEY, "sk");
        let to_real = Connection { endpoint: Some(REAL.into()), ..connection() };

        let nowhere = usage(resolve(&connection(), &with_keys()));
        let bad_region =
            usage(resolve(&Connection { region: Some(" ".into()), ..connection() }, &with_keys()));
        let project = usage(resolve(&to_real, &no_project));
        let keys =
            usage(resolve(&to_real, &StaticEnvironment::new().with_var(ENV_PROJECT_ID, "p")));
        let blank_flag = usage(resolve(
            &Connection { project_id: Some(" ".into()), ..to_real.clone() },
            &with_keys(),
        ));

        assert!(nowhere.contains("--region") && nowhere.contains("--endpoint"), "{nowhere}");
        assert!(bad_region.starts_with("--region: the region is empty"), "{bad_region}");
        assert!(project.starts_with("missing project id: pass --project-id ID"), "{project}");
        assert!(project.contains("HUAWEICLOUD_SDK_PROJECT_ID"), "{project}");
        assert!(project.contains("/home/tester/.huaweicloud/credentials"), "{project}");
        assert!(keys.starts_with(&format!("no credentials for {REAL}: set HUAWEICLOUD_SDK_AK")));
        assert!(keys.contains("~/.huaweicloud/credentials") && keys.contains(TOKEN_VARIABLE));
        assert_eq!(blank_flag, "the project id from --project-id is empty");
        assert_eq!(
            checked_project_id("").err().map(|f| f.to_string()).as_deref(),
            Some("the project id from --project-id is empty")
        );
    }

    #[test]
    fn a_local_endpoint_may_be_used_without_credentials() {
        let env = StaticEnvironment::new().with_var(ENV_PROJECT_ID, "p");

        for endpoint in
            ["http://127.0.0.1:8080", "http://localhost:1", "http://[::1]:9", "127.0.0.2"]
        {
            let flags = Connection { endpoint: Some(endpoint.into()), ..connection() };

            let resolved = resolve(&flags, &env).unwrap();

            assert!(resolved.auth.is_none(), "{endpoint}");
        }
        assert!(!is_loopback("https://127.example.com"));
        assert!(!is_loopback("https://localhost.example.com"));
        assert!(!is_loopback("not a url"));
        assert!(!is_loopback("https://127.0.0.1.example.com:443"));
        assert!(!is_loopback("https://user@10.0.0.1/"));
        assert!(is_loopback("http://user@127.0.0.1:80/prefix"));
    }

    #[test]
    fn an_iam_token_from_the_environment_is_used() {
        let env = StaticEnvironment::new()
            .with_var(TOKEN_VARIABLE, "canary-token-connect")
            .with_var(ENV_PROJECT_ID, "p");
        let flags = Connection { endpoint: Some(REAL.into()), ..connection() };

        let resolved = resolve(&flags, &env).unwrap();

        assert!(matches!(resolved.auth, Some(Auth::Token(_))));
        assert!(!format!("{resolved:?}").contains("canary-token-connect"));
    }

    #[test]
    fn the_client_signs_with_the_project_id_and_a_local_client_does_not() {
        // Given a target with keys and one without.
        let signed = Target {
            endpoint: REAL.into(),
            project_id: "p-signed".into(),
            auth: Some(Auth::Signed(Credentials::new("AK", "canary-sk-connect"))),
            emulator: None,
        };
        let unsigned = Target {
            endpoint: "http://127.0.0.1:1".into(),
            project_id: "p".into(),
            auth: None,
            emulator: None,
        };

        // When clients are built.
        let signing = format!("{:?}", signed.client(&connection()).unwrap());
        let plain = format!("{:?}", unsigned.client(&connection()).unwrap());

        // Then only the first signs, with X-Project-Id, and neither shows the secret.
        assert!(signing.contains("SigningTransport") && signing.contains("p-signed"), "{signing}");
        assert!(!plain.contains("SigningTransport"), "{plain}");
        assert!(!signing.contains("canary-sk-connect"), "{signing}");
    }
}
