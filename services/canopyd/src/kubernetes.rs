//! Kubernetes and Linkerd manifests for Canopy, one service per pod: a pure renderer
//! from a plain description of the services and the mesh policy to YAML files. It
//! reads nothing and writes nothing; the `canopyd manifests` command feeds it the real
//! service list and `mesh/policy.toml` and writes the files.
//!
//! Choices made here, and why:
//! * **Linkerd terminates mTLS.** Services run with `mesh.mode = "plaintext"` and
//!   listen on `0.0.0.0`: since Linkerd 2.11 the inbound proxy connects to the pod IP,
//!   not to loopback, and iptables sends everything arriving from outside the pod
//!   through the proxy, so only the proxy reaches the gRPC port.
//! * **Two layers of authorisation.** Every pod denies inbound traffic by default
//!   (`config.linkerd.io/default-inbound-policy: deny`); a Linkerd `Server` on the gRPC
//!   port admits the workloads that some mesh rule lets call a gRPC service this pod
//!   hosts (`MeshTLSAuthentication` + `AuthorizationPolicy` per rule). Linkerd checks
//!   the *workload*; which *gRPC service* each caller may reach is enforced by canopy's
//!   own `MeshAuthzLayer` from the same `policy.toml`, at every call.
//! * **Probes use the operations port** (`/healthz`, HTTP), which bypasses the proxy
//!   (`config.linkerd.io/skip-inbound-ports`). A native `grpc:` probe on the gRPC port
//!   would be refused twice: by Linkerd under a deny policy (it authorises HTTP probe
//!   paths by default, not gRPC probes: linkerd/linkerd2#9595), and by
//!   `MeshAuthzLayer`, which refuses callers without `l5d-client-id` (the kubelet is
//!   not a workload). `canopyd run` serves `/healthz` only once every service is
//!   serving and stops it first on SIGTERM, so it is a fair readiness signal too.
//! * **The edge** (Envoy, `mesh/envoy/envoy.yaml`) is meshed as workload `edge`, so
//!   the gateway's `Server` admits it by identity; public traffic reaches Envoy on a
//!   port the proxy skips.

use serde_json::{Map, Value, json};

/// Cluster-wide settings of a rendering.
#[derive(Debug, Clone)]
pub struct KubernetesOptions {
    /// Namespace of every resource and of the workload identities, e.g. `canopy`.
    pub namespace: String,
    /// The canopyd image, e.g. `ghcr.io/example/canopyd:0.1.0`.
    pub image: String,
    /// Linkerd trust domain of the workload identities, e.g. `cluster.local`.
    pub trust_domain: String,
    /// The gRPC port every service listens on.
    pub grpc_port: u16,
    /// The operations port (`/metrics`, `/healthz`).
    pub ops_port: u16,
    /// The Envoy image of the edge (`mesh/envoy`).
    pub edge_image: String,
    /// Envoy's public listener port (`EDGE_PORT` of `mesh/envoy/envoy.yaml`).
    pub edge_port: u16,
    /// `type` of the edge's Service: `LoadBalancer`, or `ClusterIP` behind an ingress.
    pub edge_service_type: String,
    /// Contents of `mesh/policy.toml`, put into the `canopy-config` ConfigMap as
    /// `policy.toml`. Empty: the key is left out, and `10-config.yaml` says so at the
    /// top (services refuse to start without the file).
    pub policy_toml: String,
}

impl Default for KubernetesOptions {
    fn default() -> Self {
        Self {
            namespace: "canopy".into(),
            image: "canopyd:dev".into(),
            trust_domain: "cluster.local".into(),
            grpc_port: 8443,
            ops_port: 9464,
            edge_image: "envoyproxy/envoy:v1.40.0".into(),
            edge_port: 8080,
            edge_service_type: "LoadBalancer".into(),
            policy_toml: String::new(),
        }
    }
}

/// One Canopy service as deployed: its own pods, service account and autoscaling.
#[derive(Debug, Clone)]
pub struct ServiceDeployment {
    /// `identity`, `tenancy`, `sites`, `provisioner` or `gateway`.
    pub name: String,
    /// Services it calls, e.g. `["identity", "tenancy"]`.
    pub peers: Vec<String>,
    /// Its background jobs (recorded as an annotation, for people reading the cluster).
    pub jobs: Vec<String>,
    pub min_replicas: u32,
    pub max_replicas: u32,
    pub cpu_request: String,
    pub memory_request: String,
    pub cpu_limit: String,
    pub memory_limit: String,
    /// True only for the gateway: reached from the internet through Envoy, not only
    /// from the mesh.
    pub edge: bool,
    /// It seals secrets: the keyring Secret is mounted into it (and no other pod).
    pub seals_secrets: bool,
}

pub use canopy_kit::manifest::MeshRule;
use canopy_kit::manifest::OPERATIONAL_SERVICES;

/// The Secret every service reads its credentials from; see docs/OPERATIONS.md.
pub const SECRET_NAME: &str = "canopy-secrets";
/// The Secret holding the keyring (`keyring.json`) of the services that seal secrets.
pub const KEYRING_SECRET_NAME: &str = "canopy-keyring";
/// Where that keyring is mounted.
pub const KEYRING_MOUNT: &str = "/etc/canopy/keyring";
/// The ConfigMap holding `canopy.toml` and `policy.toml`.
pub const CONFIG_MAP_NAME: &str = "canopy-config";
/// The ConfigMap holding the rendered `envoy.yaml` of the edge.
pub const EDGE_CONFIG_MAP_NAME: &str = "canopy-edge";
/// The meshed workload (service account) Envoy runs as.
pub const EDGE_WORKLOAD: &str = "edge";

