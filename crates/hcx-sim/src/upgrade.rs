//! The 9.x appliance-management System Upgrade, simulated (paths in
//! [`hcx_preflight::api::inferred::upgrade_api`], which are inferred). After a start the site
//! is IN_PROGRESS, then "reboots" (both listeners drop and refuse connections for the
//! scenario's reboot time), then comes back on the target version; or, per scenario,
//! fails in pre-upgrade validation, or never comes back.

use std::sync::Arc;
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{json, Value};

use super::routes::Ctx;
use super::scenario::UpgradeOutcome;

fn answer(status: StatusCode, v: Value) -> Response {
    (
        status,
        [(axum::http::header::CONTENT_TYPE, "application/json")],
        v.to_string(),
    )
        .into_response()
}

/// `POST` start: `{targetVersion, upgradePolicy{...}}`.
pub async fn start(State(ctx): State<Arc<Ctx>>, body: Bytes) -> Response {
    let b: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let Some(target) = b["targetVersion"].as_str().map(str::to_string) else {
        return answer(StatusCode::BAD_REQUEST, json!({"message": "targetVersion is required"}));
    };
    if !b["upgradePolicy"].is_object() {
        return answer(StatusCode::BAD_REQUEST, json!({"message": "upgradePolicy is required"}));
    }
    let current = ctx.site.upgrade();
    if matches!(current.status, "QUEUED" | "IN_PROGRESS") {
        return answer(
            StatusCode::CONFLICT,
            json!({"message": "an upgrade is already running"}),
        );
    }
    ctx.site.update_upgrade(|u| {
        u.status = "IN_PROGRESS";
        u.progress = 10;
        u.message = format!("Upgrading to {target}");
        u.target = Some(target.clone());
        u.sub_tasks = vec![json!({"state": "PRE_UPGRADE_VALIDATION", "status": "IN_PROGRESS", "message": ""})];
    });
    let site = ctx.site.clone();
    tokio::spawn(async move {
        let plan = site.scenario.upgrade.clone();
        tokio::time::sleep(Duration::from_millis(plan.in_progress_ms)).await;
        if plan.outcome == UpgradeOutcome::Failed {
            site.update_upgrade(|u| {
                u.status = "FAILED";
                u.message = "Pre-upgrade validation failed".into();
                u.sub_tasks = vec![json!({"state": "PRE_UPGRADE_VALIDATION", "status": "FAILED",
                    "message": "simulated validation failure"})];
            });
            return;
        }
        site.update_upgrade(|u| u.progress = 60);
        site.set_down(true);
        if plan.outcome == UpgradeOutcome::NeverReturns {
            return;
        }
        tokio::time::sleep(Duration::from_millis(plan.reboot_ms)).await;
        let (_, old_build) = site.release();
        site.set_release(target.clone(), plan.target_build.clone().unwrap_or(old_build));
        site.update_upgrade(|u| {
            u.status = "SUCCESS";
            u.progress = 100;
            u.message = format!("Upgraded to {target}");
            u.sub_tasks = vec![json!({"state": "POST_UPGRADE", "status": "SUCCESS", "message": ""})];
        });
        site.set_down(false);
    });
    answer(
        StatusCode::ACCEPTED,
        json!({"status": "QUEUED", "targetVersion": b["targetVersion"]}),
    )
}

/// `GET` status.
pub async fn status(State(ctx): State<Arc<Ctx>>) -> Response {
    let u = ctx.site.upgrade();
    let (version, build) = ctx.site.release();
    answer(
        StatusCode::OK,
        json!({
            "status": u.status,
            "message": u.message,
            "progress": u.progress,
            "currentVersion": version,
            "bundleMetadata": {"version": u.target.clone().unwrap_or(version), "buildNumber": build},
            "subTasks": u.sub_tasks,
        }),
    )
}
