//! A request message as an audit record holds it: JSON of the fields that were set,
//! every field marked `canopy.options.v1.sensitive` left out (at any depth, in lists
//! and maps too), long strings and lists cut short; and the ids it names.

use prost_reflect::{DynamicMessage, ExtensionDescriptor, FieldDescriptor, Kind, MapKey, ReflectMessage as _, Value};
use serde_json::{Map, Value as Json};

/// Longest string kept whole in a summary, in characters.
const MAX_STRING_CHARS: usize = 256;
/// Most items of one list or map kept in a summary.
const MAX_ITEMS: usize = 50;
/// Most resource ids kept per record.
const MAX_RESOURCE_IDS: usize = 32;

/// What a summary leaves out: fields with the `sensitive` option.
#[derive(Debug, Clone)]
pub struct Redaction {
    sensitive: ExtensionDescriptor,
}

impl Redaction {
    /// Reads the option from the pool the messages come from.
    pub fn new(pool: &prost_reflect::DescriptorPool) -> Option<Self> {
        pool.get_extension_by_name("canopy.options.v1.sensitive").map(|sensitive| Self { sensitive })
    }

    /// Whether `field` is marked sensitive.
    pub fn is_sensitive(&self, field: &FieldDescriptor) -> bool {
        field.options().get_extension(&self.sensitive).as_bool() == Some(true)
    }

    /// The request as JSON, sensitive fields left out.
    pub fn summary(&self, message: &DynamicMessage) -> Json {
        self.message_json(message)
    }

    /// The non-empty values of fields named `id`, `*_id` or `*_ids` (sensitive ones
    /// excluded), at any depth, in field order, without repeats.
    pub fn resource_ids(&self, message: &DynamicMessage) -> Vec<String> {
        let mut ids = Vec::new();
        self.collect_ids(message, &mut ids);
        ids
    }

    fn message_json(&self, message: &DynamicMessage) -> Json {
        let mut object = Map::new();
        for (field, value) in message.fields() {
            if self.is_sensitive(&field) {
                continue;
            }
            object.insert(field.json_name().to_string(), self.value_json(&field.kind(), value));
        }
        Json::Object(object)
    }

    fn value_json(&self, kind: &Kind, value: &Value) -> Json {
        match value {
            Value::Bool(b) => Json::Bool(*b),
            Value::I32(n) => Json::from(*n),
            Value::I64(n) => Json::String(n.to_string()),
            Value::U32(n) => Json::from(*n),
            Value::U64(n) => Json::String(n.to_string()),
            Value::F32(n) => serde_json::Number::from_f64(f64::from(*n)).map_or(Json::Null, Json::Number),
            Value::F64(n) => serde_json::Number::from_f64(*n).map_or(Json::Null, Json::Number),
            Value::String(text) => Json::String(shorten(text)),
            Value::Bytes(bytes) => Json::String(format!("<{} bytes>", bytes.len())),
            Value::EnumNumber(number) => match kind {
                Kind::Enum(descriptor) => descriptor
                    .get_value(*number)
                    .map_or_else(|| Json::from(*number), |v| Json::String(v.name().to_string())),
                _ => Json::from(*number),
            },
            Value::Message(message) => self.message_json(message),
            Value::List(items) => {
                let mut list: Vec<Json> =
                    items.iter().take(MAX_ITEMS).map(|item| self.value_json(kind, item)).collect();
                if items.len() > MAX_ITEMS {
                    list.push(Json::String(format!("… {} more", items.len() - MAX_ITEMS)));
                }
                Json::Array(list)
            }
            Value::Map(entries) => {
                let value_kind = match kind {
                    Kind::Message(entry) => entry.map_entry_value_field().kind(),
                    other => other.clone(),
                };
                let mut keys: Vec<&MapKey> = entries.keys().collect();
                keys.sort();
                let mut object = Map::new();
                for key in keys.iter().take(MAX_ITEMS) {
                    object.insert(map_key(key), self.value_json(&value_kind, &entries[*key]));
                }
                if entries.len() > MAX_ITEMS {
                    object.insert("…".into(), Json::String(format!("{} more", entries.len() - MAX_ITEMS)));
                }
                Json::Object(object)
            }
        }
    }

