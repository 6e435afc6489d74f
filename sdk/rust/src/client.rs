//! The typed entry point: `Canopy::builder(url)...connect().await?.with_token(token)`.

use std::time::Duration;

use tonic::metadata::{Ascii, MetadataValue};
use tonic::service::Interceptor;
use tonic::service::interceptor::InterceptedService;
use tonic::transport::{Certificate, Channel, ClientTlsConfig, Endpoint, Identity};

use crate::proto::canopy::system::v1::system_service_client::SystemServiceClient;

/// Why a connection could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    /// The URL is not a valid `http(s)://host:port` endpoint.
    #[error("invalid endpoint url {url:?}: {reason}")]
    InvalidUrl { url: String, reason: String },
    /// An `https` endpoint was given without a trust anchor to verify it.
    #[error("https endpoint {url:?} needs a CA certificate (CanopyBuilder::ca_certificate_pem)")]
    MissingCa { url: String },
    /// TLS configuration or the connection itself failed.
    #[error("cannot connect to {url:?}: {source}")]
    Transport {
        url: String,
        #[source]
        source: tonic::transport::Error,
    },
}

/// Builds a [`Canopy`] client.
#[derive(Debug, Clone)]
pub struct CanopyBuilder {
    url: String,
    ca_pem: Option<Vec<u8>>,
    identity_pem: Option<(Vec<u8>, Vec<u8>)>,
    server_name: Option<String>,
    connect_timeout: Duration,
    lazy: bool,
}

impl CanopyBuilder {
    /// Trust anchor (PEM) that signed the server's certificate.
    pub fn ca_certificate_pem(mut self, pem: impl Into<Vec<u8>>) -> Self {
        self.ca_pem = Some(pem.into());
        self
    }

    /// Client certificate chain and key (PEM), for mTLS inside the mesh.
    pub fn client_identity_pem(mut self, cert_pem: impl Into<Vec<u8>>, key_pem: impl Into<Vec<u8>>) -> Self {
        self.identity_pem = Some((cert_pem.into(), key_pem.into()));
        self
    }

    /// Name to verify in the server's certificate when it differs from the URL host
    /// (inside the mesh: the callee's workload identity).
    pub fn server_name(mut self, name: impl Into<String>) -> Self {
        self.server_name = Some(name.into());
        self
    }

    /// How long to wait for the TCP and TLS handshake (default 5 s).
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// Connect on first use instead of now.
    pub fn lazy(mut self) -> Self {
        self.lazy = true;
        self
    }

    /// Opens the channel.
    pub async fn connect(self) -> Result<Canopy, ConnectError> {
        let invalid = |reason: String| ConnectError::InvalidUrl { url: self.url.clone(), reason };
        let mut endpoint = Endpoint::from_shared(self.url.clone())
            .map_err(|e| invalid(e.to_string()))?
            .connect_timeout(self.connect_timeout)
            .tcp_nodelay(true);
        let uri = endpoint.uri().clone();
        if uri.host().is_none() {
            return Err(invalid("missing host".into()));
        }
        if uri.scheme_str() == Some("https") {
            let Some(ca) = &self.ca_pem else {
                return Err(ConnectError::MissingCa { url: self.url.clone() });
            };
            let mut tls = ClientTlsConfig::new().ca_certificate(Certificate::from_pem(ca));
            if let Some((cert, key)) = &self.identity_pem {
                tls = tls.identity(Identity::from_pem(cert, key));
            }
            if let Some(name) = &self.server_name {
                tls = tls.domain_name(name.clone());
            }
            endpoint =
                endpoint.tls_config(tls).map_err(|source| ConnectError::Transport { url: self.url.clone(), source })?;
        }
        let channel = if self.lazy {
            endpoint.connect_lazy()
        } else {
            endpoint.connect().await.map_err(|source| ConnectError::Transport { url: self.url.clone(), source })?
        };
        Ok(Canopy { channel, token: BearerToken::default() })
    }
}

/// A connected Canopy client. Cheap to clone; clones share the connection.
#[derive(Debug, Clone)]
pub struct Canopy {
    channel: Channel,
    token: BearerToken,
}

impl Canopy {
    /// Starts building a client for `url` (`https://host:port`, or `http://` behind a
    /// proxy that terminates TLS).
    pub fn builder(url: impl Into<String>) -> CanopyBuilder {
        CanopyBuilder {
            url: url.into(),
            ca_pem: None,
            identity_pem: None,
            server_name: None,
            connect_timeout: Duration::from_secs(5),
            lazy: false,
        }
    }

    /// A plaintext connection (behind a TLS-terminating proxy, or in tests of one).
    pub async fn connect(url: impl Into<String>) -> Result<Canopy, ConnectError> {
        Self::builder(url).connect().await
    }

    /// Sends `token` as `authorization: Bearer …` on every call made through this client.
    pub fn with_token(mut self, token: &str) -> Self {
        self.token = BearerToken::new(token);
        self
    }

    /// The underlying channel, for generated clients this type has no accessor for yet.
    pub fn channel(&self) -> Channel {
        self.channel.clone()
    }

    /// The bearer-token interceptor, to wrap any generated client:
    /// `FooClient::with_interceptor(canopy.channel(), canopy.interceptor())`.
    pub fn interceptor(&self) -> BearerToken {
        self.token.clone()
    }

    /// `canopy.system.v1.SystemService`.
    pub fn system(&self) -> SystemServiceClient<InterceptedService<Channel, BearerToken>> {
        SystemServiceClient::with_interceptor(self.channel(), self.interceptor())
    }
}

/// Adds `authorization: Bearer <token>` to each request when a token is set.
#[derive(Debug, Clone, Default)]
pub struct BearerToken(Option<MetadataValue<Ascii>>);

impl BearerToken {
    /// A token that is not valid ASCII metadata is dropped rather than sent mangled;
    /// the server then answers UNAUTHENTICATED.
    pub fn new(token: &str) -> Self {
        Self(format!("Bearer {token}").parse().ok())
    }
}

impl Interceptor for BearerToken {
    fn call(&mut self, mut request: tonic::Request<()>) -> Result<tonic::Request<()>, tonic::Status> {
        if let Some(value) = &self.0 {
            request.metadata_mut().insert("authorization", value.clone());
        }
        Ok(request)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_malformed_url_is_refused_with_its_reason() {
        let error = Canopy::builder("not a url").connect().await.unwrap_err();
        assert!(matches!(error, ConnectError::InvalidUrl { .. }), "{error}");
    }

    #[tokio::test]
    async fn https_without_a_trust_anchor_is_refused_before_dialling() {
        let error = Canopy::builder("https://127.0.0.1:1").connect().await.unwrap_err();
        assert!(matches!(error, ConnectError::MissingCa { .. }), "{error}");
    }

    #[test]
    fn the_token_is_sent_as_a_bearer_header() {
        let mut interceptor = BearerToken::new("abc.def");
        let request = interceptor.call(tonic::Request::new(())).unwrap();
        assert_eq!(request.metadata().get("authorization").unwrap(), "Bearer abc.def");
        let mut none = BearerToken::default();
        assert!(none.call(tonic::Request::new(())).unwrap().metadata().get("authorization").is_none());
    }
}
