//! A generated fleet for tests, benchmarks and the README: N estates on loopback, each a
//! copy of the two-site scenario (`fixtures/sim/two-site.json`: a connector paired with a
//! cloud), with tags, a share of estates with a fault, and the per-request latency of
//! the simulator. [`SimFleet::write`] writes what a user needs to try fleet mode: the CA
//! certificate, an inventory naming the sites and the credential variables, and per
//! estate the attestations an operator would give for the facts no API reports.
//!
//! Faults rotate over the faulty estates, so that any share of two or more shows both
//! families: a wrong password (401 at login: collection fails), an expired certificate
//! (TLS: collection fails), a full `/common` disk (collected fine, denied by policy).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::{CertMode, Scenario, SimError, SimOptions, Simulator};

/// The variables the generated inventory names for every estate.
pub const USERNAME_VAR: &str = "FLEET_HCX_USERNAME";
pub const PASSWORD_VAR: &str = "FLEET_HCX_PASSWORD";
pub const ADMIN_PASSWORD_VAR: &str = "FLEET_HCX_ADMIN_PASSWORD";

const USERNAME: &str = "administrator@vsphere.local";
const PASSWORD: &str = "fleet-sso-password";
const ADMIN_PASSWORD: &str = "fleet-admin-password";

const TEMPLATE: &str = include_str!("../../../fixtures/sim/two-site.json");

/// What to generate.
#[derive(Debug, Clone)]
pub struct FleetSpec {
    /// How many estates (each two sites).
    pub estates: usize,
    /// The share of estates with a fault, 0.0 to 1.0.
    pub fault_share: f64,
    /// Latency added to every request.
    pub latency_ms: u64,
}

/// The fault of one estate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EstateFault {
    /// The source manager refuses the inventory's password (401): collection fails.
    WrongPassword,
    /// The source manager presents an expired certificate: collection fails (TLS).
    ExpiredCertificate,
    /// `/common` of the source manager is 97 % full (attested): denied by `disk-space`.
    DiskFull,
}

impl EstateFault {
    const ALL: [EstateFault; 3] = [EstateFault::WrongPassword, EstateFault::ExpiredCertificate, EstateFault::DiskFull];

    /// Whether the estate cannot be collected at all.
    pub fn fails_collection(self) -> bool {
        !matches!(self, EstateFault::DiskFull)
    }
}

/// One generated estate.
#[derive(Debug, Clone)]
pub struct FleetEstate {
    pub name: String,
    pub tags: BTreeMap<String, String>,
    pub fault: Option<EstateFault>,
    /// `https://127.0.0.1:PORT` of the source and cloud managers' two APIs.
    pub source: (String, String),
    pub cloud: (String, String),
}

/// A running generated fleet.
pub struct SimFleet {
    pub sim: Simulator,
    pub estates: Vec<FleetEstate>,
}

/// The template's estate made healthy: its appliances and tunnels up, nothing in flight
/// (the template shows a degraded appliance and a migration, which every estate would repeat).
fn healthy(site: &mut super::SiteScenario) {
    for mesh in &mut site.service_meshes {
        for a in &mut mesh.appliances {
            a["status"] = serde_json::json!({"summary": {"overallStatus": "HEALTHY", "reasons": []}});
            a["tunnelStatus"] = serde_json::json!("UP");
        }
    }
    site.migrations.clear();
    site.replications = None;
}

/// Which estates have a fault: spread evenly, `round(n * share)` of them.
fn faulty(i: usize, n: usize, share: f64) -> bool {
    let share = share.clamp(0.0, 1.0);
    let count = |k: usize| ((k as f64) * share).round() as usize;
    n > 0 && count(i + 1) > count(i)
}

impl SimFleet {
    /// Generate and start the fleet.
    pub fn start(spec: &FleetSpec) -> Result<Self, SimError> {
        let template: Scenario = serde_json::from_str(TEMPLATE).map_err(|e| SimError::Scenario {
            path: "fixtures/sim/two-site.json".into(),
            message: e.to_string(),
        })?;
        let mut scenario = Scenario {
            description: format!("a generated fleet of {} estates", spec.estates),
            latency_ms: spec.latency_ms,
            sites: Vec::new(),
        };
        let mut estates = Vec::new();
        let mut faults_so_far = 0;
        for i in 0..spec.estates {
            let name = format!("estate-{:03}", i + 1);
            let fault = faulty(i, spec.estates, spec.fault_share).then(|| {
                faults_so_far += 1;
                EstateFault::ALL[(faults_so_far - 1) % EstateFault::ALL.len()]
            });
            for (k, site) in template.sites.iter().enumerate() {
                let mut site = site.clone();
                site.name = format!("{name}-{}", site.name);
                site.credentials.username = USERNAME.into();
                site.credentials.password = PASSWORD.into();
                site.credentials.admin_password = ADMIN_PASSWORD.into();
                healthy(&mut site);
                if k == 0 {
                    match fault {
                        Some(EstateFault::WrongPassword) => site.credentials.password = "rotated-elsewhere".into(),
                        Some(EstateFault::ExpiredCertificate) => site.certificate = CertMode::Expired,
                        _ => {}
                    }
                }
                scenario.sites.push(site);
            }
            let tags = [
                ("region", ["eu-west", "us-east", "ap-south"][i % 3].to_string()),
                ("customer", format!("customer-{}", i % 5 + 1)),
                ("environment", ["prod", "test"][i % 2].to_string()),
            ]
            .into_iter()
            .map(|(k, v)| (k.to_string(), v))
            .collect();
            estates.push(FleetEstate {
                name,
                tags,
                fault,
                source: Default::default(),
                cloud: Default::default(),
            });
        }
        let sim = Simulator::start(scenario, SimOptions::default())?;
        for (e, pair) in estates.iter_mut().zip(sim.sites().chunks(2)) {
            e.source = (pair[0].api_url.clone(), pair[0].admin_url.clone());
            e.cloud = (pair[1].api_url.clone(), pair[1].admin_url.clone());
        }
        Ok(SimFleet { sim, estates })
    }

