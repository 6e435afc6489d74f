//! Sites' rules, free of I/O: names, sizes, runtimes, labels, the region catalogue,
//! and how a deployment's outcome changes a site's status.

pub mod catalogue;
pub mod lifecycle;
pub mod site;
