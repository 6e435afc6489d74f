//! Hostile input at the request boundary, for every string field of every request
//! message of every Canopy RPC in the descriptor set (nested messages, repeated fields,
//! map keys and values included), sent as a customer owner and as a platform admin so
//! handlers are really reached: a NUL is refused before any handler runs, naming the
//! field (public sign-in methods answer the uniform UNAUTHENTICATED instead); invalid
//! UTF-8, bidirectional overrides and very long strings are refused or handled; and
//! nothing, ever, answers INTERNAL. A new RPC or field is covered the day it is added.

use canopy_kit::access::MethodPolicies;
use canopy_kit::testing::{TestEnv, TestServices};
use canopy_sdk::proto::canopy::identity::v1 as identity;
use canopy_sdk::proto::canopy::options::v1::{Audience, RateClass};
use prost::Message;
use prost_reflect::{DescriptorPool, DynamicMessage, Kind, MapKey, MethodDescriptor, ReflectMessage as _, Value};
use tonic::Code;
use tonic::codegen::http::uri::PathAndQuery;
use tonic_types::StatusExt as _;

use crate::isolation::{login, request, tenant};
use crate::raw_codec::RawCodec;

/// Human-readable text fields: a bidirectional override in any of them is refused,
/// naming the field (the kit's one rule for text people read).
const HUMAN_TEXT: &[(&str, &str)] = &[
    ("/canopy.tenancy.v1.CustomerService/CreateCustomer", "name"),
    ("/canopy.tenancy.v1.CustomerService/CreateCustomer", "owner_display_name"),
    ("/canopy.tenancy.v1.CustomerService/UpdateCustomer", "name"),
    ("/canopy.tenancy.v1.CustomerService/SuspendCustomer", "reason"),
    ("/canopy.tenancy.v1.BrandingService/UpdateBranding", "product_name"),
    ("/canopy.tenancy.v1.BrandingService/UpdateBranding", "mail_sender_name"),
    ("/canopy.tenancy.v1.PlanService/UpsertPlan", "plan.display_name"),
    ("/canopy.identity.v1.UserService/CreateUser", "display_name"),
    ("/canopy.identity.v1.ApiKeyService/CreateApiKey", "name"),
];

/// Workloads tried, in order, for INTERNAL methods (never reachable as the gateway).
/// `alerts` is the only caller of tenancy's notification mail and identity's contacts;
/// `commerce` the only one of sites' directory.
const MESH_CALLERS: &[&str] = &["sites", "tenancy", "identity", "provisioner", "alerts", "commerce"];

/// The first of [`MESH_CALLERS`] that `mesh/policy.toml` lets call `service`, so an
/// INTERNAL method is reached by a workload allowed to call it.
pub(crate) fn mesh_caller(service: &str) -> &'static str {
    let policy = canopy_kit::mesh::MeshPolicy::load(&canopy_kit::testing::repo_root().join("mesh/policy.toml"))
        .expect("mesh/policy.toml loads");
    MESH_CALLERS
        .iter()
        .copied()
        .find(|workload| policy.allows(workload, service))
        .unwrap_or_else(|| panic!("none of {MESH_CALLERS:?} may call {service}"))
}

/// What a call answered.
#[derive(Debug)]
pub(crate) struct Outcome {
    pub(crate) code: Code,
    message: String,
    fields: Vec<String>,
}

/// Calls `method` with raw `body` as `workload`, with `token` when given.
async fn call(
    services: &TestServices,
    method: &MethodDescriptor,
    workload: &str,
    token: Option<&str>,
    body: Vec<u8>,
) -> Outcome {
    call_in_trace(services, method, workload, token, body, None).await
}