/// Renders every manifest: `00-namespace.yaml`, `10-config.yaml`, one `<service>.yaml`
/// per service and `edge.yaml` when a service is the edge, sorted by file name. Each
/// file holds one or more YAML documents separated by `---`. The same input always
/// gives the same bytes.
pub fn render(
    services: &[ServiceDeployment],
    rules: &[MeshRule],
    workloads: &[String],
    options: &KubernetesOptions,
) -> Vec<(String, String)> {
    let mut files = vec![
        ("00-namespace.yaml".to_string(), documents(&[namespace(options)], None)),
        ("10-config.yaml".to_string(), documents(&[config_map(options)], config_note(options).as_deref())),
    ];
    for service in services {
        files.push((
            format!("{}.yaml", service.name),
            documents(&service_documents(service, rules, workloads, options), None),
        ));
    }
    if let Some(gateway) = services.iter().find(|s| s.edge) {
        files.push(("edge.yaml".to_string(), documents(&edge_documents(gateway, options), None)));
    }
    files.sort_by(|a, b| a.0.cmp(&b.0));
    files
}

/// The Linkerd identity of a workload: `<name>.<namespace>.serviceaccount.identity.linkerd.<trust domain>`.
pub fn workload_identity(workload: &str, options: &KubernetesOptions) -> String {
    format!("{workload}.{}.serviceaccount.identity.linkerd.{}", options.namespace, options.trust_domain)
}

/// Whether a rule's service pattern names a gRPC service hosted by Canopy service
/// `name` (`canopy.<name>.…`, or one of the operational services every service hosts).
pub fn pattern_hosted_by(pattern: &str, name: &str) -> bool {
    let own_package = format!("canopy.{name}.");
    match pattern.strip_suffix(".*") {
        Some(prefix) => {
            let prefix = format!("{prefix}.");
            own_package.starts_with(&prefix)
                || prefix.starts_with(&own_package)
                || OPERATIONAL_SERVICES.iter().any(|s| s.starts_with(&prefix))
        }
        None => pattern == "*" || pattern.starts_with(&own_package) || OPERATIONAL_SERVICES.contains(&pattern),
    }
}

/// The callers of a rule with `*` expanded to every workload, sorted, without repeats.
pub fn expand_callers(callers: &[String], workloads: &[String]) -> Vec<String> {
    let mut expanded: Vec<String> = Vec::new();
    for caller in callers {
        if caller == "*" {
            expanded.extend(workloads.iter().cloned());
        } else {
            expanded.push(caller.clone());
        }
    }
    expanded.sort();
    expanded.dedup();
    expanded
}

fn namespace(options: &KubernetesOptions) -> Value {
    json!({
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": {
            "name": options.namespace,
            "labels": {"app.kubernetes.io/part-of": "canopy"},
            "annotations": {
                "linkerd.io/inject": "enabled",
                "config.linkerd.io/default-inbound-policy": "deny",
            },
        },
    })
}

fn canopy_toml(options: &KubernetesOptions) -> String {
    format!(
        "# canopyd settings shared by every service; per-pod settings (listen address,\n\
         # peers, credentials) come from CANOPY_… environment variables.\n\
         [mesh]\n\
         # The Linkerd proxy terminates mTLS and names the caller in l5d-client-id.\n\
         mode = \"plaintext\"\n\
         namespace = {}\n\
         trust_domain = {}\n\
         policy_file = \"/etc/canopy/policy.toml\"\n\
         \n\
         [telemetry]\n\
         log_format = \"json\"\n",
        toml_string(&options.namespace),
        toml_string(&options.trust_domain),
    )
}

fn config_map(options: &KubernetesOptions) -> Value {
    let mut data = Map::new();
    data.insert("canopy.toml".into(), Value::String(canopy_toml(options)));
    if !options.policy_toml.is_empty() {
        data.insert("policy.toml".into(), Value::String(options.policy_toml.clone()));
    }
    json!({
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": metadata(CONFIG_MAP_NAME, None, options),
        "data": data,
    })
}

fn config_note(options: &KubernetesOptions) -> Option<String> {
    options.policy_toml.is_empty().then(|| {
        "# policy.toml is not in this ConfigMap: add mesh/policy.toml to it before the services start, e.g.\n\
         #   kubectl -n NAMESPACE create configmap canopy-config --from-file=canopy.toml=... --from-file=policy.toml=mesh/policy.toml\n"
            .replace("NAMESPACE", &options.namespace)
    })
}

fn service_documents(
    service: &ServiceDeployment,
    rules: &[MeshRule],
    workloads: &[String],
    options: &KubernetesOptions,
) -> Vec<Value> {
    let mut docs = vec![
        json!({
            "apiVersion": "v1",
            "kind": "ServiceAccount",
            "metadata": metadata(&service.name, Some(&service.name), options),
            "automountServiceAccountToken": false,
        }),
        cluster_service(service, options),
        deployment(service, options),
        json!({
            "apiVersion": "autoscaling/v2",
            "kind": "HorizontalPodAutoscaler",
            "metadata": metadata(&service.name, Some(&service.name), options),
            "spec": {
                "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": service.name},
                "minReplicas": service.min_replicas,
                "maxReplicas": service.max_replicas.max(service.min_replicas),
                "metrics": [{
                    "type": "Resource",
                    "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": 70}},
                }],
            },
        }),
        json!({
            "apiVersion": "policy/v1",
            "kind": "PodDisruptionBudget",
            "metadata": metadata(&service.name, Some(&service.name), options),
            "spec": {"maxUnavailable": 1, "selector": {"matchLabels": selector(&service.name)}},
        }),
        json!({
            "apiVersion": "policy.linkerd.io/v1beta3",
            "kind": "Server",
            "metadata": metadata(&format!("{}-grpc", service.name), Some(&service.name), options),
            "spec": {
                "podSelector": {"matchLabels": selector(&service.name)},
                "port": "grpc",
                "proxyProtocol": "gRPC",
            },
        }),
    ];
    let mut authorisations: Vec<(String, Vec<String>, String)> = Vec::new();
    for (index, rule) in rules.iter().enumerate() {
        let hosted: Vec<&String> = rule.services.iter().filter(|s| pattern_hosted_by(s, &service.name)).collect();
        if hosted.is_empty() {
            continue;
        }
        let callers = expand_callers(&rule.callers, workloads);
        if callers.is_empty() {
            continue;
        }
        let services = hosted.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", ");
        authorisations.push((format!("{}-rule-{}", service.name, index + 1), callers, services));
    }
    if service.edge {
        authorisations.push((
            format!("{}-edge", service.name),
            vec![EDGE_WORKLOAD.to_string()],
            "every gRPC service: the edge forwards client calls".to_string(),
        ));
    }
    for (name, callers, services) in authorisations {
        docs.extend(authorisation(&service.name, &name, &callers, &services, options));
    }
    docs
}

