//! What the operator is told about the Service Mesh step that follows the managers: the
//! vendor's order is managers -> verify -> Service Mesh -> verify-mesh, the mesh update is
//! started from the SOURCE site's HCX Manager only (no public API starts it), and the
//! check after it is `verify --phase mesh`. The commands printed here carry every option
//! the run was given that they need (`--site` with `admin=` and `role=`, `--ca-cert`,
//! `--insecure`, the policy options, `--target`), shell-quoted, so that they work when
//! pasted. Not its job: judging (that is the policy) or starting anything.

use crate::collect::{CollectOptions, SiteSpec};
use crate::snapshot::{Role, Snapshot};
use crate::version::HcxVersion;

/// The options of a run that a printed follow-up command must repeat.
#[derive(Debug, Clone)]
pub struct CommandBase<'a> {
    pub collect: &'a CollectOptions,
    pub target: &'a HcxVersion,
    /// `--policy-dir`/`--config` as given (already split into words).
    pub policy_words: &'a [String],
}

fn quote(word: &str) -> String {
    // try_quote only fails on a NUL byte, which no command-line argument can hold.
    shlex::try_quote(word).map(|q| q.into_owned()).unwrap_or_else(|_| word.to_string())
}

/// `NAME=URL,admin=URL[,role=...]`: the `--site` value that reaches the same manager.
pub fn site_value(spec: &SiteSpec) -> String {
    let mut v = format!(
        "{}={},admin={}",
        spec.name,
        spec.url.as_str().trim_end_matches('/'),
        spec.admin_url.as_str().trim_end_matches('/')
    );
    if let Some(role) = spec.role {
        v.push_str(match role {
            Role::Connector => ",role=connector",
            Role::Cloud => ",role=cloud",
        });
    }
    v
}

impl CommandBase<'_> {
    /// `hcx-preflight VERB ARGS... --target T --site ... --ca-cert ...`, quoted for a shell.
    pub fn command(&self, verb_and_args: &[&str]) -> String {
        let mut words: Vec<String> = std::iter::once("hcx-preflight")
            .chain(verb_and_args.iter().copied())
            .map(str::to_string)
            .collect();
        words.extend(["--target".to_string(), self.target.to_string()]);
        for s in &self.collect.sites {
            words.extend(["--site".to_string(), site_value(s)]);
        }
        for ca in &self.collect.ca_cert {
            words.extend(["--ca-cert".to_string(), ca.display().to_string()]);
        }
        if self.collect.insecure {
            words.push("--insecure".into());
        }
        if let Some(file) = &self.collect.attestations {
            words.extend(["--attestations".to_string(), file.display().to_string()]);
        }
        words.extend(self.policy_words.iter().cloned());
        words.iter().map(|w| quote(w)).collect::<Vec<_>>().join(" ")
    }

    /// The check after the Service Mesh upgrade.
    pub fn verify_mesh(&self) -> String {
        self.command(&["verify", "--phase", "mesh"])
    }

    /// The gate before the Service Mesh upgrade.
    pub fn gate_mesh(&self) -> String {
        self.command(&["upgrade", "--phase", "service-mesh"])
    }
}

/// The source site(s) of a snapshot, as `name (manager)`: where the mesh update starts.
fn source_sites(snapshot: &Snapshot, collect: &CollectOptions) -> String {
    let names: Vec<String> = snapshot
        .sites
        .iter()
        .filter(|s| s.role == Role::Connector)
        .map(|s| {
            let url = collect.sites.iter().find(|c| c.name == s.name).map(|c| c.url.to_string());
            let manager = s.manager.fqdn.clone().or(url).unwrap_or_else(|| s.name.clone());
            format!("{} ({})", s.name, manager.trim_end_matches('/'))
        })
        .collect();
    if names.is_empty() {
        "the connector, not among the sites of this run".into()
    } else {
        names.join(", ")
    }
}

/// How to update the appliances, then verify: the mesh step itself.
pub fn update_then_verify(snapshot: &Snapshot, base: &CommandBase) -> String {
    let attest_note = if base.collect.attest.is_empty() {
        String::new()
    } else {
        "\n     (state again, with current evidence, the facts you gave with --attest)".to_string()
    };
    format!(
        "  - update the appliances from the SOURCE site's HCX Manager only: {}: Interconnect > Service Mesh > \
         View Appliances > Update Appliance (each appliance's peer at the destination is updated with it; \
         redeploy the SGW to update SGW and SDR), and wait until every appliance shows Tunnel Up;\n\
         \x20 - then check that the mesh upgrade is complete:\n     {}{attest_note}",
        source_sites(snapshot, base.collect),
        base.verify_mesh()
    )
}

/// What follows a verified managers' upgrade: gate the mesh, update it, verify it.
pub fn after_managers(snapshot: &Snapshot, base: &CommandBase) -> String {
    format!(
        "Next, the Service Mesh (its appliances now lag their managers and offer an update):\n\
         \x20 - gate it:\n     {}\n{}",
        base.gate_mesh(),
        update_then_verify(snapshot, base)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_repeat_every_option_quoted() {
        let mut args = CollectOptions::new(vec![
            SiteSpec::parse("source=https://hcx.corp.example").unwrap(),
            SiteSpec::parse("cloud-east=https://hcx.east.example:8443,admin=https://adm.east.example:9443,role=cloud")
                .unwrap(),
        ]);
        args.ca_cert.push("/tmp/my certs/ca.pem".into());
        let target: HcxVersion = "9.0.0.0".parse().unwrap();
        let policy = vec!["--policy-dir".to_string(), "org".to_string()];
        let base = CommandBase { collect: &args, target: &target, policy_words: &policy };
        assert_eq!(
            base.verify_mesh(),
            "hcx-preflight verify --phase mesh --target 9.0.0.0 \
             --site 'source=https://hcx.corp.example,admin=https://hcx.corp.example:9443' \
             --site 'cloud-east=https://hcx.east.example:8443,admin=https://adm.east.example:9443,role=cloud' \
             --ca-cert '/tmp/my certs/ca.pem' --policy-dir org"
        );
        let words = shlex::split(&base.verify_mesh()).unwrap();
        assert!(words.contains(&"/tmp/my certs/ca.pem".to_string()));
    }
}
