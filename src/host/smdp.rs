//! The ES9+ server over HTTP(S): [`Es9Server`] behind hyper (HTTP/1.1) on tokio, with TLS
//! from rustls (the ring provider). `veuicc smdp serve` runs it.
//!
//! Each connection is a task; each request's body is read up to [`Limits::max_body`]
//! (`Content-Length` above it, or more bytes than it, is answered 413 with an ES9+ error
//! without reading on), and the ES9+ function — signatures, key agreement, BPP encryption —
//! runs on tokio's blocking pool, so slow clients never hold a core. Only `POST` is served
//! (405 otherwise); an `X-Admin-Protocol` other than `gsma/rsp/v2.*` is refused with 400
//! (SGP.22 §6.5.1 makes the header mandatory; a missing one is accepted, as osmo-smdpp does).
//! A TLS handshake or connection that fails ends that connection only.
//!
//! [`Limits::max_body`]: crate::testkit::es9p::Limits::max_body

use crate::testkit::es9p::{ADMIN_PROTOCOL, Answer, Es9Server};
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::{Bytes, Incoming};
use hyper::{Method, Request, Response, StatusCode};
use std::format;
use std::net::SocketAddr;
use std::string::{String, ToString};
use std::sync::Arc;
use std::time::Duration;
use std::vec::Vec;
use tokio::net::TcpListener;

/// How long a connection may take to send a request's head and body.
const READ_TIMEOUT: Duration = Duration::from_secs(30);

/// A TLS configuration from a certificate chain (DER, leaf first) and its P-256 key (PKCS#8
/// or SEC1 DER).
pub fn tls_config(chain: &[Vec<u8>], key_der: &[u8]) -> Result<Arc<rustls::ServerConfig>, String> {
    use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer, PrivateSec1KeyDer};
    let certs: Vec<CertificateDer<'static>> = chain.iter().map(|c| CertificateDer::from(c.clone())).collect();
    let key = if p256::SecretKey::from_sec1_der(key_der).is_ok() {
        PrivateKeyDer::Sec1(PrivateSec1KeyDer::from(key_der.to_vec()))
    } else {
        PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key_der.to_vec()))
    };
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("TLS: {e}"))?
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .map_err(|e| format!("TLS certificate or key: {e}"))?;
    Ok(Arc::new(config))
}

fn response(a: Answer) -> Response<Full<Bytes>> {
    let status = StatusCode::from_u16(a.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut r = Response::new(Full::new(Bytes::from(a.body)));
    *r.status_mut() = status;
    let h = r.headers_mut();
    h.insert(hyper::header::CONTENT_TYPE, hyper::header::HeaderValue::from_static("application/json;charset=UTF-8"));
    h.insert("x-admin-protocol", hyper::header::HeaderValue::from_static(ADMIN_PROTOCOL));
    r
}

fn plain(status: StatusCode, text: &str) -> Response<Full<Bytes>> {
    let mut r = Response::new(Full::new(Bytes::from(text.to_string())));
    *r.status_mut() = status;
    r
}

async fn handle(req: Request<Incoming>, server: Arc<Es9Server>) -> Response<Full<Bytes>> {
    if req.method() != Method::POST {
        return plain(StatusCode::METHOD_NOT_ALLOWED, "ES9+ functions are called with POST\n");
    }
    if let Some(v) = req.headers().get("x-admin-protocol")
        && !v.to_str().is_ok_and(|s| s.starts_with("gsma/rsp/v2"))
    {
        return plain(StatusCode::BAD_REQUEST, "X-Admin-Protocol: gsma/rsp/v2.x.y expected\n");
    }
    let path = req.uri().path().to_string();
    let max = server.limits.max_body;
    let declared = req
        .headers()
        .get(hyper::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > u64::try_from(max).unwrap_or(u64::MAX)) {
        return response(server.oversized(&path));
    }
    let body = match tokio::time::timeout(READ_TIMEOUT, Limited::new(req.into_body(), max).collect()).await {
        Ok(Ok(b)) => b.to_bytes(),
        Ok(Err(e)) if e.downcast_ref::<http_body_util::LengthLimitError>().is_some() => {
            return response(server.oversized(&path));
        }
        Ok(Err(_)) => return plain(StatusCode::BAD_REQUEST, "the request body could not be read\n"),
        Err(_) => return plain(StatusCode::REQUEST_TIMEOUT, "the request body came too slowly\n"),
    };
    let answer = tokio::task::spawn_blocking(move || server.handle(&path, &body)).await;
    match answer {
        Ok(a) => response(a),
        Err(_) => plain(StatusCode::INTERNAL_SERVER_ERROR, "the ES9+ function failed\n"),
    }
}

async fn serve_connection<IO>(io: IO, server: Arc<Es9Server>)
where
    IO: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let service = hyper::service::service_fn(move |req| {
        let server = server.clone();
        async move { Ok::<_, core::convert::Infallible>(handle(req, server).await) }
    });
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder.timer(hyper_util::rt::TokioTimer::new()).header_read_timeout(READ_TIMEOUT).max_buf_size(64 * 1024);
    let _ = builder.serve_connection(hyper_util::rt::TokioIo::new(io), service).await;
}

/// Serves `server` on `listener` until `shutdown` resolves; TLS with `tls`, plain HTTP without.
pub async fn serve(
    listener: TcpListener,
    server: Arc<Es9Server>,
    tls: Option<Arc<rustls::ServerConfig>>,
    shutdown: impl Future<Output = ()>,
) {
    let acceptor = tls.map(tokio_rustls::TlsAcceptor::from);
    tokio::pin!(shutdown);
    loop {
        let accepted = tokio::select! {
            () = &mut shutdown => return,
            a = listener.accept() => a,
        };
        let Ok((tcp, _peer)) = accepted else {
            // EMFILE and the like: breathe, then go on accepting.
            tokio::time::sleep(Duration::from_millis(50)).await;
            continue;
        };
        let _ = tcp.set_nodelay(true);
        let server = server.clone();
        match &acceptor {
            None => {
                tokio::spawn(serve_connection(tcp, server));
            }
            Some(acceptor) => {
                let acceptor = acceptor.clone();
                tokio::spawn(async move {
                    if let Ok(Ok(tls)) = tokio::time::timeout(READ_TIMEOUT, acceptor.accept(tcp)).await {
                        serve_connection(tls, server).await;
                    }
                });
            }
        }
    }
}

/// A server running on its own runtime in a background thread (tests, benches, the CLI).
#[derive(Debug)]
pub struct Running {
    /// Where it listens.
    pub addr: SocketAddr,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Running {
    /// Binds `listen` and serves `server` there with `workers` runtime threads.
    pub fn start(
        listen: SocketAddr,
        server: Arc<Es9Server>,
        tls: Option<Arc<rustls::ServerConfig>>,
        workers: usize,
    ) -> Result<Running, String> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(workers.max(1))
            .enable_all()
            .build()
            .map_err(|e| format!("tokio runtime: {e}"))?;
        let listener = runtime.block_on(TcpListener::bind(listen)).map_err(|e| format!("listen on {listen}: {e}"))?;
        let addr = listener.local_addr().map_err(|e| format!("listen on {listen}: {e}"))?;
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::Builder::new()
            .name("es9p-server".into())
            .spawn(move || {
                runtime.block_on(serve(listener, server, tls, async move {
                    let _ = stopped.await;
                }));
            })
            .map_err(|e| format!("server thread: {e}"))?;
        Ok(Running { addr, stop: Some(stop), thread: Some(thread) })
    }

    /// Waits until the server stops (it stops only when told to).
    pub fn wait(mut self) {
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}