/// A MeshTLSAuthentication naming the callers and an AuthorizationPolicy letting them
/// reach the service's gRPC `Server`. Linkerd admits the workload; canopy's
/// MeshAuthzLayer still checks the gRPC service named in the annotation at every call.
fn authorisation(
    service: &str,
    name: &str,
    callers: &[String],
    services: &str,
    options: &KubernetesOptions,
) -> [Value; 2] {
    let identities: Vec<String> = callers.iter().map(|c| workload_identity(c, options)).collect();
    let mut authn_meta = metadata(name, Some(service), options);
    authn_meta["annotations"] = json!({"canopy.dev/grpc-services": services});
    [
        json!({
            "apiVersion": "policy.linkerd.io/v1alpha1",
            "kind": "MeshTLSAuthentication",
            "metadata": authn_meta,
            "spec": {"identities": identities},
        }),
        json!({
            "apiVersion": "policy.linkerd.io/v1alpha1",
            "kind": "AuthorizationPolicy",
            "metadata": metadata(name, Some(service), options),
            "spec": {
                "targetRef": {"group": "policy.linkerd.io", "kind": "Server", "name": format!("{service}-grpc")},
                "requiredAuthenticationRefs": [{
                    "group": "policy.linkerd.io",
                    "kind": "MeshTLSAuthentication",
                    "name": name,
                }],
            },
        }),
    ]
}

fn cluster_service(service: &ServiceDeployment, options: &KubernetesOptions) -> Value {
    json!({
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": metadata(&service.name, Some(&service.name), options),
        "spec": {
            "type": "ClusterIP",
            "selector": selector(&service.name),
            "ports": [
                {"name": "grpc", "port": options.grpc_port, "targetPort": "grpc", "protocol": "TCP", "appProtocol": "kubernetes.io/h2c"},
                {"name": "ops", "port": options.ops_port, "targetPort": "ops", "protocol": "TCP", "appProtocol": "http"},
            ],
        },
    })
}

