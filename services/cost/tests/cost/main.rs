//! The cost service's own tests: estimates of each provider's template against totals
//! computed by hand from the price snapshot, forecasts with known answers, and
//! collection runs against each cloud's stand-in into a real database. The
//! end-to-end tests (estimates in the deployment log, reports, budgets and alerts
//! through every service) are in `tests/integration/costs.rs`.

mod collection;
mod estimates;
mod forecasts;
