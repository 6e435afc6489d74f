//! A service is declared once, in its manifest: name, schema and migrations, the gRPC
//! services of its peers that it calls, the services whose schema must exist before it
//! starts, its background jobs, its dev seed and its deployment size. `canopyd`, the
//! mesh authorisation policy, the Kubernetes and Linkerd manifests and the dev seeding
//! all derive from the [`Registry`] of manifests; the gRPC services a crate hosts come
//! from the descriptor set (`canopy.<name>.*`), never from a list restated in Rust.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use canopy_sdk::FILE_DESCRIPTOR_SET;
use futures_util::future::BoxFuture;
use prost::Message as _;
use sqlx::migrate::Migrator;
use tokio_util::sync::CancellationToken;
use tonic::service::Routes;

use crate::db::Database;
use crate::server::ServiceContext;

/// gRPC services every service calls through the kit, whatever its manifest says:
/// identity's verification keys and API keys (authentication), tenancy's tenant
/// access (suspension), and audit's ingest (the audit outbox). A service hosting
/// none of them still needs them to fail closed and to record its changes.
pub const KIT_CALLS: &[&str] =
    &[AUDIT_INGEST, "canopy.identity.v1.CredentialService", "canopy.tenancy.v1.QuotaService"];

/// Where every service's kit ships its audit outbox. Only services may call it (not
/// the edge, not operator tooling): a record's service is its caller's identity.
pub const AUDIT_INGEST: &str = "canopy.audit.v1.AuditIngestService";

/// gRPC services every service hosts besides its own (added by the kit).
pub const OPERATIONAL_SERVICES: &[&str] = &[
    "grpc.health.v1.Health",
    "grpc.reflection.v1.ServerReflection",
    "grpc.reflection.v1alpha.ServerReflection",
    "canopy.system.v1.SystemService",
];

/// Builds a service's routes and jobs once its context is ready.
pub type BuildService = fn(ServiceContext) -> BoxFuture<'static, anyhow::Result<Built>>;

/// Seeds a dev environment (`canopyd dev`); returns lines to print once, if any.
pub type DevSeed = fn(Database) -> BoxFuture<'static, anyhow::Result<Option<String>>>;

/// Everything the host and the generators need to know about one service.
#[derive(Clone, Copy)]
pub struct ServiceManifest {
    /// Service (and workload) name, e.g. `identity`. Its gRPC services are the
    /// descriptor set's `canopy.<name>.*` services.
    pub name: &'static str,
    /// Its PostgreSQL schema and migrations (`migrations/<name>/`), when it keeps data.
    pub schema: Option<Schema>,
    /// The peers' gRPC services it calls, by full name (the kit's [`KIT_CALLS`] are
    /// implied). The peer is the service whose package it is (`canopy.<peer>.v1`).
    pub calls: &'static [&'static str],
    /// Services whose schema this one writes in its own transactions, so must exist
    /// before it starts (sites writes the provisioner's queue). Migrated first here
    /// (idempotent, under the owner's advisory lock); also the start order in one process.
    pub after: &'static [&'static str],
    /// Names of its background jobs; [`Built::jobs`] must start exactly these.
    pub jobs: &'static [&'static str],
    /// Builds its routes and jobs.
    pub build: BuildService,
    /// What `canopyd dev` seeds for it on first start.
    pub dev_seed: Option<DevSeed>,
    /// How it is sized and scaled when deployed (Kubernetes).
    pub scaling: Scaling,
    /// It seals secrets with [`crate::secrets`], so it needs the key-encryption key
    /// (`[secrets]`; the generated Kubernetes manifests mount the keyring into it alone).
    pub seals_secrets: bool,
}

/// A schema and its migrations.
#[derive(Clone, Copy)]
pub struct Schema {
    pub name: &'static str,
    pub migrator: &'static Migrator,
}

/// Replicas and resources per pod.
#[derive(Debug, Clone, Copy)]
pub struct Scaling {
    pub min_replicas: u32,
    pub max_replicas: u32,
    pub cpu_request: &'static str,
    pub memory_request: &'static str,
    pub cpu_limit: &'static str,
    pub memory_limit: &'static str,
}

impl Scaling {
    /// A small stateless API service.
    pub const API: Scaling = Scaling {
        min_replicas: 2,
        max_replicas: 6,
        cpu_request: "100m",
        memory_request: "128Mi",
        cpu_limit: "1",
        memory_limit: "512Mi",
    };
}

