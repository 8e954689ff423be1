//! The SIM an enabled profile becomes: the implicit UICC application ([`app::Sim`]) over the
//! profile's file system ([`fs`]), its persisted state ([`state`]), and the authentication
//! algorithms ([`milenage`], [`tuak`], the USIM test algorithm) with the USIM's SQN check ([`sqn`]).

pub mod aka;
pub mod app;
pub mod arr;
pub mod fs;
pub mod milenage;
pub mod pin;
pub(crate) mod services;
pub mod sqn;
pub mod state;
pub(crate) mod tuak;
