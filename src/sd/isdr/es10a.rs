//! ES10a: the LPA's view of the card's configured addresses (SGP.22 v2.5 §5.7.3–§5.7.4).

use super::{Ctx, errors};
use crate::apdu::Result;
use crate::asn1::codes::SetDefaultDpAddressResult;
use crate::asn1::rsp::{
    EuiccConfiguredAddressesRequest, EuiccConfiguredAddressesResponse, SetDefaultDpAddressRequest,
    SetDefaultDpAddressResponse,
};
use crate::platform::Platform;
use crate::store::{CardState, Txn};

/// ES10a.GetEuiccConfiguredAddresses — SGP.22 v2.5 §5.7.3.
///
/// The default SM-DP+ address is the one set by SetDefaultDpAddress, else the
/// factory default; the root SM-DS address is fixed at manufacture.
pub(super) fn get_euicc_configured_addresses<P: Platform>(
    _req: EuiccConfiguredAddressesRequest,
    ctx: &mut Ctx<'_, P>,
) -> EuiccConfiguredAddressesResponse {
    EuiccConfiguredAddressesResponse {
        default_dp_address: ctx.state.config.default_dp_address.clone(),
        root_ds_address: ctx.config.root_ds_address.clone(),
    }
}

/// ES10a.SetDefaultDpAddress — SGP.22 v2.5 §5.7.4.
///
/// An empty address removes the default SM-DP+ address. The change is committed
/// before the answer; a storage failure answers `6581` and changes nothing.
pub(super) fn set_default_dp_address<P: Platform>(
    req: SetDefaultDpAddressRequest,
    ctx: &mut Ctx<'_, P>,
) -> Result<SetDefaultDpAddressResponse> {
    let mut config = ctx.state.config.clone();
    config.default_dp_address = Some(req.default_dp_address).filter(|a| !a.is_empty());
    let mut txn = Txn::new();
    CardState::put_config::<()>(&mut txn, &config).map_err(errors::store_status)?;
    let (storage, _, _) = ctx.platform.split();
    ctx.store.commit(storage, txn).map_err(errors::store_status)?;
    ctx.state.config = config;
    Ok(SetDefaultDpAddressResponse { set_default_dp_address_result: SetDefaultDpAddressResult::Ok.into() })
}
