//! Sites' rules, free of I/O: names, sizes, runtimes, labels, the region catalogue,
//! how a deployment's outcome changes a site's status, and the bounds of a fleet summary.

pub mod catalogue;
pub mod fleet;
pub mod lifecycle;
pub mod site;
