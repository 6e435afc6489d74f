//! The edge gateway.
