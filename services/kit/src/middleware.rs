//! Async tower middleware without the boilerplate. A middleware is a value (its
//! configuration) that, given a request and the inner service, returns the response
//! future; [`MiddlewareLayer`] supplies the `Layer` and `Service` impls every
//! middleware here would otherwise repeat.
//!
//! Tower only promises that the service instance polled ready accepts the next call,
//! so `call` moves *that* instance into the middleware's future and leaves a fresh
//! clone behind for the next `poll_ready` ([`take_ready`], tower's documented pattern).

use std::task::{Context, Poll};

use futures_util::future::BoxFuture;
use tower::{Layer, Service};

/// What a request goes through on its way to `next`, the inner service: already
/// polled ready, to be called at most once.
pub trait Middleware<S, Request>: Clone + Send + Sync + 'static
where
    S: Service<Request>,
{
    fn call(&self, request: Request, next: S) -> BoxFuture<'static, Result<S::Response, S::Error>>;
}

/// Applies the middleware `M` around every service it layers.
#[derive(Debug, Clone)]
pub struct MiddlewareLayer<M>(M);

impl<M> MiddlewareLayer<M> {
    pub fn new(middleware: M) -> Self {
        Self(middleware)
    }
}

impl<S, M: Clone> Layer<S> for MiddlewareLayer<M> {
    type Service = WithMiddleware<S, M>;

    fn layer(&self, inner: S) -> Self::Service {
        WithMiddleware { inner, middleware: self.0.clone() }
    }
}

/// A service behind the middleware `M`.
#[derive(Debug, Clone)]
pub struct WithMiddleware<S, M> {
    inner: S,
    middleware: M,
}

impl<S, M, Request> Service<Request> for WithMiddleware<S, M>
where
    S: Service<Request> + Clone,
    M: Middleware<S, Request>,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = BoxFuture<'static, Result<S::Response, S::Error>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request) -> Self::Future {
        self.middleware.call(request, take_ready(&mut self.inner))
    }
}

/// Takes the service that was polled ready, leaving a clone in its place.
pub fn take_ready<S: Clone>(service: &mut S) -> S {
    let clone = service.clone();
    std::mem::replace(service, clone)
}
