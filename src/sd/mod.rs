//! Security domains: the ISD-R (and, with the download issue, one ISD-P per profile).

pub mod isdp;
pub mod isdr;
