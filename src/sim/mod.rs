//! The SIM an enabled profile becomes. So far: the authentication algorithms ([`milenage`],
//! the USIM test algorithm). The file-system application (the implicit `app::App` built
//! from `saip::profile::Profile`) comes next.

pub mod milenage;
