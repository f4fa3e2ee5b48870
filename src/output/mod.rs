//! What comes out of an evaluation: the [`Decision`](decision::Decision) and the compact JSON
//! it is printed as, and the views built on decisions — explain, diff, policy test cases, the
//! compliance report.

pub mod decision;
pub mod diff;
pub mod explain;
pub mod i18n;
pub(crate) mod json;
pub mod report;
pub mod testing;
pub(crate) mod trace;