    fn collect_ids(&self, message: &DynamicMessage, ids: &mut Vec<String>) {
        for (field, value) in message.fields() {
            if self.is_sensitive(&field) {
                continue;
            }
            let name = field.name();
            let names_ids = name == "id" || name.ends_with("_id") || name.ends_with("_ids");
            match value {
                Value::String(text) if names_ids => push_id(ids, text),
                Value::List(items) => {
                    for item in items {
                        match item {
                            Value::String(text) if names_ids => push_id(ids, text),
                            Value::Message(inner) => self.collect_ids(inner, ids),
                            _ => {}
                        }
                    }
                }
                Value::Message(inner) if inner.descriptor().full_name() != "google.protobuf.Timestamp" => {
                    self.collect_ids(inner, ids)
                }
                _ => {}
            }
        }
    }
}

fn push_id(ids: &mut Vec<String>, text: &str) {
    let text = text.trim();
    if !text.is_empty() && ids.len() < MAX_RESOURCE_IDS && !ids.iter().any(|id| id == text) {
        ids.push(shorten(text));
    }
}

fn shorten(text: &str) -> String {
    match text.char_indices().nth(MAX_STRING_CHARS) {
        Some((end, _)) => format!("{}…", &text[..end]),
        None => text.to_string(),
    }
}

fn map_key(key: &MapKey) -> String {
    match key {
        MapKey::Bool(b) => b.to_string(),
        MapKey::I32(n) => n.to_string(),
        MapKey::I64(n) => n.to_string(),
        MapKey::U32(n) => n.to_string(),
        MapKey::U64(n) => n.to_string(),
        MapKey::String(s) => shorten(s),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use canopy_sdk::FILE_DESCRIPTOR_SET;
    use canopy_sdk::proto::canopy::identity::v1 as identity;
    use canopy_sdk::proto::canopy::sites::v1 as sites;
    use prost_reflect::DescriptorPool;

    fn decode(pool: &DescriptorPool, name: &str, message: &impl prost::Message) -> DynamicMessage {
        let descriptor = pool.get_message_by_name(name).unwrap();
        DynamicMessage::decode(descriptor, message.encode_to_vec().as_slice()).unwrap()
    }

    #[test]
    fn sensitive_fields_are_left_out_and_the_rest_kept() {
        let pool = DescriptorPool::decode(FILE_DESCRIPTOR_SET).unwrap();
        let redaction = Redaction::new(&pool).unwrap();
        let request = identity::ChangePasswordRequest {
            current_password: "old secret value".into(),
            new_password: "new secret value".into(),
            ..Default::default()
        };
        let message = decode(&pool, "canopy.identity.v1.ChangePasswordRequest", &request);
        let summary = redaction.summary(&message).to_string();
        assert!(!summary.contains("secret value"), "{summary}");
        assert_eq!(summary, "{}");
    }

    #[test]
    fn ids_nested_values_and_enums_are_summarised() {
        let pool = DescriptorPool::decode(FILE_DESCRIPTOR_SET).unwrap();
        let redaction = Redaction::new(&pool).unwrap();
        let request = sites::CreateSiteRequest {
            idempotency_key: "k-1".into(),
            name: "shop".into(),
            customer_id: "0190a0a0-0000-7000-8000-000000000001".into(),
            labels: [("env".to_string(), "x".repeat(300))].into(),
            ..Default::default()
        };
        let message = decode(&pool, "canopy.sites.v1.CreateSiteRequest", &request);
        let summary = redaction.summary(&message);
        assert_eq!(summary["name"], "shop");
        assert_eq!(summary["customerId"], "0190a0a0-0000-7000-8000-000000000001");
        assert!(summary["labels"]["env"].as_str().unwrap().ends_with('…'));
        assert_eq!(redaction.resource_ids(&message), ["0190a0a0-0000-7000-8000-000000000001"]);
    }
}