fn deployment(service: &ServiceDeployment, options: &KubernetesOptions) -> Value {
    let name = service.name.as_str();
    let mut env = vec![
        env_value(&format!("CANOPY_LISTEN__{}", env_key(name)), &format!("0.0.0.0:{}", options.grpc_port)),
        env_value("CANOPY_TELEMETRY__OPS_LISTEN", &format!("0.0.0.0:{}", options.ops_port)),
        env_secret("CANOPY_DATABASE__URL", "database-url", false),
        env_secret("CANOPY_DATABASE__APP_URL", "database-app-url", true),
        env_secret("CANOPY_REDIS__URL", "redis-url", false),
    ];
    let mut peers = service.peers.clone();
    peers.sort();
    peers.dedup();
    for peer in &peers {
        env.push(env_value(
            &format!("CANOPY_MESH__PEERS__{}", env_key(peer)),
            &format!("http://{peer}.{}.svc.cluster.local:{}", options.namespace, options.grpc_port),
        ));
    }
    let mut volumes = vec![
        json!({"name": "config", "configMap": {"name": CONFIG_MAP_NAME}}),
        json!({"name": "tmp", "emptyDir": {"sizeLimit": "64Mi"}}),
    ];
    let mut mounts = vec![
        json!({"name": "config", "mountPath": "/etc/canopy", "readOnly": true}),
        json!({"name": "tmp", "mountPath": "/tmp"}),
    ];
    if service.seals_secrets {
        volumes.push(json!({"name": "keyring", "secret": {"secretName": KEYRING_SECRET_NAME, "defaultMode": 0o400}}));
        mounts.push(json!({"name": "keyring", "mountPath": KEYRING_MOUNT, "readOnly": true}));
        env.push(env_value("CANOPY_SECRETS__KEK__KEYRING__PATH", &format!("{KEYRING_MOUNT}/keyring.json")));
    }
    match name {
        "identity" => {
            env.push(env_secret("CANOPY_SERVICES__IDENTITY__KEY_ENCRYPTION_KEY", "identity-key-encryption-key", false));
        }
        "provisioner" => {
            // Terraform writes each run's root module, plugins and state lock here.
            env.push(env_value("CANOPY_SERVICES__PROVISIONER__WORKSPACE_ROOT", "/var/lib/canopy/work"));
            env.push(env_value("CANOPY_SERVICES__PROVISIONER__TERRAFORM_ROOT", "/usr/share/canopy/terraform"));
            volumes.push(json!({"name": "work", "emptyDir": {"sizeLimit": "2Gi"}}));
            mounts.push(json!({"name": "work", "mountPath": "/var/lib/canopy/work"}));
        }
        _ => {}
    }
    if service.edge {
        // Envoy (meshed as `edge`) sends plaintext HTTP/2 through the proxies, which
        // carry it over mTLS; the client's TLS ends at the load balancer or Envoy.
        env.push(env_value("CANOPY_SERVICES__GATEWAY__TLS", "false"));
        env.push(env_value("CANOPY_SERVICES__GATEWAY__TRUST_FORWARDED_FOR", "true"));
    }
    let probe = |failure_threshold: u32, period: u32| {
        json!({
            "httpGet": {"path": "/healthz", "port": "ops"},
            "periodSeconds": period,
            "timeoutSeconds": 2,
            "failureThreshold": failure_threshold,
        })
    };
    let mut annotations = json!({
        "linkerd.io/inject": "enabled",
        "config.linkerd.io/default-inbound-policy": "deny",
        // The operations port (metrics, probes) carries no tenant data and is
        // reached by the kubelet and Prometheus, which are not mesh workloads.
        "config.linkerd.io/skip-inbound-ports": options.ops_port.to_string(),
        "prometheus.io/scrape": "true",
        "prometheus.io/port": options.ops_port.to_string(),
        "prometheus.io/path": "/metrics",
    });
    if !service.jobs.is_empty() {
        annotations["canopy.dev/jobs"] = Value::String(service.jobs.join(", "));
    }
    let labels = labels(name);
    json!({
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": metadata(name, Some(name), options),
        "spec": {
            // The HorizontalPodAutoscaler owns the replica count from here on.
            "replicas": service.min_replicas,
            "revisionHistoryLimit": 5,
            "selector": {"matchLabels": selector(name)},
            "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 1, "maxUnavailable": 0}},
            "template": {
                "metadata": {"labels": labels, "annotations": annotations},
                "spec": {
                    "serviceAccountName": name,
                    "automountServiceAccountToken": false,
                    "enableServiceLinks": false,
                    "terminationGracePeriodSeconds": 30,
                    "securityContext": {
                        "runAsNonRoot": true,
                        "runAsUser": 65532,
                        "runAsGroup": 65532,
                        "fsGroup": 65532,
                        "seccompProfile": {"type": "RuntimeDefault"},
                    },
                    "containers": [{
                        "name": "canopyd",
                        "image": options.image,
                        "imagePullPolicy": "IfNotPresent",
                        "args": ["--config", "/etc/canopy/canopy.toml", "run", "--services", name],
                        "ports": [
                            {"name": "grpc", "containerPort": options.grpc_port, "protocol": "TCP"},
                            {"name": "ops", "containerPort": options.ops_port, "protocol": "TCP"},
                        ],
                        "env": env,
                        "resources": {
                            "requests": {"cpu": service.cpu_request, "memory": service.memory_request},
                            "limits": {"cpu": service.cpu_limit, "memory": service.memory_limit},
                        },
                        "startupProbe": probe(60, 2),
                        "readinessProbe": probe(3, 5),
                        "livenessProbe": probe(6, 10),
                        "securityContext": container_security_context(),
                        "volumeMounts": mounts,
                    }],
                    "volumes": volumes,
                },
            },
        },
    })
}

/// Envoy in front of the gateway, meshed as workload `edge`. Its `envoy.yaml` is
/// `mesh/envoy/envoy.yaml` rendered for the cluster and stored in the `canopy-edge`
/// ConfigMap (see docs/OPERATIONS.md).
fn edge_documents(gateway: &ServiceDeployment, options: &KubernetesOptions) -> Vec<Value> {
    let edge = EDGE_WORKLOAD;
    let mut annotations = json!({
        "linkerd.io/inject": "enabled",
        // Public clients are not mesh workloads: their traffic skips the proxy;
        // Envoy's own calls to the gateway still leave through it, over mTLS as `edge`.
        "config.linkerd.io/skip-inbound-ports": options.edge_port.to_string(),
        "config.linkerd.io/default-inbound-policy": "deny",
    });
    annotations["canopy.dev/upstream"] =
        Value::String(format!("{}.{}.svc.cluster.local:{}", gateway.name, options.namespace, options.grpc_port));
    vec![
        json!({
            "apiVersion": "v1",
            "kind": "ServiceAccount",
            "metadata": metadata(edge, Some(edge), options),
            "automountServiceAccountToken": false,
        }),
        json!({
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": metadata(edge, Some(edge), options),
            "spec": {
                "type": options.edge_service_type,
                "selector": selector(edge),
                "ports": [{"name": "http", "port": options.edge_port, "targetPort": "http", "protocol": "TCP"}],
            },
        }),
        json!({
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": metadata(edge, Some(edge), options),
            "spec": {
                "replicas": gateway.min_replicas.max(2),
                "revisionHistoryLimit": 5,
                "selector": {"matchLabels": selector(edge)},
                "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 1, "maxUnavailable": 0}},
                "template": {
                    "metadata": {"labels": labels(edge), "annotations": annotations},
                    "spec": {
                        "serviceAccountName": edge,
                        "automountServiceAccountToken": false,
                        "enableServiceLinks": false,
                        "terminationGracePeriodSeconds": 30,
                        "securityContext": {
                            "runAsNonRoot": true,
                            "runAsUser": 65532,
                            "runAsGroup": 65532,
                            "seccompProfile": {"type": "RuntimeDefault"},
                        },
                        "containers": [{
                            "name": "envoy",
                            // Straight to the binary: the image's entrypoint would switch
                            // users (su-exec), which a non-root container cannot.
                            "command": ["envoy"],
                            "image": options.edge_image,
                            "imagePullPolicy": "IfNotPresent",
                            "args": ["--config-path", "/etc/envoy/envoy.yaml", "--disable-hot-restart", "--log-format-escaped"],
                            "ports": [{"name": "http", "containerPort": options.edge_port, "protocol": "TCP"}],
                            "resources": {
                                "requests": {"cpu": "100m", "memory": "64Mi"},
                                "limits": {"cpu": "1", "memory": "256Mi"},
                            },
                            "readinessProbe": {"tcpSocket": {"port": "http"}, "periodSeconds": 5},
                            "livenessProbe": {"tcpSocket": {"port": "http"}, "periodSeconds": 10, "failureThreshold": 6},
                            "securityContext": container_security_context(),
                            "volumeMounts": [
                                {"name": "config", "mountPath": "/etc/envoy", "readOnly": true},
                                {"name": "tmp", "mountPath": "/tmp"},
                            ],
                        }],
                        "volumes": [
                            {"name": "config", "configMap": {"name": EDGE_CONFIG_MAP_NAME}},
                            {"name": "tmp", "emptyDir": {"sizeLimit": "64Mi"}},
                        ],
                    },
                },
            },
        }),
        json!({
            "apiVersion": "policy/v1",
            "kind": "PodDisruptionBudget",
            "metadata": metadata(edge, Some(edge), options),
            "spec": {"maxUnavailable": 1, "selector": {"matchLabels": selector(edge)}},
        }),
    ]
}

