//! Reading the controller's engine connection info, from a file (waited for, as stock
//! engines wait for a controller that is still starting) or from `$IPP_CONNECTION_INFO`.

use std::time::Duration;

use px_wire::EngineConnectionInfo;
use tokio::time::Instant;

use crate::config::ConnectionSource;
use crate::error::{EngineError, Result};

/// How often a missing file is looked for again.
const POLL: Duration = Duration::from_millis(100);

/// The connection info `source` names, with `location` overriding the file's when given.
pub(crate) async fn load(
    source: &ConnectionSource,
    location: Option<&str>,
    wait: Duration,
) -> Result<EngineConnectionInfo> {
    let mut info = match source {
        ConnectionSource::Json(text) => parse_json(text)?,
        _ => {
            let path = source.file().unwrap_or_default();
            let deadline = Instant::now() + wait;
            if !path.exists() {
                tracing::info!("waiting up to {wait:?} for {}", path.display());
            }
            while !path.exists() {
                if Instant::now() >= deadline {
                    return Err(EngineError::NoConnectionFile { path, waited: wait });
                }
                tokio::time::sleep(POLL).await;
            }
            tracing::info!("loading connection info from {}", path.display());
            load_file(&path).await?
        }
    };
    if let Some(location) = location {
        info.security.location = Some(location.to_owned());
    }
    Ok(info)
}

async fn load_file(path: &std::path::Path) -> Result<EngineConnectionInfo> {
    // A controller writes the file as it starts: a half-written one is read again once.
    match EngineConnectionInfo::load(path) {
        Ok(info) => Ok(info),
        Err(_) => {
            tokio::time::sleep(Duration::from_millis(500)).await;
            EngineConnectionInfo::load(path).map_err(|e| EngineError::BadConnectionInfo {
                origin: path.display().to_string(),
                reason: e.to_string(),
            })
        }
    }
}

fn parse_json(text: &str) -> Result<EngineConnectionInfo> {
    let bad = |reason: String| EngineError::BadConnectionInfo {
        origin: "$IPP_CONNECTION_INFO".into(),
        reason,
    };
    let info: EngineConnectionInfo = serde_json::from_str(text).map_err(|e| bad(e.to_string()))?;
    info.security.check().map_err(|e| bad(e.to_string()))?;
    Ok(info)
}

#[cfg(test)]
mod tests {
    use super::*;

    const STOCK: &str = r#"{"ssh": "", "interface": "tcp://127.0.0.1", "registration": 43533,
        "control": 59591, "mux": 34195, "task": 34227, "iopub": 44849, "hb_ping": 42995,
        "hb_pong": 37705, "broadcast": [46647, 55087], "key": "9249ffff-2a4343bbe89f51fc0013c760",
        "curve_serverkey": null, "location": "vm", "pack": "json", "unpack": "json",
        "signature_scheme": "hmac-sha256"}"#;

    #[tokio::test]
    async fn the_environment_form_is_the_engine_file_as_json() {
        let source = ConnectionSource::Json(STOCK.into());
        let info = load(&source, Some("here"), Duration::ZERO).await.unwrap();
        assert_eq!(info.url(info.registration), "tcp://127.0.0.1:43533");
        assert_eq!(info.broadcast, vec![46647, 55087]);
        assert_eq!(info.security.location.as_deref(), Some("here"));
    }

    #[tokio::test]
    async fn a_pickle_packer_is_refused_by_name() {
        let text = STOCK.replace(r#""pack": "json""#, r#""pack": "pickle""#);
        let err = load(&ConnectionSource::Json(text), None, Duration::ZERO)
            .await
            .unwrap_err();
        assert!(err.to_string().contains("pickle"), "{err}");
    }

    #[tokio::test]
    async fn a_missing_file_is_waited_for_then_named() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ipcontroller-engine.json");
        let err = load(
            &ConnectionSource::File(path.clone()),
            None,
            Duration::from_millis(150),
        )
        .await
        .unwrap_err();
        assert!(matches!(err, EngineError::NoConnectionFile { path: p, .. } if p == path));
    }

    #[tokio::test]
    async fn a_profile_and_cluster_id_name_the_engine_file() {
        let dir = tempfile::tempdir().unwrap();
        let profile = px_wire::ProfileDir::at(dir.path());
        std::fs::create_dir_all(profile.security_dir()).unwrap();
        std::fs::write(profile.engine_file("abc"), STOCK).unwrap();
        let source = ConnectionSource::Profile {
            profile,
            cluster_id: "abc".into(),
        };
        let info = load(&source, None, Duration::ZERO).await.unwrap();
        assert_eq!(info.hb_ping, 42995);
    }
}
