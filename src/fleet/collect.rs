//! Collecting a fleet: every selected estate of an inventory, at most `jobs` estates at
//! a time, each with the ordinary collector (so every promise of `collect` holds per
//! estate) and a bound on requests in flight per manager. Each snapshot is written
//! atomically as soon as its estate is done; a failed estate (unreachable, 401, TLS,
//! unset credential variable) is recorded with its error and the others go on. The
//! manifest (`fleet.json`) is written last, atomically.
//!
//! Progress (estates done / failed / in flight) goes to stderr when the caller asks for it.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use futures::stream::{self, StreamExt};

use super::{EstateInput, Manifest, ManifestEstate, Source, Stage};
use crate::check::LoadedSnapshot;
use crate::collect::{collect_with, CollectOptions, CollectError, CredentialSource};
use crate::inventory::Estate;

/// Default bound on requests in flight per manager in fleet mode.
pub const DEFAULT_PER_MANAGER: u16 = 4;

/// How to collect a fleet.
#[derive(Debug, Clone)]
pub struct FleetCollectOptions {
    /// TLS, timeouts, retries, the bound per manager (the sites come from the inventory).
    pub base: CollectOptions,
    /// At most this many estates at a time.
    pub jobs: usize,
    /// Write `<estate>.json` and the manifest here (else keep the snapshots in memory).
    pub out_dir: Option<PathBuf>,
    /// Show a progress bar on stderr (the caller decides: a terminal, not `--quiet`).
    pub progress: bool,
    /// The inventory file (recorded in the manifest).
    pub inventory: PathBuf,
}

/// Why a fleet collection could not run at all.
#[derive(Debug, thiserror::Error)]
pub enum FleetCollectError {
    #[error("cannot create {path}: {source}")]
    OutDir {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot write {path}: {source}")]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot start the runtime: {0}")]
    Runtime(#[source] std::io::Error),
    #[error("{0}")]
    Args(String),
}

/// The estates, collected (or failed), in inventory order, ready to judge.
pub fn collect_fleet_blocking(
    estates: &[&Estate],
    opts: &FleetCollectOptions,
    creds: &dyn CredentialSource,
) -> Result<Vec<EstateInput>, FleetCollectError> {
    crate::collect::runtime()
        .map_err(FleetCollectError::Runtime)?
        .block_on(collect_fleet(estates, opts, creds))
}

struct Counters {
    done: AtomicUsize,
    failed: AtomicUsize,
    running: AtomicUsize,
}

fn progress_bar(wanted: bool, total: usize) -> indicatif::ProgressBar {
    if !wanted {
        return indicatif::ProgressBar::hidden();
    }
    let pb = indicatif::ProgressBar::new(total as u64);
    let style = indicatif::ProgressStyle::with_template("{spinner} estates {pos}/{len} [{bar:30}] {msg}")
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar());
    pb.set_style(style);
    pb.enable_steady_tick(Duration::from_millis(120));
    pb
}

impl Counters {
    fn show(&self, pb: &indicatif::ProgressBar) {
        pb.set_message(format!(
            "{} done, {} failed, {} in flight",
            self.done.load(Ordering::Relaxed),
            self.failed.load(Ordering::Relaxed),
            self.running.load(Ordering::Relaxed)
        ));
    }
}