fn container_security_context() -> Value {
    json!({
        "runAsNonRoot": true,
        "runAsUser": 65532,
        "runAsGroup": 65532,
        "readOnlyRootFilesystem": true,
        "allowPrivilegeEscalation": false,
        "privileged": false,
        "capabilities": {"drop": ["ALL"]},
        "seccompProfile": {"type": "RuntimeDefault"},
    })
}

fn metadata(name: &str, component: Option<&str>, options: &KubernetesOptions) -> Value {
    let mut meta = json!({"name": name, "namespace": options.namespace});
    meta["labels"] = match component {
        Some(component) => labels(component),
        None => json!({"app.kubernetes.io/part-of": "canopy"}),
    };
    meta
}

fn labels(component: &str) -> Value {
    json!({
        "app.kubernetes.io/name": component,
        "app.kubernetes.io/part-of": "canopy",
    })
}

fn selector(component: &str) -> Value {
    json!({"app.kubernetes.io/name": component, "app.kubernetes.io/part-of": "canopy"})
}

fn env_value(name: &str, value: &str) -> Value {
    json!({"name": name, "value": value})
}

fn env_secret(name: &str, key: &str, optional: bool) -> Value {
    let mut reference = json!({"name": SECRET_NAME, "key": key});
    if optional {
        reference["optional"] = Value::Bool(true);
    }
    json!({"name": name, "valueFrom": {"secretKeyRef": reference}})
}

/// `tenancy` → `TENANCY`, the `<NAME>` of a `CANOPY_…__<NAME>` variable.
fn env_key(name: &str) -> String {
    name.to_ascii_uppercase().replace('-', "_")
}

fn toml_string(value: &str) -> String {
    // A TOML basic string is a JSON string for the characters that can appear here.
    serde_json::to_string(value).unwrap_or_default()
}

fn documents(docs: &[Value], leading_comment: Option<&str>) -> String {
    let mut out = String::from("# Generated by canopyd (services/canopyd/src/kubernetes.rs); do not edit.\n");
    if let Some(comment) = leading_comment {
        out.push_str(comment);
    }
    for doc in docs {
        out.push_str("---\n");
        out.push_str(&to_yaml(doc));
    }
    out
}

/// Block-style YAML for a JSON value. Keys and strings are plain when they cannot be
/// read as anything but a string, multi-line strings are literal blocks, and
/// everything else is a double-quoted JSON string (valid YAML).
pub fn to_yaml(value: &Value) -> String {
    let mut out = String::new();
    match value {
        Value::Object(map) if !map.is_empty() => write_map(map, 0, &mut out),
        Value::Array(items) if !items.is_empty() => write_list(items, 0, &mut out),
        scalar => {
            out.push_str(&scalar_text(scalar, 0));
            out.push('\n');
        }
    }
    out
}

fn write_map(map: &Map<String, Value>, indent: usize, out: &mut String) {
    for (key, value) in map {
        out.push_str(&" ".repeat(indent));
        out.push_str(&yaml_string(key));
        out.push(':');
        match value {
            Value::Object(inner) if !inner.is_empty() => {
                out.push('\n');
                write_map(inner, indent + 2, out);
            }
            Value::Array(items) if !items.is_empty() => {
                out.push('\n');
                write_list(items, indent + 2, out);
            }
            scalar => {
                out.push(' ');
                out.push_str(&scalar_text(scalar, indent + 2));
                out.push('\n');
            }
        }
    }
}

fn write_list(items: &[Value], indent: usize, out: &mut String) {
    for item in items {
        let mut nested = String::new();
        match item {
            Value::Object(inner) if !inner.is_empty() => write_map(inner, indent + 2, &mut nested),
            Value::Array(inner) if !inner.is_empty() => write_list(inner, indent + 2, &mut nested),
            scalar => {
                out.push_str(&" ".repeat(indent));
                out.push_str("- ");
                out.push_str(&scalar_text(scalar, indent + 2));
                out.push('\n');
                continue;
            }
        }
        // The nested block's first line starts at indent + 2: put the dash there.
        out.push_str(&" ".repeat(indent));
        out.push_str("- ");
        out.push_str(&nested[indent + 2..]);
    }
}