/// What [`ServiceManifest::build`] returns.
pub struct Built {
    pub routes: Routes,
    pub jobs: Vec<Job>,
}

impl Built {
    /// Routes and no jobs.
    pub fn routes(routes: Routes) -> Self {
        Self { routes, jobs: Vec::new() }
    }
}

/// A background job: runs until its token is cancelled, then returns promptly.
pub struct Job {
    pub name: &'static str,
    run: Box<dyn FnOnce(CancellationToken) -> BoxFuture<'static, ()> + Send>,
}

impl Job {
    pub fn new<F, Fut>(name: &'static str, run: F) -> Self
    where
        F: FnOnce(CancellationToken) -> Fut + Send + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        Self { name, run: Box::new(move |token| Box::pin(run(token))) }
    }

    pub(crate) fn start(self, token: CancellationToken) -> BoxFuture<'static, ()> {
        (self.run)(token)
    }
}

impl fmt::Debug for Job {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Job").field("name", &self.name).finish_non_exhaustive()
    }
}

impl ServiceManifest {
    /// The Canopy gRPC services it hosts, from the descriptor set.
    pub fn grpc_services(&self) -> Vec<String> {
        let prefix = format!("canopy.{}.", self.name);
        descriptor_services().into_iter().filter(|s| s.starts_with(&prefix)).collect()
    }

    /// Every gRPC service it calls, the kit's included, sorted.
    pub fn all_calls(&self) -> BTreeSet<&'static str> {
        KIT_CALLS.iter().chain(self.calls).copied().collect()
    }

    /// The services it calls, the kit's included, itself excluded.
    pub fn peers(&self) -> BTreeSet<&'static str> {
        self.all_calls().into_iter().filter_map(owner_of).filter(|peer| *peer != self.name).collect()
    }
}

/// The service owning a Canopy gRPC service: `canopy.tenancy.v1.QuotaService` → `tenancy`.
pub fn owner_of(grpc_service: &str) -> Option<&str> {
    let rest = grpc_service.strip_prefix("canopy.")?;
    let (owner, _) = rest.split_once('.')?;
    Some(owner)
}

/// Every gRPC service in the descriptor set, by full name.
fn descriptor_services() -> Vec<String> {
    let set = prost_types::FileDescriptorSet::decode(FILE_DESCRIPTOR_SET).expect("the SDK's descriptor set decodes");
    let mut names: Vec<String> = set
        .file
        .iter()
        .flat_map(|file| file.service.iter().map(move |s| format!("{}.{}", file.package(), s.name())))
        .collect();
    names.sort();
    names
}

/// Why a set of manifests (or a selection of them) was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ManifestError {
    #[error("service {0} is registered twice")]
    Duplicate(String),
    #[error("service {service} calls {call}, which no registered service hosts")]
    UnknownCall { service: String, call: String },
    #[error("service {service} must start after {after}, which is not a registered service")]
    UnknownAfter { service: String, after: String },
    #[error("services depend on each other in a cycle: {}", .0.join(" → "))]
    Cycle(Vec<String>),
    #[error("--services: unknown service {name:?} (known: {known})")]
    UnknownService { name: String, known: String },
}

/// Every service a binary can run, validated: unique names, calls to gRPC services
/// that exist and belong to a registered service, `after` naming registered services,
/// and no cycle among `after`.
#[derive(Clone)]
pub struct Registry {
    manifests: Vec<&'static ServiceManifest>,
}

impl fmt::Debug for Registry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.manifests.iter().map(|m| m.name)).finish()
    }
}

impl Registry {
    pub fn new(manifests: &[&'static ServiceManifest]) -> Result<Self, ManifestError> {
        let mut names = BTreeSet::new();
        for manifest in manifests {
            if !names.insert(manifest.name) {
                return Err(ManifestError::Duplicate(manifest.name.into()));
            }
        }
        let hosted: BTreeSet<String> = descriptor_services().into_iter().collect();
        for manifest in manifests {
            for call in manifest.all_calls() {
                let owner_registered = owner_of(call).is_some_and(|owner| names.contains(owner));
                if !hosted.contains(call) || !owner_registered {
                    return Err(ManifestError::UnknownCall { service: manifest.name.into(), call: call.into() });
                }
            }
            if let Some(after) = manifest.after.iter().find(|after| !names.contains(**after)) {
                return Err(ManifestError::UnknownAfter { service: manifest.name.into(), after: (*after).into() });
            }
        }
        let registry = Self { manifests: manifests.to_vec() };
        registry.start_order(&registry.manifests)?;
        Ok(registry)
    }

    /// Every manifest, in registration order.
    pub fn all(&self) -> &[&'static ServiceManifest] {
        &self.manifests
    }

    pub fn get(&self, name: &str) -> Option<&'static ServiceManifest> {
        self.manifests.iter().copied().find(|m| m.name == name)
    }

