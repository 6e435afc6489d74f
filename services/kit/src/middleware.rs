//! What every hand-written tower middleware here needs: tower only promises that the
//! service instance polled ready accepts the next call, so `call` must move *that*
//! instance into its future and leave a fresh clone behind for the next
//! `poll_ready` (tower's documented pattern).

/// Takes the service that was polled ready, leaving a clone in its place.
pub fn take_ready<S: Clone>(service: &mut S) -> S {
    let clone = service.clone();
    std::mem::replace(service, clone)
}
