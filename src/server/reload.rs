//! Reloading the serving policy (on SIGHUP, on file changes with `--watch`, after a save) and
//! the signals that stop the service.

use super::App;
use crate::{Policy, PolicyError};

/// Reloads now; a policy that fails to load leaves the old one serving.
pub(crate) fn reload(app: &App, trigger: &str) -> Result<(), PolicyError> {
    match app.inner().handle.reload() {
        Ok(policy) => {
            record(app, trigger, Ok(&policy));
            Ok(())
        }
        Err(e) => {
            record(app, trigger, Err(&e));
            Err(e)
        }
    }
}

/// Logs a reload's outcome and updates what `/metrics`, `/readyz` and `/v1/policy` show.
fn record(app: &App, trigger: &str, outcome: Result<&Policy, &PolicyError>) {
    let inner = app.inner();
    match outcome {
        Ok(policy) => {
            // The text shown by `GET /v1/policy`: read after the load, so a save racing
            // with this reload shows its own text once its reload has run too.
            if let Ok(text) = std::fs::read_to_string(inner.handle.path()) {
                if let Ok(mut source) = inner.source.write() {
                    *source = text.into();
                }
            }
            inner.metrics.reloaded(trigger, Ok(policy));
            tracing::info!(
                trigger,
                policy = %policy.name(),
                version = %policy.version(),
                warnings = policy.warnings().len(),
                "policy reloaded"
            );
        }
        Err(e) => {
            inner.metrics.reloaded(trigger, Err(()));
            let serving = inner.handle.policy();
            let first = e.diagnostics().first().map(ToString::to_string);
            tracing::warn!(
                trigger,
                errors = e.error_count(),
                first = first.as_deref().unwrap_or(""),
                serving = %serving.name(),
                serving_version = %serving.version(),
                "policy reload failed; the previous policy is still serving"
            );
        }
    }
}

/// Starts the reload triggers: SIGHUP always, file changes with `--watch`. The returned
/// watcher must be kept for as long as watching should go on.
pub(crate) fn start(app: &App) -> std::io::Result<Option<crate::Watch>> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        let mut hangup = signal(SignalKind::hangup())?;
        let app = app.clone();
        tokio::spawn(async move {
            while hangup.recv().await.is_some() {
                let app = app.clone();
                let _ = tokio::task::spawn_blocking(move || reload(&app, "signal")).await;
            }
        });
    }
    if !app.inner().config.watch {
        return Ok(None);
    }
    let watcher = app.clone();
    app.inner()
        .handle
        .watch_with(move |outcome| record(&watcher, "watch", outcome))
        .map(Some)
        .map_err(std::io::Error::other)
}

/// A future that completes on SIGTERM or SIGINT (Ctrl-C). The handlers are installed here,
/// before the service answers, so that a signal never meets the default action.
pub(crate) fn stop_signal() -> std::io::Result<impl std::future::Future<Output = ()> + Send> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        let mut term = signal(SignalKind::terminate())?;
        let mut interrupt = signal(SignalKind::interrupt())?;
        Ok(async move {
            tokio::select! {
                _ = term.recv() => {}
                _ = interrupt.recv() => {}
            }
        })
    }
    #[cfg(not(unix))]
    Ok(async {
        let _ = tokio::signal::ctrl_c().await;
    })
}