    /// The named services in start order (all when none are named).
    pub fn select(&self, names: &[String]) -> Result<Vec<&'static ServiceManifest>, ManifestError> {
        if names.is_empty() {
            return self.start_order(&self.manifests);
        }
        let selected = names
            .iter()
            .map(|name| {
                self.get(name).ok_or_else(|| ManifestError::UnknownService {
                    name: name.clone(),
                    known: self.manifests.iter().map(|m| m.name).collect::<Vec<_>>().join(", "),
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        self.start_order(&selected)
    }

    /// The manifests `manifest` must start after, transitively, in start order.
    pub fn prerequisites(&self, manifest: &ServiceManifest) -> Vec<&'static ServiceManifest> {
        let mut found = Vec::new();
        let mut stack: Vec<&str> = manifest.after.to_vec();
        while let Some(name) = stack.pop() {
            if let Some(m) = self.get(name)
                && !found.iter().any(|f: &&ServiceManifest| f.name == name)
            {
                found.push(m);
                stack.extend(m.after);
            }
        }
        self.start_order(&found).unwrap_or(found)
    }

    /// Topological order over `after` (a prerequisite first), stable otherwise.
    fn start_order(
        &self,
        selected: &[&'static ServiceManifest],
    ) -> Result<Vec<&'static ServiceManifest>, ManifestError> {
        #[derive(Clone, Copy, PartialEq)]
        enum Mark {
            Visiting,
            Done,
        }
        fn visit(
            registry: &Registry,
            manifest: &'static ServiceManifest,
            marks: &mut BTreeMap<&'static str, Mark>,
            path: &mut Vec<&'static str>,
            order: &mut Vec<&'static ServiceManifest>,
        ) -> Result<(), ManifestError> {
            match marks.get(manifest.name) {
                Some(Mark::Done) => return Ok(()),
                Some(Mark::Visiting) => {
                    let start = path.iter().position(|n| *n == manifest.name).unwrap_or(0);
                    let mut cycle: Vec<String> = path[start..].iter().map(|s| s.to_string()).collect();
                    cycle.push(manifest.name.into());
                    return Err(ManifestError::Cycle(cycle));
                }
                None => {}
            }
            marks.insert(manifest.name, Mark::Visiting);
            path.push(manifest.name);
            for after in manifest.after {
                if let Some(prerequisite) = registry.get(after) {
                    visit(registry, prerequisite, marks, path, order)?;
                }
            }
            path.pop();
            marks.insert(manifest.name, Mark::Done);
            order.push(manifest);
            Ok(())
        }
        let mut marks = BTreeMap::new();
        let mut full_order = Vec::new();
        for manifest in selected {
            visit(self, manifest, &mut marks, &mut Vec::new(), &mut full_order)?;
        }
        // Prerequisites outside the selection are migrated, not started: keep the selection.
        Ok(full_order.into_iter().filter(|m| selected.iter().any(|s| s.name == m.name)).collect())
    }

    /// The mesh authorisation rules the manifests imply: operational surfaces and
    /// the kit's calls for every workload, every Canopy API for the edge gateway,
    /// and each manifest's calls for the services declaring them.
    pub fn mesh_rules(&self, edge: &str) -> Vec<MeshRule> {
        let mut rules = vec![
            MeshRule {
                why: "Operational surfaces every workload may reach (health, reflection, system info).".into(),
                services: OPERATIONAL_SERVICES.iter().map(|s| s.to_string()).collect(),
                callers: vec!["*".into()],
            },
            MeshRule {
                why: "What the kit calls in every service: verification keys and API keys (identity),\n\
                      whether a customer may act (tenancy)."
                    .into(),
                services: KIT_CALLS.iter().filter(|s| **s != AUDIT_INGEST).map(|s| s.to_string()).collect(),
                callers: vec!["*".into()],
            },
            MeshRule {
                why: "Every service's audit outbox is shipped to the audit trail; nothing else may add to it.".into(),
                services: vec![AUDIT_INGEST.into()],
                callers: self.manifests.iter().filter(|m| m.schema.is_some()).map(|m| m.name.to_string()).collect(),
            },
            MeshRule {
                why: format!(
                    "The edge forwards client calls to every Canopy API (each service still refuses\n\
                     methods whose audience is INTERNAL when the caller is the {edge})."
                ),
                services: vec!["canopy.*".into()],
                callers: vec![edge.into()],
            },
        ];
        let mut callers: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
        for manifest in &self.manifests {
            for call in manifest.calls.iter().filter(|call| !KIT_CALLS.contains(call)) {
                callers.entry(call).or_default().insert(manifest.name);
            }
        }
        for (service, callers) in callers {
            let callers: Vec<String> = callers.into_iter().map(String::from).collect();
            rules.push(MeshRule {
                why: format!("Declared in the manifests of: {}.", callers.join(", ")),
                services: vec![service.into()],
                callers,
            });
        }
        rules
    }

    /// Every workload of the mesh: the edge gateway, each service, then operator
    /// tooling (which the operational-surfaces rule lets in).
    pub fn workloads(&self, edge: &str, operator_workloads: &[&str]) -> Vec<String> {
        std::iter::once(edge)
            .chain(self.manifests.iter().map(|m| m.name))
            .chain(operator_workloads.iter().copied())
            .map(String::from)
            .collect()
    }

    /// [`Registry::mesh_rules`] as the text of `mesh/policy.toml`.
    pub fn mesh_policy(&self, edge: &str, operator_workloads: &[&str]) -> String {
        let list = |items: &[String]| {
            if items.len() <= 2 {
                return format!("[{}]", items.iter().map(|s| format!("{s:?}")).collect::<Vec<_>>().join(", "));
            }
            format!("[\n{}]", items.iter().map(|s| format!("  {s:?},\n")).collect::<String>())
        };
        let mut out = String::from(
            "# GENERATED from the service manifests by `canopyd generate`; do not edit.\n\
             # Which workload may call which gRPC service inside the mesh. Every service enforces\n\
             # this file with its MeshAuthzLayer; anything not allowed here is denied. Workload\n\
             # names are Kubernetes service accounts in the mesh namespace; a workload's\n\
             # certificate carries `<name>.<namespace>.serviceaccount.identity.linkerd.<trust-domain>`.\n\
             # `*` in callers means every workload listed. Services match by full name, or by\n\
             # package prefix ending in `.*`.\n\n",
        );
        out.push_str(&format!("workloads = {}\n", list(&self.workloads(edge, operator_workloads))));
        for rule in self.mesh_rules(edge) {
            let why: String = rule.why.lines().map(|line| format!("# {}\n", line.trim())).collect();
            out.push_str(&format!(
                "\n{why}[[rule]]\nservices = {}\ncallers = {}\n",
                list(&rule.services),
                list(&rule.callers)
            ));
        }
        out
    }
}

/// One mesh authorisation rule: these gRPC services (full names, or a package
/// prefix ending in `.*`) may be called by these workloads (`*`: every workload).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MeshRule {
    /// Why the rule exists, for the generated file's reader.
    pub why: String,
    pub services: Vec<String>,
    pub callers: Vec<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn build(_: ServiceContext) -> BoxFuture<'static, anyhow::Result<Built>> {
        Box::pin(async { anyhow::bail!("not built in these tests") })
    }