/// [`call`], in the W3C trace `trace_id` when given (32 hex digits).
pub(crate) async fn call_in_trace(
    services: &TestServices,
    method: &MethodDescriptor,
    workload: &str,
    token: Option<&str>,
    body: Vec<u8>,
    trace_id: Option<&str>,
) -> Outcome {
    let service = method.parent_service();
    // Every service hosts the system service; identity answers for it here.
    let owner = match service.package_name().split('.').nth(1).expect("canopy.<domain>.v1") {
        "system" => "identity",
        owner => owner,
    };
    let canopy = services.client(owner, workload).await;
    let mut grpc = tonic::client::Grpc::new(canopy.channel());
    grpc.ready().await.unwrap();
    let path = PathAndQuery::try_from(format!("/{}/{}", service.full_name(), method.name())).unwrap();
    let mut request = tonic::Request::new(body);
    if let Some(trace_id) = trace_id {
        let traceparent = format!("00-{trace_id}-00f067aa0ba902b7-01");
        request.metadata_mut().insert("traceparent", traceparent.parse().unwrap());
    }
    if let Some(token) = token {
        request.metadata_mut().insert("authorization", format!("Bearer {token}").parse().unwrap());
    }
    let outcome = if method.is_server_streaming() {
        match grpc.server_streaming(request, path, RawCodec).await {
            Ok(response) => {
                let mut stream = response.into_inner();
                match tokio::time::timeout(std::time::Duration::from_secs(2), stream.message()).await {
                    Ok(Err(status)) => Err(status),
                    _ => Ok(()),
                }
            }
            Err(status) => Err(status),
        }
    } else {
        grpc.unary(request, path, RawCodec).await.map(|_| ())
    };
    match outcome {
        Ok(()) => Outcome { code: Code::Ok, message: String::new(), fields: Vec::new() },
        Err(status) => {
            let fields = status
                .get_error_details()
                .bad_request()
                .map(|bad| bad.field_violations.iter().map(|v| v.field.clone()).collect())
                .unwrap_or_default();
            Outcome { code: status.code(), message: status.message().to_string(), fields }
        }
    }
}

/// One string of a request set to a probe value: where it is, the field path a
/// refusal must name, and the message.
struct Probe {
    slot: String,
    named_as: String,
    message: DynamicMessage,
}

/// Every way to put `value` into one string of `base` (recursively; one element of a
/// repeated field, one key or value of a map), keeping the rest of `base`.
fn probes(base: &DynamicMessage, value: &str, depth: usize) -> Vec<Probe> {
    let mut out = Vec::new();
    if depth > 4 {
        return out;
    }
    let text = |s: &str| Value::String(s.to_string());
    for field in base.descriptor().fields() {
        let name = field.name().to_string();
        let with = |value: Value| {
            let mut message = base.clone();
            message.set_field(&field, value);
            message
        };
        match field.kind() {
            Kind::String if field.is_list() => out.push(Probe {
                slot: format!("{name}[0]"),
                named_as: format!("{name}[0]"),
                message: with(Value::List(vec![text(value)])),
            }),
            Kind::String => out.push(Probe { slot: name.clone(), named_as: name, message: with(text(value)) }),
            Kind::Message(entry) if field.is_map() => {
                let key_is_string = entry.map_entry_key_field().kind() == Kind::String;
                let value_field = entry.map_entry_value_field();
                if key_is_string {
                    let map = [(MapKey::String(value.to_string()), Value::default_value_for_field(&value_field))];
                    out.push(Probe {
                        slot: format!("{name} (key)"),
                        named_as: name.clone(),
                        message: with(Value::Map(map.into_iter().collect())),
                    });
                }
                if value_field.kind() == Kind::String && key_is_string {
                    let map = [(MapKey::String("probe".into()), text(value))];
                    out.push(Probe {
                        slot: format!("{name}[probe]"),
                        named_as: format!("{name}[probe]"),
                        message: with(Value::Map(map.into_iter().collect())),
                    });
                }
            }
            Kind::Message(inner) => {
                let nested_base = match base.get_field(&field).as_ref() {
                    Value::Message(existing) if !field.is_list() => existing.clone(),
                    _ => DynamicMessage::new(inner.clone()),
                };
                for nested in probes(&nested_base, value, depth + 1) {
                    let (slot, named_as, wrapped) = if field.is_list() {
                        let slot = format!("{name}[0].{}", nested.slot);
                        let named = format!("{name}[0].{}", nested.named_as);
                        (slot, named, Value::List(vec![Value::Message(nested.message)]))
                    } else {
                        let slot = format!("{name}.{}", nested.slot);
                        let named = format!("{name}.{}", nested.named_as);
                        (slot, named, Value::Message(nested.message))
                    };
                    out.push(Probe { slot, named_as, message: with(wrapped) });
                }
            }
            _ => {}
        }
    }
    out
}