/// [`collect_fleet_blocking`] inside a runtime.
pub async fn collect_fleet(
    estates: &[&Estate],
    opts: &FleetCollectOptions,
    creds: &dyn CredentialSource,
) -> Result<Vec<EstateInput>, FleetCollectError> {
    if !opts.base.sites.is_empty() || !opts.base.attest.is_empty() || opts.base.attestations.is_some() || opts.base.password_stdin {
        return Err(FleetCollectError::Args(
            "with --inventory the sites, credentials and attestations come from the inventory: --site, --attest, --attestations and --password-stdin do not apply".into(),
        ));
    }
    if let Some(dir) = &opts.out_dir {
        std::fs::create_dir_all(dir).map_err(|source| FleetCollectError::OutDir {
            path: dir.clone(),
            source,
        })?;
    }
    let started = chrono::Utc::now();
    let counters = Counters {
        done: AtomicUsize::new(0),
        failed: AtomicUsize::new(0),
        running: AtomicUsize::new(0),
    };
    let pb = progress_bar(opts.progress, estates.len());
    let mut results: Vec<(usize, EstateInput, Option<String>)> = stream::iter(estates.iter().enumerate())
        .map(|(i, estate)| {
            let (counters, pb) = (&counters, &pb);
            async move {
                counters.running.fetch_add(1, Ordering::Relaxed);
                counters.show(pb);
                let outcome = collect_estate(estate, opts, creds).await;
                counters.running.fetch_sub(1, Ordering::Relaxed);
                let (source, error) = match outcome {
                    Ok((loaded, path)) => {
                        counters.done.fetch_add(1, Ordering::Relaxed);
                        (Source::Collected(Box::new(loaded), path), None)
                    }
                    Err(message) => {
                        counters.failed.fetch_add(1, Ordering::Relaxed);
                        (
                            Source::Failed {
                                stage: Stage::Collect,
                                message: message.clone(),
                            },
                            Some(message),
                        )
                    }
                };
                pb.inc(1);
                counters.show(pb);
                (i, EstateInput::of(estate, source), error)
            }
        })
        .buffer_unordered(opts.jobs.max(1))
        .collect()
        .await;
    pb.finish_and_clear();
    results.sort_by_key(|(i, _, _)| *i);
    if let Some(dir) = &opts.out_dir {
        write_manifest(dir, &opts.inventory, started, &results)?;
    }
    Ok(results.into_iter().map(|(_, input, _)| input).collect())
}

async fn collect_estate(
    estate: &Estate,
    opts: &FleetCollectOptions,
    creds: &dyn CredentialSource,
) -> Result<(LoadedSnapshot, Option<PathBuf>), String> {
    let missing = estate.missing_variables(creds);
    if !missing.is_empty() {
        return Err(format!("credential variable(s) not set: {}", missing.join(", ")));
    }
    let mut args = opts.base.clone();
    args.sites = estate.sites.clone();
    args.attestations = estate.attestations.clone();
    args.max_requests_per_manager = args.max_requests_per_manager.or(Some(DEFAULT_PER_MANAGER));
    let snapshot = collect_with(&args, false, &estate.credential_source(creds)).await.map_err(|e| {
        // The collector's hint names the contract's variables; the inventory may name others.
        let names = match &e {
            CollectError::CredentialsRejected { site, .. } => estate.credentials.get(site).map(|n| n.describe()),
            _ => None,
        };
        match names {
            Some(names) if !names.is_empty() => format!("{e}; for this estate the inventory names {names}"),
            _ => e.to_string(),
        }
    })?;
    let text = snapshot.to_json_pretty();
    let path = match &opts.out_dir {
        Some(dir) => {
            let path = dir.join(format!("{}.json", estate.name));
            crate::fsutil::write_atomic(&path, text.as_bytes()).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
            Some(path)
        }
        None => None,
    };
    let sha256 = crate::policy::sha256_hex(text.as_bytes());
    let shown = path.as_ref().map(|p| p.display().to_string());
    Ok((
        LoadedSnapshot {
            snapshot,
            sha256,
            path: shown,
            warnings: Vec::new(),
        },
        path,
    ))
}

fn write_manifest(
    dir: &Path,
    inventory: &Path,
    started: chrono::DateTime<chrono::Utc>,
    results: &[(usize, EstateInput, Option<String>)],
) -> Result<(), FleetCollectError> {
    let manifest = Manifest {
        schema_version: 1,
        inventory: inventory.display().to_string(),
        collected_at: crate::plan::format_time(&started),
        estates: results
            .iter()
            .map(|(_, e, error)| ManifestEstate {
                name: e.name.clone(),
                tags: e.tags.clone(),
                target: e.target.as_ref().map(|t| t.to_string()),
                phase: e.phase.map(|p| p.as_str().to_string()),
                snapshot: error.is_none().then(|| format!("{}.json", e.name)),
                error: error.clone(),
            })
            .collect(),
    };
    let path = dir.join(super::MANIFEST);
    let mut text = serde_json::to_string_pretty(&manifest).expect("a manifest serializes");
    text.push('\n');
    crate::fsutil::write_atomic(&path, text.as_bytes()).map_err(|source| FleetCollectError::Write { path, source })
}