fn scalar_text(value: &Value, indent: usize) -> String {
    match value {
        Value::Null => "null".into(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => match literal_block(s, indent) {
            Some(block) => block,
            None => yaml_string(s),
        },
        Value::Object(_) => "{}".into(),
        Value::Array(_) => "[]".into(),
    }
}

/// `|` (or `|-`) block for readable multi-line text; None when a block could not
/// carry it exactly (control characters, trailing spaces, leading blank lines).
fn literal_block(text: &str, indent: usize) -> Option<String> {
    if !text.contains('\n') || text.starts_with([' ', '\n']) || text.ends_with("\n\n") {
        return None;
    }
    if text.chars().any(|c| c.is_control() && c != '\n') || text.lines().any(|l| l.ends_with(' ')) {
        return None;
    }
    let chomp = if text.ends_with('\n') { "|" } else { "|-" };
    let pad = " ".repeat(indent);
    let mut block = String::from(chomp);
    for line in text.strip_suffix('\n').unwrap_or(text).split('\n') {
        block.push('\n');
        if !line.is_empty() {
            block.push_str(&pad);
            block.push_str(line);
        }
    }
    Some(block)
}

/// A string as a YAML scalar: plain when unambiguous, else JSON-quoted.
fn yaml_string(s: &str) -> String {
    let plain = !s.is_empty()
        && s.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '/'))
        && s.starts_with(|c: char| c.is_ascii_alphabetic() || c == '/' || c == '_')
        && !matches!(
            s.to_ascii_lowercase().as_str(),
            "y" | "n" | "yes" | "no" | "true" | "false" | "on" | "off" | "null"
        );
    if plain { s.to_string() } else { serde_json::to_string(s).unwrap_or_default() }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn service(name: &str, peers: &[&str], edge: bool) -> ServiceDeployment {
        ServiceDeployment {
            name: name.into(),
            peers: peers.iter().map(|p| p.to_string()).collect(),
            jobs: vec![format!("{name}-job")],
            min_replicas: 2,
            max_replicas: 5,
            cpu_request: "100m".into(),
            memory_request: "128Mi".into(),
            cpu_limit: "1".into(),
            memory_limit: "512Mi".into(),
            edge,
            seals_secrets: name == "identity",
        }
    }

    fn rule(services: &[&str], callers: &[&str]) -> MeshRule {
        MeshRule {
            why: String::new(),
            services: services.iter().map(|s| s.to_string()).collect(),
            callers: callers.iter().map(|c| c.to_string()).collect(),
        }
    }

    fn sample() -> (Vec<ServiceDeployment>, Vec<MeshRule>, Vec<String>, KubernetesOptions) {
        let services = vec![
            service("identity", &[], false),
            service("tenancy", &["identity"], false),
            service("sites", &["tenancy", "identity", "provisioner"], false),
            service("provisioner", &["identity", "tenancy"], false),
            service("gateway", &["identity", "tenancy", "sites", "provisioner"], true),
        ];
        let rules = vec![
            rule(&["grpc.health.v1.Health", "canopy.system.v1.SystemService"], &["*"]),
            rule(&["canopy.identity.v1.CredentialService"], &["*"]),
            rule(&["canopy.*"], &["gateway"]),
            rule(&["canopy.tenancy.v1.QuotaService"], &["*"]),
            rule(&["canopy.identity.v1.UserService"], &["tenancy"]),
        ];
        let workloads = ["gateway", "identity", "tenancy", "sites", "provisioner", "canopyctl"]
            .iter()
            .map(|w| w.to_string())
            .collect();
        let options = KubernetesOptions {
            image: "ghcr.io/example/canopyd:0.1.0".into(),
            policy_toml: "workloads = [\"gateway\"]\n\n[[rule]]\nservices = [\"canopy.*\"]\ncallers = [\"gateway\"]\n"
                .into(),
            ..KubernetesOptions::default()
        };
        (services, rules, workloads, options)
    }

    fn rendered() -> Vec<(String, String)> {
        let (services, rules, workloads, options) = sample();
        render(&services, &rules, &workloads, &options)
    }

    /// Every document of every file, parsed back (block YAML of this shape is read by
    /// splitting on `---` and checking with the structural reader below).
    fn docs_of(text: &str) -> Vec<&str> {
        text.split("---\n").skip(1).collect()
    }

    #[test]
    fn rendering_is_deterministic_and_sorted() {
        let first = rendered();
        assert_eq!(first, rendered());
        let names: Vec<&str> = first.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(
            names,
            [
                "00-namespace.yaml",
                "10-config.yaml",
                "edge.yaml",
                "gateway.yaml",
                "identity.yaml",
                "provisioner.yaml",
                "sites.yaml",
                "tenancy.yaml"
            ]
        );
    }

    #[test]
    fn every_document_names_api_version_kind_name_and_namespace() {
        for (file, text) in rendered() {
            let docs = docs_of(&text);
            assert!(!docs.is_empty(), "{file} has no documents");
            for doc in docs {
                assert!(doc.starts_with("apiVersion: "), "{file}: {doc}");
                assert!(doc.contains("\nkind: "), "{file}: {doc}");
                assert!(doc.contains("\nmetadata:\n"), "{file}: {doc}");
                assert!(doc.contains("\n  name: "), "{file}: {doc}");
                if !doc.contains("kind: Namespace\n") {
                    assert!(doc.contains("\n  namespace: canopy\n"), "{file}: {doc}");
                }
            }
        }
        // And the same checks on the values before they become text.
        let (services, rules, workloads, options) = sample();
        for service in &services {
            for doc in service_documents(service, &rules, &workloads, &options) {
                assert!(doc["apiVersion"].is_string() && doc["kind"].is_string(), "{doc}");
                assert_eq!(doc["metadata"]["namespace"], "canopy", "{doc}");
                assert!(doc["metadata"]["name"].as_str().is_some_and(|n| !n.is_empty()), "{doc}");
            }
        }
    }

    #[test]
    fn each_service_gets_its_account_deployment_service_autoscaler_budget_and_server() {
        let (services, rules, workloads, options) = sample();
        let docs = service_documents(&services[2], &rules, &workloads, &options);
        let kinds: Vec<&str> = docs.iter().map(|d| d["kind"].as_str().unwrap()).collect();
        for kind in
            ["ServiceAccount", "Service", "Deployment", "HorizontalPodAutoscaler", "PodDisruptionBudget", "Server"]
        {
            assert!(kinds.contains(&kind), "sites lacks {kind}: {kinds:?}");
        }
        let deployment = docs.iter().find(|d| d["kind"] == "Deployment").unwrap();
        let pod = &deployment["spec"]["template"]["spec"];
        assert_eq!(pod["serviceAccountName"], "sites");
        assert_eq!(
            pod["containers"][0]["args"],
            json!(["--config", "/etc/canopy/canopy.toml", "run", "--services", "sites"])
        );
        assert_eq!(deployment["spec"]["template"]["metadata"]["annotations"]["linkerd.io/inject"], "enabled");
        let service = docs.iter().find(|d| d["kind"] == "Service").unwrap();
        assert_eq!(
            service["spec"]["ports"][0],
            json!({"name": "grpc", "port": 8443, "targetPort": "grpc", "protocol": "TCP", "appProtocol": "kubernetes.io/h2c"})
        );
        let hpa = docs.iter().find(|d| d["kind"] == "HorizontalPodAutoscaler").unwrap();
        assert_eq!((hpa["spec"]["minReplicas"].as_u64(), hpa["spec"]["maxReplicas"].as_u64()), (Some(2), Some(5)));
    }

    fn container(name: &str) -> Value {
        let (services, _, _, options) = sample();
        let service = services.iter().find(|s| s.name == name).unwrap();
        deployment(service, &options)["spec"]["template"]["spec"]["containers"][0].clone()
    }

    fn env_of(container: &Value, name: &str) -> Option<Value> {
        container["env"].as_array().unwrap().iter().find(|e| e["name"] == name).cloned()
    }

    #[test]
    fn peers_become_mesh_peer_variables_and_the_service_listens_on_every_interface() {
        let sites = container("sites");
        assert_eq!(
            env_of(&sites, "CANOPY_MESH__PEERS__TENANCY").unwrap()["value"],
            "http://tenancy.canopy.svc.cluster.local:8443"
        );
        assert_eq!(
            env_of(&sites, "CANOPY_MESH__PEERS__PROVISIONER").unwrap()["value"],
            "http://provisioner.canopy.svc.cluster.local:8443"
        );
        assert!(env_of(&sites, "CANOPY_MESH__PEERS__GATEWAY").is_none());
        assert_eq!(env_of(&sites, "CANOPY_LISTEN__SITES").unwrap()["value"], "0.0.0.0:8443");
        assert_eq!(env_of(&sites, "CANOPY_TELEMETRY__OPS_LISTEN").unwrap()["value"], "0.0.0.0:9464");
    }

    #[test]
    fn secrets_come_from_the_secret_and_are_never_inline() {
        let identity = container("identity");
        for (variable, key) in [
            ("CANOPY_DATABASE__URL", "database-url"),
            ("CANOPY_REDIS__URL", "redis-url"),
            ("CANOPY_SERVICES__IDENTITY__KEY_ENCRYPTION_KEY", "identity-key-encryption-key"),
        ] {
            let entry = env_of(&identity, variable).unwrap_or_else(|| panic!("{variable} missing"));
            assert!(entry.get("value").is_none(), "{variable} is inline");
            assert_eq!(entry["valueFrom"]["secretKeyRef"]["name"], SECRET_NAME);
            assert_eq!(entry["valueFrom"]["secretKeyRef"]["key"], key);
        }
        assert!(env_of(&container("sites"), "CANOPY_SERVICES__IDENTITY__KEY_ENCRYPTION_KEY").is_none());
    }

    #[test]
    fn containers_run_locked_down() {
        for name in ["identity", "provisioner", "gateway"] {
            let context = &container(name)["securityContext"];
            assert_eq!(context["runAsNonRoot"], true);
            assert_eq!(context["runAsUser"], 65532);
            assert_eq!(context["readOnlyRootFilesystem"], true);
            assert_eq!(context["allowPrivilegeEscalation"], false);
            assert_eq!(context["capabilities"]["drop"], json!(["ALL"]));
            assert_eq!(context["seccompProfile"]["type"], "RuntimeDefault");
        }
        let mounts = container("provisioner")["volumeMounts"].clone();
        assert!(mounts.as_array().unwrap().iter().any(|m| m["mountPath"] == "/var/lib/canopy/work"));
        assert!(mounts.as_array().unwrap().iter().any(|m| m["mountPath"] == "/tmp"));
        assert!(
            !container("sites")["volumeMounts"]
                .as_array()
                .unwrap()
                .iter()
                .any(|m| m["mountPath"] == "/var/lib/canopy/work")
        );
    }

    fn identities(service: &str) -> Vec<(String, Vec<String>)> {
        let (services, rules, workloads, options) = sample();
        let service = services.iter().find(|s| s.name == service).unwrap();
        service_documents(service, &rules, &workloads, &options)
            .into_iter()
            .filter(|d| d["kind"] == "MeshTLSAuthentication")
            .map(|d| {
                let ids = d["spec"]["identities"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|i| i.as_str().unwrap().to_string())
                    .collect();
                (d["metadata"]["name"].as_str().unwrap().to_string(), ids)
            })
            .collect()
    }

    fn id(workload: &str) -> String {
        format!("{workload}.canopy.serviceaccount.identity.linkerd.cluster.local")
    }

    #[test]
    fn rules_become_mesh_tls_authentications_of_the_services_that_host_them() {
        let every: Vec<String> =
            ["canopyctl", "gateway", "identity", "provisioner", "sites", "tenancy"].iter().map(|w| id(w)).collect();
        // identity hosts: the operational services (rule 1), CredentialService (2),
        // canopy.* (3) and UserService (5); not tenancy's QuotaService (4).
        assert_eq!(
            identities("identity"),
            vec![
                ("identity-rule-1".to_string(), every.clone()),
                ("identity-rule-2".to_string(), every.clone()),
                ("identity-rule-3".to_string(), vec![id("gateway")]),
                ("identity-rule-5".to_string(), vec![id("tenancy")]),
            ]
        );
        assert_eq!(
            identities("tenancy"),
            vec![
                ("tenancy-rule-1".to_string(), every.clone()),
                ("tenancy-rule-3".to_string(), vec![id("gateway")]),
                ("tenancy-rule-4".to_string(), every.clone()),
            ]
        );
        // The gateway hosts only the operational services, and admits the edge.
        assert_eq!(
            identities("gateway"),
            vec![
                ("gateway-rule-1".to_string(), every.clone()),
                ("gateway-rule-3".to_string(), vec![id("gateway")]),
                ("gateway-edge".to_string(), vec![id("edge")]),
            ]
        );
    }

    #[test]
    fn each_authentication_has_a_policy_targeting_the_grpc_server() {
        let (services, rules, workloads, options) = sample();
        let docs = service_documents(&services[1], &rules, &workloads, &options);
        let policies: Vec<&Value> = docs.iter().filter(|d| d["kind"] == "AuthorizationPolicy").collect();
        assert_eq!(policies.len(), docs.iter().filter(|d| d["kind"] == "MeshTLSAuthentication").count());
        for policy in policies {
            assert_eq!(
                policy["spec"]["targetRef"],
                json!({"group": "policy.linkerd.io", "kind": "Server", "name": "tenancy-grpc"})
            );
            assert_eq!(policy["spec"]["requiredAuthenticationRefs"][0]["name"], policy["metadata"]["name"]);
        }
    }

    #[test]
    fn patterns_match_the_services_hosted() {
        assert!(pattern_hosted_by("canopy.*", "sites"));
        assert!(pattern_hosted_by("canopy.sites.v1.SiteService", "sites"));
        assert!(pattern_hosted_by("canopy.sites.*", "sites"));
        assert!(pattern_hosted_by("canopy.sites.v1.*", "sites"));
        assert!(!pattern_hosted_by("canopy.site.*", "sites"));
        assert!(!pattern_hosted_by("canopy.tenancy.v1.QuotaService", "sites"));
        assert!(!pattern_hosted_by("canopy.sitesx.v1.X", "sites"));
        assert!(pattern_hosted_by("grpc.health.v1.Health", "sites"));
        assert!(pattern_hosted_by("grpc.*", "sites"));
        assert!(pattern_hosted_by("canopy.system.v1.SystemService", "gateway"));
        assert!(!pattern_hosted_by("canopy.identity.v1.CredentialService", "gateway"));
        assert_eq!(expand_callers(&["*".into(), "gateway".into()], &["b".into(), "gateway".into()]), ["b", "gateway"]);
    }

    #[test]
    fn the_config_map_sets_plaintext_mesh_and_carries_the_policy() {
        let files = rendered();
        let config = &files.iter().find(|(n, _)| n == "10-config.yaml").unwrap().1;
        assert!(config.contains("kind: ConfigMap\n"));
        assert!(config.contains("  canopy.toml: |\n"));
        assert!(config.contains("    mode = \"plaintext\"\n"));
        assert!(config.contains("    policy_file = \"/etc/canopy/policy.toml\"\n"));
        assert!(config.contains("    log_format = \"json\"\n"));
        assert!(config.contains("  policy.toml: |\n    workloads = [\"gateway\"]\n\n    [[rule]]\n"));
        let (services, rules, workloads, options) = sample();
        let without =
            render(&services, &rules, &workloads, &KubernetesOptions { policy_toml: String::new(), ..options });
        let config = &without.iter().find(|(n, _)| n == "10-config.yaml").unwrap().1;
        assert!(!config.contains("policy.toml: "));
        assert!(config.contains("# policy.toml is not in this ConfigMap"));
    }

    #[test]
    fn yaml_quotes_whatever_could_be_read_as_something_else() {
        let value = json!({
            "plain": "canopy-config",
            "colon": "0.0.0.0:8443",
            "number-like": "9464",
            "bool-like": "true",
            "no": "no",
            "star": "*",
            "empty": "",
            "list": [{"a": 1, "b": [1, 2]}, "x"],
            "nested": {"emptyMap": {}, "emptyList": []},
            "trailing": "a \nb\n",
        });
        assert_eq!(
            to_yaml(&value),
            "bool-like: \"true\"\ncolon: \"0.0.0.0:8443\"\nempty: \"\"\nlist:\n  - a: 1\n    b:\n      - 1\n      - 2\n  - x\n\
             nested:\n  emptyList: []\n  emptyMap: {}\n\"no\": \"no\"\nnumber-like: \"9464\"\nplain: canopy-config\nstar: \"*\"\n\
             trailing: \"a \\nb\\n\"\n"
        );
    }

    /// `CANOPY_WRITE_MANIFESTS=/some/dir cargo test -p canopyd --lib kubernetes` writes
    /// the sample rendering there, for `.ci/validate-deploy.sh /some/dir`.
    #[test]
    fn writes_the_sample_rendering_when_asked() {
        let Some(dir) = std::env::var_os("CANOPY_WRITE_MANIFESTS") else { return };
        let dir = std::path::PathBuf::from(dir);
        std::fs::create_dir_all(&dir).unwrap();
        for (name, text) in rendered() {
            std::fs::write(dir.join(name), text).unwrap();
        }
    }
}
