//! The connections a service accepts: TLS-terminated (mTLS mode) or plain (behind a
//! Linkerd proxy), each carrying what we know of the peer into every request's
//! extensions through tonic's `Connected`.

use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc, watch};
use tokio_rustls::TlsAcceptor;
use tokio_rustls::server::TlsStream;
use tokio_stream::wrappers::ReceiverStream;
use tonic::transport::server::Connected;

use super::WorkloadIdentity;
use super::tls::dns_names;

/// What a service knows about the other end of a connection.
#[derive(Debug, Clone)]
pub struct PeerInfo {
    pub remote_addr: SocketAddr,
    /// The identity proven by the client certificate; `None` in plaintext mode, where
    /// the Linkerd proxy's `l5d-client-id` header carries it instead.
    pub workload: Option<WorkloadIdentity>,
}

/// An accepted connection.
pub enum MeshStream {
    Tls(Box<TlsStream<TcpStream>>, PeerInfo),
    Plain(TcpStream, PeerInfo),
}

impl Connected for MeshStream {
    type ConnectInfo = PeerInfo;

    fn connect_info(&self) -> PeerInfo {
        match self {
            Self::Tls(_, peer) | Self::Plain(_, peer) => peer.clone(),
        }
    }
}

impl AsyncRead for MeshStream {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Self::Tls(s, _) => Pin::new(s.as_mut()).poll_read(cx, buf),
            Self::Plain(s, _) => Pin::new(s).poll_read(cx, buf),
        }
    }
}

impl AsyncWrite for MeshStream {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            Self::Tls(s, _) => Pin::new(s.as_mut()).poll_write(cx, buf),
            Self::Plain(s, _) => Pin::new(s).poll_write(cx, buf),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Self::Tls(s, _) => Pin::new(s.as_mut()).poll_flush(cx),
            Self::Plain(s, _) => Pin::new(s).poll_flush(cx),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Self::Tls(s, _) => Pin::new(s.as_mut()).poll_shutdown(cx),
            Self::Plain(s, _) => Pin::new(s).poll_shutdown(cx),
        }
    }
}

/// The stream of handshaken connections tonic serves.
pub type MeshIncoming = ReceiverStream<Result<MeshStream, io::Error>>;

/// Accepts on `listener` until `stop` flips, handshaking each connection on its own
/// task so one slow or hostile client never stalls the others. Failed handshakes
/// (no certificate, unknown CA) are logged and dropped.
pub fn accept(
    listener: TcpListener,
    tls: Option<Arc<rustls::ServerConfig>>,
    trust_domain: String,
    mut stop: watch::Receiver<bool>,
) -> MeshIncoming {
    let (tx, rx) = mpsc::channel(64);
    let acceptor = tls.map(TlsAcceptor::from);
    tokio::spawn(async move {
        loop {
            let (tcp, remote_addr) = tokio::select! {
                _ = stop.changed() => break,
                accepted = listener.accept() => match accepted {
                    Ok(pair) => pair,
                    Err(error) => {
                        tracing::warn!(%error, "accept failed");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                },
            };
            let _ = tcp.set_nodelay(true);
            let tx = tx.clone();
            let acceptor = acceptor.clone();
            let trust_domain = trust_domain.clone();
            tokio::spawn(async move {
                let stream = match acceptor {
                    None => MeshStream::Plain(tcp, PeerInfo { remote_addr, workload: None }),
                    Some(acceptor) => match tokio::time::timeout(Duration::from_secs(10), acceptor.accept(tcp)).await {
                        Ok(Ok(tls)) => {
                            let workload =
                                tls.get_ref().1.peer_certificates().and_then(|chain| chain.first()).and_then(|leaf| {
                                    dns_names(leaf).iter().find_map(|n| WorkloadIdentity::parse(n, &trust_domain))
                                });
                            MeshStream::Tls(Box::new(tls), PeerInfo { remote_addr, workload })
                        }
                        Ok(Err(error)) => {
                            tracing::info!(%remote_addr, %error, "mesh handshake refused");
                            return;
                        }
                        Err(_) => {
                            tracing::info!(%remote_addr, "mesh handshake timed out");
                            return;
                        }
                    },
                };
                let _ = tx.send(Ok(stream)).await;
            });
        }
    });
    ReceiverStream::new(rx)
}
