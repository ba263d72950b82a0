//! Connecting: which service to talk to (an endpoint, or the in-process emulator), for which
//! project, through which transport.

use std::sync::Arc;

use cbr_api::Client;
use cbr_emulator::{Dataset, Emulator, RunningEmulator};
use cbr_model::DOCUMENTED_PROJECT_ID;
use cbr_transport::ReqwestTransport;

use crate::Failure;
use crate::args::Connection;

/// The service to talk to, with the in-process emulator kept alive if one was started.
pub struct Target {
    endpoint: String,
    project_id: String,
    emulator: Option<RunningEmulator>,
}

impl Target {
    /// Resolves the connection flags, starting the in-process emulator if asked.
    pub async fn connect(connection: &Connection) -> Result<Self, Failure> {
        if connection.emulator {
            let project_id =
                connection.project_id.clone().unwrap_or_else(|| DOCUMENTED_PROJECT_ID.to_owned());
            let dataset = Dataset::documented().with_project_id(project_id.clone());
            let running = Emulator::new(dataset)
                .bind(([127, 0, 0, 1], 0).into())
                .await
                .map_err(|e| Failure::Runtime(format!("cannot start the emulator: {e}")))?;
            return Ok(Self { endpoint: running.base_url(), project_id, emulator: Some(running) });
        }
        let endpoint = connection.endpoint.clone().ok_or_else(|| {
            Failure::Usage(
                "no endpoint: pass --endpoint URL, or --emulator to try the built-in one".into(),
            )
        })?;
        let project_id = connection.project_id.clone().ok_or_else(|| {
            Failure::Usage(
                "missing project id: pass --project-id or set HUAWEICLOUD_SDK_PROJECT_ID".into(),
            )
        })?;
        Ok(Self { endpoint, project_id, emulator: None })
    }

    /// A client for this target, with the transport the connection flags describe.
    pub fn client(&self, connection: &Connection) -> Result<Client, Failure> {
        let transport = ReqwestTransport::builder()
            .timeout(connection.timeout)
            .build()
            .map_err(|e| Failure::Runtime(e.to_string()))?;
        Client::new(&self.endpoint, &self.project_id, Arc::new(transport))
            .map_err(|e| Failure::Usage(e.to_string()))
    }

    /// Stops the in-process emulator, if one was started.
    pub async fn close(self) {
        if let Some(emulator) = self.emulator {
            emulator.shutdown().await;
        }
    }
}