/// `base` encoded, followed by top-level string field `number` holding invalid UTF-8
/// (the last occurrence of a field wins when decoding).
fn with_invalid_utf8(base: &DynamicMessage, number: u32) -> Vec<u8> {
    let mut bytes = base.encode_to_vec();
    prost::encoding::encode_key(number, prost::encoding::WireType::LengthDelimited, &mut bytes);
    bytes.extend_from_slice(&[2, b'a', 0xff]);
    bytes
}

#[tokio::test]
async fn no_hostile_string_in_any_request_field_gets_an_internal_answer() {
    let mut env = TestEnv::new().await;
    let no_templates = tempfile::tempdir().unwrap();
    env.config.set_section_value("provisioner", "terraform_root", serde_json::json!(no_templates.path()));
    // Every registered service, so a new one's RPCs are probed the day it is added.
    let services = env.spawn(canopyd::registry::MANIFESTS).await;
    let database = canopy_kit::db::Database::connect(&env.config.database).await.unwrap();
    let password = canopy_identity::ensure_platform_admin(&database, "admin@hostile.test").await.unwrap().unwrap();
    let admin = login(&services, "admin@hostile.test", &password).await;
    let owner = tenant(&services, &admin, "hostile").await;
    let principals = [("owner", owner.token.as_str()), ("platform admin", admin.as_str())];

    let pool = DescriptorPool::decode(canopy_sdk::FILE_DESCRIPTOR_SET).unwrap();
    let policies = MethodPolicies::from_descriptor_set(canopy_sdk::FILE_DESCRIPTOR_SET).unwrap();
    let methods: Vec<MethodDescriptor> = pool
        .services()
        .filter(|s| s.package_name().starts_with("canopy."))
        .flat_map(|s| s.methods().collect::<Vec<_>>())
        .collect();

    let mut internal = Vec::new();
    let mut not_named = Vec::new();
    let mut unreached = Vec::new();
    let mut refused_at_boundary = 0;

    // NUL and invalid UTF-8 first: the boundary refuses them before any handler runs,
    // so they change nothing the later probes rely on.
    for method in &methods {
        let path = format!("/{}/{}", method.parent_service().full_name(), method.name());
        let policy = policies.get(&path).expect("every canopy method has a policy");
        let sign_in = policy.audience() == Audience::Public && policy.rate_class() == RateClass::SignIn;
        let workloads: &[&str] = if policy.audience() == Audience::Internal { MESH_CALLERS } else { &["gateway"] };
        let (base, _) = request(method, &|field| owner.ids.get(field).cloned());
        let mut bodies: Vec<(String, String, Vec<u8>)> = probes(&base, "nul\0here", 0)
            .into_iter()
            .map(|probe| (probe.slot, probe.named_as, probe.message.encode_to_vec()))
            .collect();
        for field in method.input().fields().filter(|f| f.kind() == Kind::String && !f.is_list()) {
            let name = field.name().to_string();
            bodies.push((
                format!("{name} (invalid UTF-8)"),
                "request".into(),
                with_invalid_utf8(&base, field.number()),
            ));
        }
        for (slot, named_as, body) in bodies {
            let mut reached = false;
            let mut named = false;
            for (who, token) in principals {
                for workload in workloads {
                    let outcome = call(&services, method, workload, Some(token), body.clone()).await;
                    if outcome.code == Code::Internal {
                        internal.push(format!("{path} {slot} as {who}: {}", outcome.message));
                    }
                    if outcome.code == Code::PermissionDenied {
                        continue;
                    }
                    reached |= !matches!(outcome.code, Code::Unauthenticated) || sign_in;
                    named |= if sign_in {
                        outcome.code == Code::Unauthenticated && outcome.fields.is_empty()
                    } else {
                        outcome.code == Code::InvalidArgument && outcome.fields.contains(&named_as)
                    };
                    break;
                }
            }
            if !reached {
                unreached.push(format!("{path} {slot}"));
            } else if named {
                refused_at_boundary += 1;
            } else {
                not_named.push(format!("{path} {slot} (expected a refusal naming {named_as})"));
            }
        }
    }

    // An unauthenticated sign-in with a NUL email gets the uniform refusal: no field
    // named, no word about NUL, the same code as an unknown email.
    let auth_service = pool.get_service_by_name("canopy.identity.v1.AuthService").unwrap();
    let login_method = auth_service.methods().find(|m| m.name() == "Login").unwrap();
    let attempt = |email: &str| identity::LoginRequest { email: email.into(), password: "wrong password".into() };
    let with_nul =
        call(&services, &login_method, "gateway", None, attempt("owner\0@hostile.test").encode_to_vec()).await;
    let unknown = call(&services, &login_method, "gateway", None, attempt("nobody@hostile.test").encode_to_vec()).await;
    assert_eq!(with_nul.code, Code::Unauthenticated, "{with_nul:?}");
    assert_eq!(unknown.code, Code::Unauthenticated, "{unknown:?}");
    assert!(with_nul.fields.is_empty() && !with_nul.message.to_lowercase().contains("nul"), "{with_nul:?}");

    // Values the wire allows and handlers must judge: bidirectional overrides, zero-width
    // characters and very long strings. Refused or accepted, never INTERNAL.
    let long = "x".repeat(100_000);
    let mut handled = 0;
    let mut human_text_refused: Vec<(String, String)> = Vec::new();
    for value in ["Acme\u{202E}gnp.exe", "Ac\u{200B}me\u{FEFF}", long.as_str()] {
        for method in &methods {
            let path = format!("/{}/{}", method.parent_service().full_name(), method.name());
            let policy = policies.get(&path).unwrap();
            let workloads: &[&str] = if policy.audience() == Audience::Internal { MESH_CALLERS } else { &["gateway"] };
            let (base, _) = request(method, &|field| owner.ids.get(field).cloned());
            for probe in probes(&base, value, 0) {
                for (who, token) in principals {
                    for workload in workloads {
                        let outcome =
                            call(&services, method, workload, Some(token), probe.message.encode_to_vec()).await;
                        if outcome.code == Code::Internal {
                            internal
                                .push(format!("{path} {} = {:.20}… as {who}: {}", probe.slot, value, outcome.message));
                        }
                        if value.contains('\u{202E}')
                            && outcome.code == Code::InvalidArgument
                            && outcome.fields.contains(&probe.named_as)
                        {
                            human_text_refused.push((path.clone(), probe.slot.clone()));
                        }
                        if outcome.code != Code::PermissionDenied {
                            handled += 1;
                            break;
                        }
                    }
                }
            }
        }
    }

    eprintln!(
        "hostile input: {refused_at_boundary} string slots refused at the boundary, {handled} hostile calls handled; \
         not reachable by these callers: {unreached:#?}"
    );
    assert!(internal.is_empty(), "INTERNAL answers to hostile input: {internal:#?}");
    assert!(not_named.is_empty(), "NUL or invalid UTF-8 not refused by the boundary: {not_named:#?}");
    for (method, field) in HUMAN_TEXT {
        assert!(
            human_text_refused.iter().any(|(m, f)| m == method && f == field),
            "{method} accepted a bidirectional override in {field}"
        );
    }
    assert!(refused_at_boundary >= 100, "suspiciously few string slots probed: {refused_at_boundary}");
}