    const fn manifest(
        name: &'static str,
        calls: &'static [&'static str],
        after: &'static [&'static str],
    ) -> ServiceManifest {
        ServiceManifest {
            name,
            schema: None,
            calls,
            after,
            jobs: &[],
            build,
            dev_seed: None,
            scaling: Scaling::API,
            seals_secrets: false,
        }
    }

    static NO_MIGRATIONS: Migrator = Migrator::DEFAULT;
    static IDENTITY: ServiceManifest = ServiceManifest {
        schema: Some(Schema { name: "identity", migrator: &NO_MIGRATIONS }),
        ..manifest("identity", &[], &[])
    };
    static AUDIT: ServiceManifest = manifest("audit", &[], &[]);
    static TENANCY: ServiceManifest = manifest("tenancy", &["canopy.identity.v1.UserService"], &[]);
    static SITES: ServiceManifest = manifest("sites", &[], &["provisioner"]);
    static PROVISIONER: ServiceManifest = manifest("provisioner", &[], &[]);

    #[test]
    fn grpc_services_come_from_the_descriptor_set() {
        let services = TENANCY.grpc_services();
        assert!(services.contains(&"canopy.tenancy.v1.QuotaService".to_string()), "{services:?}");
        assert!(services.iter().all(|s| s.starts_with("canopy.tenancy.")));
        assert!(PROVISIONER.grpc_services().is_empty());
    }

    #[test]
    fn peers_include_the_kits_calls_but_never_the_service_itself() {
        assert_eq!(TENANCY.peers().into_iter().collect::<Vec<_>>(), ["audit", "identity"]);
        assert_eq!(SITES.peers().into_iter().collect::<Vec<_>>(), ["audit", "identity", "tenancy"]);
        assert_eq!(AUDIT.peers().into_iter().collect::<Vec<_>>(), ["identity", "tenancy"]);
    }

    #[test]
    fn start_order_puts_prerequisites_first_and_keeps_the_selection() {
        let registry = Registry::new(&[&IDENTITY, &TENANCY, &SITES, &PROVISIONER, &AUDIT]).unwrap();
        let order: Vec<&str> = registry.select(&[]).unwrap().iter().map(|m| m.name).collect();
        assert_eq!(order, ["identity", "tenancy", "provisioner", "sites", "audit"]);
        let order: Vec<&str> = registry.select(&["sites".into()]).unwrap().iter().map(|m| m.name).collect();
        assert_eq!(order, ["sites"]);
        let prerequisites: Vec<&str> = registry.prerequisites(&SITES).iter().map(|m| m.name).collect();
        assert_eq!(prerequisites, ["provisioner"]);
    }

    #[test]
    fn bad_manifests_are_refused_naming_the_service() {
        static CALLS_NOTHING_REAL: ServiceManifest = manifest("sites", &["canopy.nowhere.v1.NoService"], &[]);
        let error = Registry::new(&[&IDENTITY, &TENANCY, &AUDIT, &CALLS_NOTHING_REAL]).err().unwrap();
        assert_eq!(
            error.to_string(),
            "service sites calls canopy.nowhere.v1.NoService, which no registered service hosts"
        );

        // A real gRPC service whose owner is not registered is refused too.
        let error = Registry::new(&[&IDENTITY, &AUDIT, &SITES, &PROVISIONER]).err().unwrap();
        assert!(error.to_string().contains("canopy.tenancy.v1.QuotaService"), "{error}");

        static AFTER_GHOST: ServiceManifest = manifest("sites", &[], &["ghost"]);
        let error = Registry::new(&[&IDENTITY, &TENANCY, &AUDIT, &AFTER_GHOST]).err().unwrap();
        assert_eq!(error.to_string(), "service sites must start after ghost, which is not a registered service");

        static A: ServiceManifest = manifest("sites", &[], &["provisioner"]);
        static B: ServiceManifest = manifest("provisioner", &[], &["sites"]);
        let error = Registry::new(&[&IDENTITY, &TENANCY, &AUDIT, &A, &B]).err().unwrap();
        assert_eq!(error.to_string(), "services depend on each other in a cycle: sites → provisioner → sites");

        let error = Registry::new(&[&IDENTITY, &IDENTITY]).err().unwrap();
        assert_eq!(error.to_string(), "service identity is registered twice");

        let registry = Registry::new(&[&IDENTITY, &TENANCY, &AUDIT]).unwrap();
        let error = registry.select(&["billing".into()]).err().unwrap();
        assert_eq!(error.to_string(), "--services: unknown service \"billing\" (known: identity, tenancy, audit)");
    }

    #[test]
    fn the_mesh_policy_parses_and_allows_exactly_the_declared_calls() {
        let registry = Registry::new(&[&IDENTITY, &TENANCY, &SITES, &PROVISIONER, &AUDIT]).unwrap();
        let text = registry.mesh_policy("gateway", &["canopyctl"]);
        let policy = crate::mesh::MeshPolicy::parse(&text).unwrap();
        assert!(policy.allows("tenancy", "canopy.identity.v1.UserService"));
        assert!(!policy.allows("sites", "canopy.identity.v1.UserService"));
        assert!(policy.allows("sites", "canopy.tenancy.v1.QuotaService"));
        assert!(policy.allows("canopyctl", "grpc.health.v1.Health"));
        assert!(!policy.allows("canopyctl", "canopy.sites.v1.SiteService"));
        assert!(policy.allows("gateway", "canopy.sites.v1.SiteService"));
        // Only services with a schema (an outbox) ship audit records; tooling may not.
        assert!(policy.allows("identity", AUDIT_INGEST));
        assert!(!policy.allows("tenancy", AUDIT_INGEST), "tenancy has no schema in these manifests");
        assert!(!policy.allows("canopyctl", AUDIT_INGEST));
    }
}