    /// The environment the inventory's credential variables need.
    pub fn env(&self) -> BTreeMap<String, String> {
        [(USERNAME_VAR, USERNAME), (PASSWORD_VAR, PASSWORD), (ADMIN_PASSWORD_VAR, ADMIN_PASSWORD)]
            .into_iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    /// The inventory text (TOML), with attestation files named `<estate>.attest.toml`.
    pub fn inventory(&self) -> String {
        let mut t = String::from("# A generated fleet of the simulator (hcx-sim --fleet). Credentials come from\n");
        t.push_str(&format!("# the environment: {USERNAME_VAR}, {PASSWORD_VAR}, {ADMIN_PASSWORD_VAR}.\n\n"));
        t.push_str("[defaults]\ntarget = \"4.11.0\"\nphase = \"managers\"\n");
        for e in &self.estates {
            t.push_str(&format!("\n[[estate]]\nname = \"{}\"\n", e.name));
            let tags: Vec<String> = e.tags.iter().map(|(k, v)| format!("{k} = \"{v}\"")).collect();
            t.push_str(&format!("tags = {{ {} }}\n", tags.join(", ")));
            t.push_str(&format!(
                "credentials = {{ username = \"{USERNAME_VAR}\", password = \"{PASSWORD_VAR}\", admin_password = \"{ADMIN_PASSWORD_VAR}\" }}\n"
            ));
            t.push_str(&format!("attestations = \"{}.attest.toml\"\n", e.name));
            for (site, role, (api, admin)) in [("source", "connector", &e.source), ("cloud-east", "cloud", &e.cloud)] {
                t.push_str(&format!(
                    "\n[[estate.site]]\nname = \"{site}\"\nurl = \"{api}\"\nadmin = \"{admin}\"\nrole = \"{role}\"\n"
                ));
            }
        }
        t
    }

    /// The facts an operator of estate `e` attests (backup an hour before `now`, disk usage).
    pub fn attestations(&self, e: &FleetEstate, now: chrono::DateTime<chrono::Utc>) -> String {
        let backup = (now - chrono::Duration::hours(1)).format("%Y-%m-%dT%H:%M:%SZ");
        let disk = if e.fault == Some(EstateFault::DiskFull) { 97 } else { 41 };
        let mut t = String::new();
        for site in ["source", "cloud-east"] {
            for (fact, value, evidence) in [
                ("backup.last_success_at", format!("\"{backup}\""), "backup job of the nightly schedule"),
                ("manager.disk_common_used_percent", disk.to_string(), "df -h /common"),
                ("manager.provider_managed", "false".to_string(), "self-managed installation"),
            ] {
                t.push_str(&format!(
                    "[[attestation]]\nsite = \"{site}\"\nfact = \"{fact}\"\nvalue = {value}\nby = \"fleet-operator\"\nevidence = \"{evidence}\"\n\n"
                ));
            }
        }
        for (site, fact, value, evidence) in [
            ("source", "site_pairs.cloud-east.status", "healthy", "Site Pairing page shows the pair connected"),
            ("source", "connections.nsx.status", "healthy", "NSX Manager shown healthy on the appliance management dashboard"),
            ("cloud-east", "connections.cloud_director.status", "not_in_use", "no Cloud Director registered on the dashboard"),
            ("cloud-east", "connections.rmq.status", "not_in_use", "no RabbitMQ registered on the dashboard"),
        ] {
            t.push_str(&format!(
                "[[attestation]]\nsite = \"{site}\"\nfact = \"{fact}\"\nvalue = \"{value}\"\nby = \"fleet-operator\"\nevidence = \"{evidence}\"\n\n"
            ));
        }
        t
    }

    /// Write `ca.pem`, `inventory.toml` and the attestation files to `dir`; returns the
    /// inventory's path.
    pub fn write(&self, dir: &Path) -> std::io::Result<PathBuf> {
        std::fs::create_dir_all(dir)?;
        std::fs::write(dir.join("ca.pem"), self.sim.ca_pem())?;
        let now = chrono::Utc::now();
        for e in &self.estates {
            std::fs::write(dir.join(format!("{}.attest.toml", e.name)), self.attestations(e, now))?;
        }
        let path = dir.join("inventory.toml");
        std::fs::write(&path, self.inventory())?;
        Ok(path)
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_share_of_faulty_estates_is_spread_and_rounded() {
        let count = |n: usize, share: f64| (0..n).filter(|&i| super::faulty(i, n, share)).count();
        assert_eq!(count(10, 0.2), 2);
        assert_eq!(count(50, 0.1), 5);
        assert_eq!(count(3, 0.0), 0);
        assert_eq!(count(4, 1.0), 4);
        assert_eq!(count(7, 0.5), 4);
    }
}
