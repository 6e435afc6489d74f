//! AWS Signature Version 4 for requests with the signature in the `Authorization`
//! header: the canonical request, the string to sign, the derived signing key and the
//! signature, as AWS's SigV4 documentation and test suite define them. Used by the
//! Cost Explorer collector to sign and by its stand-in to check.

use hmac::{Hmac, Mac as _};
use sha2::{Digest as _, Sha256};

/// The algorithm name in the `Authorization` header.
pub const ALGORITHM: &str = "AWS4-HMAC-SHA256";

/// Who signs, and for which region and service.
#[derive(Clone, Copy)]
pub struct Signer<'a> {
    pub access_key_id: &'a str,
    pub secret_access_key: &'a str,
    pub region: &'a str,
    pub service: &'a str,
}

impl std::fmt::Debug for Signer<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Signer")
            .field("access_key_id", &self.access_key_id)
            .field("secret_access_key", &"***")
            .field("region", &self.region)
            .field("service", &self.service)
            .finish()
    }
}

/// The parts of a request that are signed.
#[derive(Debug, Clone, Copy)]
pub struct Request<'a> {
    pub method: &'a str,
    /// The path as sent (`/`); each segment is URI-encoded for the canonical form.
    pub path: &'a str,
    /// The query as sent, without `?` (may be empty).
    pub query: &'a str,
    /// The headers to sign, including `host` and `x-amz-date`.
    pub headers: &'a [(&'a str, &'a str)],
    pub body: &'a [u8],
}

impl Signer<'_> {
    /// The `Authorization` header value for `request` at `amz_date` (`YYYYMMDDTHHMMSSZ`).
    pub fn authorization(&self, request: &Request<'_>, amz_date: &str) -> String {
        let (canonical, signed_headers) = canonical_request(request);
        let signature = self.signature(&canonical, amz_date);
        format!(
            "{ALGORITHM} Credential={}/{}, SignedHeaders={signed_headers}, Signature={signature}",
            self.access_key_id,
            self.scope(amz_date)
        )
    }

    /// The hex signature of a canonical request.
    pub fn signature(&self, canonical_request: &str, amz_date: &str) -> String {
        let string_to_sign = format!(
            "{ALGORITHM}\n{amz_date}\n{}\n{}",
            self.scope(amz_date),
            hex(&Sha256::digest(canonical_request.as_bytes()))
        );
        let date = amz_date.get(..8).unwrap_or(amz_date);
        let mut key = hmac(format!("AWS4{}", self.secret_access_key).as_bytes(), date.as_bytes());
        for part in [self.region, self.service, "aws4_request"] {
            key = hmac(&key, part.as_bytes());
        }
        hex(&hmac(&key, string_to_sign.as_bytes()))
    }

    /// `date/region/service/aws4_request`.
    pub fn scope(&self, amz_date: &str) -> String {
        format!("{}/{}/{}/aws4_request", amz_date.get(..8).unwrap_or(amz_date), self.region, self.service)
    }
}

/// The canonical request and its signed-headers list.
pub fn canonical_request(request: &Request<'_>) -> (String, String) {
    let mut headers: Vec<(String, String)> = request
        .headers
        .iter()
        .map(|(name, value)| (name.trim().to_ascii_lowercase(), value.split_whitespace().collect::<Vec<_>>().join(" ")))
        .collect();
    headers.sort_by(|a, b| a.0.cmp(&b.0));
    // Repeated headers are one line, values joined by commas in the order given.
    let mut merged: Vec<(String, String)> = Vec::new();
    for (name, value) in headers {
        match merged.last_mut() {
            Some((last, values)) if *last == name => {
                values.push(',');
                values.push_str(&value);
            }
            _ => merged.push((name, value)),
        }
    }
    let canonical_headers: String = merged.iter().map(|(name, value)| format!("{name}:{value}\n")).collect();
    let signed_headers = merged.iter().map(|(name, _)| name.as_str()).collect::<Vec<_>>().join(";");
    let canonical = format!(
        "{}\n{}\n{}\n{canonical_headers}\n{signed_headers}\n{}",
        request.method,
        canonical_path(request.path),
        canonical_query(request.query),
        hex(&Sha256::digest(request.body))
    );
    (canonical, signed_headers)
}

/// Each segment URI-encoded once (services other than S3 encode the path as sent).
fn canonical_path(path: &str) -> String {
    if path.is_empty() {
        return "/".into();
    }
    path.split('/').map(|segment| uri_encode(&decode(segment))).collect::<Vec<_>>().join("/")
}

/// Parameters URI-encoded and sorted by name, then value.
fn canonical_query(query: &str) -> String {
    let mut pairs: Vec<(String, String)> = query
        .split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            (uri_encode(&decode(name)), uri_encode(&decode(value)))
        })
        .collect();
    pairs.sort();
    pairs.iter().map(|(name, value)| format!("{name}={value}")).collect::<Vec<_>>().join("&")
}

fn decode(text: &str) -> String {
    percent_encoding::percent_decode_str(text).decode_utf8_lossy().into_owned()
}

fn uri_encode(text: &str) -> String {
    crate::oauth::encode(text)
}

fn hmac(key: &[u8], data: &[u8]) -> Vec<u8> {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes keys of any length");
    mac.update(data);
    mac.finalize().into_bytes().to_vec()
}

/// Lower-case hex.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The parts of an `Authorization` header: access key id, scope, signed headers, signature.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedAuthorization {
    pub access_key_id: String,
    pub scope: String,
    pub signed_headers: Vec<String>,
    pub signature: String,
}

/// Reads an `Authorization: AWS4-HMAC-SHA256 Credential=…, SignedHeaders=…, Signature=…`.
pub fn parse_authorization(value: &str) -> Option<ParsedAuthorization> {
    let rest = value.strip_prefix(ALGORITHM)?.trim();
    let mut credential = None;
    let mut signed = None;
    let mut signature = None;
    for part in rest.split(',') {
        let (name, value) = part.trim().split_once('=')?;
        match name {
            "Credential" => credential = Some(value),
            "SignedHeaders" => signed = Some(value),
            "Signature" => signature = Some(value),
            _ => return None,
        }
    }
    let (access_key_id, scope) = credential?.split_once('/')?;
    Some(ParsedAuthorization {
        access_key_id: access_key_id.to_string(),
        scope: scope.to_string(),
        signed_headers: signed?.split(';').map(str::to_string).collect(),
        signature: signature?.to_string(),
    })
}
