//! ISD-R, the issuer security domain root: STORE DATA reassembly and ES10 dispatch.
//!
//! Spec: GSMA SGP.22 v2.5 §5.7 (ES10a/b/c over STORE DATA, §5.7.2 framing),
//! GlobalPlatform Card Specification §11.11 (STORE DATA).
//!
//! ```text
//! App::call (the card hands over every command after SELECT by AID; file SELECT → 6A82)
//!   → STORE DATA blocks (P1 11 … 91, P2 00, 01, …)
//!   → Chain (one per selection, so one per logical channel: blocks on one channel never
//!     disturb another's)
//!   → Es10Request::decode (unknown tag → 6A88, malformed DER → 6A80)
//!   → es10a / es10b / es10c handler → Es10Response → DER
//!   (private-class FF40 … FF4F: the mirror functions, `mirror.rs`, before the ES10 decoder)
//! ```
//!
//! | INS | command | answer |
//! |---|---|---|
//! | `E2` | STORE DATA, P1 `11` (more) / `91` (last), P2 = block number | non-last: `9000`; last: the ES10 response |
//!
//! SGP.22 result codes are data inside a `9000` response; status words report
//! only that the APDU itself failed (see `errors.rs`).

mod device_change;
mod download;
mod errors;
mod es10a;
mod es10b;
mod es10c;
mod metadata;
mod mirror;
mod rpm;

use crate::apdu::{Result, Status};
use crate::app::{App, Command, Power, Selection};
use crate::asn1::{Es10Request, Es10Response};
use crate::config::Aid;
use crate::platform::Platform;
use crate::store::{Edit, Store};
use alloc::collections::BTreeMap;
use alloc::vec::Vec;

/// What a handler may touch (the application context).
pub(crate) use crate::app::Ctx;

/// STORE DATA P1 bit: last block.
const P1_LAST_BLOCK: u8 = 0x80;
/// STORE DATA P1 with the last-block bit masked: BER-TLV data, no encryption (SGP.22 §5.7.2).
const P1_ES10: u8 = 0x11;

/// Commits `edit`, made in place on the card's logical state: its touched records that
/// changed, atomically. On success the changes stay and the answer is whether there were
/// any; on failure (`6581`) the edit is undone.
pub(crate) fn commit_edit<P: Platform>(store: &mut Store, platform: &mut P, mut edit: Edit<'_>) -> Result<bool> {
    let txn = edit.txn::<()>(store).map_err(errors::store_status)?;
    let changed = !txn.is_empty();
    let (storage, _, _) = platform.split();
    store.commit(storage, txn).map_err(errors::store_status)?;
    edit.keep();
    Ok(changed)
}

/// An ES10 command being reassembled from STORE DATA blocks.
#[derive(Debug)]
struct Chain {
    selection: Selection,
    next_block: u8,
    data: Vec<u8>,
}

/// The ISD-R application: its AID and its volatile state. The state is dropped on reset;
/// nothing here survives a power cut.
#[derive(Debug)]
pub struct Isdr {
    /// The AID it is selected by (`CardConfig::isd_r_aid`).
    aid: Aid,
    /// The STORE DATA chain being built in each selection, so on each channel (at most one
    /// per selection, each bounded by `CardConfig::max_es10_command`).
    chains: BTreeMap<Selection, Chain>,
    /// The download session (challenge, authentication, keys, BPP load; its owner is the
    /// selection it started in, as a byte).
    session: download::Session,
    /// The BPP command a load was running when its session was dropped (for its PIR).
    interrupted: Option<crate::sd::isdp::BppCommand>,
    /// A v3 Device Change prepared by PrepareDeviceChange, awaiting VerifyDeviceChange
    /// (volatile, as the download session; a new session ends it).
    device_change: Option<device_change::Prepared>,
}

impl<P: Platform> App<P> for Isdr {
    fn aid(&self) -> Aid {
        self.aid
    }

    /// Its AID, on the eSIM ports the ISD-R is on: every port but port 0 in MEP-A has no
    /// ISD-R (SELECT there answers `6A82`, as for any absent application).
    fn claims(&mut self, name: &[u8], ctx: &mut Ctx<'_, P>) -> bool {
        ctx.config.mep().is_none_or(|mep| mep.isd_r_on(ctx.port)) && self.aid.matches(name)
    }

    /// The FCI: `6F { 84 <AID>, A5 { 9F65 01 FF }, E0 { 82 03 <SVN> } }` (v3: `82` is
    /// `lowestSvn`).
    fn select(&mut self, _: Selection, command: &Command<'_>, ctx: &mut Ctx<'_, P>) -> Result<Vec<u8>> {
        if !command.wants_fci() {
            return Ok(Vec::new());
        }
        let svn = crate::asn1::tlv::tlv(&[0x82], &ctx.config.sgp22.lowest_svn().to_bytes());
        Ok(super::fci(self.aid.as_bytes(), &crate::asn1::tlv::tlv(&[0xE0], &svn)))
    }

    fn call(&mut self, selection: Selection, command: &Command<'_>, ctx: &mut Ctx<'_, P>) -> Result<Vec<u8>> {
        if command.is_select() {
            // No file system in the ISD-R.
            return Err(Status::NotFound);
        }
        // A commit with an unknown outcome: what storage holds is the truth. No command
        // runs on the stale state; until storage can be read the ISD-R refuses.
        ctx.settle()?;
        let result = self.command(selection, command, ctx);
        // A commit just now with an unknown outcome: reload at once, so that `Card::state`
        // tells what storage holds; on failure the next command tries again.
        let _ = ctx.settle();
        result
    }

    /// Abandons a STORE DATA chain that was being built in `selection`, and a download
    /// session that started there.
    fn deselect(&mut self, selection: Selection) {
        self.chains.remove(&selection);
        if self.session.owner() == Some(selection) {
            self.end_session();
        }
    }

    fn power(&mut self, _: Power) {
        *self = Isdr::new(self.aid);
    }
}

impl Isdr {
    /// A fresh ISD-R selected by `aid` (after power-on or reset).
    pub fn new(aid: Aid) -> Isdr {
        Isdr {
            aid,
            chains: BTreeMap::new(),
            session: download::Session::default(),
            interrupted: None,
            device_change: None,
        }
    }

    /// Drops the download session; a load under way is interrupted (its PIR is made at the
    /// next ES10 command, see `download::settle_interrupted`).
    fn end_session(&mut self) {
        if let Some(command) = self.session.loading_command() {
            self.interrupted = Some(command);
        }
        self.session = download::Session::Idle;
        self.device_change = None;
    }

    /// Handles one command (not a file SELECT) addressed to the ISD-R; returns the response data.
    fn command<P: Platform>(
        &mut self,
        selection: Selection,
        cmd: &Command<'_>,
        ctx: &mut Ctx<'_, P>,
    ) -> Result<Vec<u8>> {
        if !cmd.proprietary {
            return Err(Status::ClaNotSupported);
        }
        match cmd.ins {
            0xE2 => self.store_data(selection, cmd, ctx),
            _ => {
                App::<P>::deselect(self, selection);
                Err(Status::InsNotSupported)
            }
        }
    }

    /// STORE DATA (GP CS §11.11): collect blocks; dispatch the complete command.
    fn store_data<P: Platform>(
        &mut self,
        selection: Selection,
        cmd: &Command<'_>,
        ctx: &mut Ctx<'_, P>,
    ) -> Result<Vec<u8>> {
        // On error the selection's chain is dropped (`collect_block` took it).
        let complete = self.collect_block(selection, cmd, ctx.config.max_es10_command)?;
        match complete {
            None => Ok(Vec::new()),
            Some(der) => self.dispatch(&der, selection, ctx),
        }
    }

    /// Adds one block; `Some(command)` when it was the last one.
    fn collect_block(&mut self, selection: Selection, cmd: &Command<'_>, max: usize) -> Result<Option<Vec<u8>>> {
        if cmd.p1 & !P1_LAST_BLOCK != P1_ES10 {
            return Err(Status::IncorrectP1P2);
        }
        if cmd.data.is_empty() {
            return Err(Status::WrongLength);
        }
        let chain = match self.chains.remove(&selection) {
            None if cmd.p2 != 0 => return Err(Status::IncorrectP1P2),
            None => Chain { selection, next_block: 0, data: Vec::new() },
            Some(c) if c.next_block != cmd.p2 => return Err(Status::IncorrectP1P2),
            Some(c) => c,
        };
        let Chain { selection, next_block, mut data } = chain;
        if data.len().saturating_add(cmd.data.len()) > max {
            return Err(Status::NotEnoughMemory);
        }
        data.extend_from_slice(cmd.data);
        if cmd.p1 & P1_LAST_BLOCK != 0 {
            return Ok(Some(data));
        }
        let next_block = next_block.checked_add(1).ok_or(Status::NotEnoughMemory)?;
        self.chains.insert(selection, Chain { selection, next_block, data });
        Ok(None)
    }

    /// Decodes one ES10 command and runs its handler. BPP pieces (the `BF36`
    /// start, then `A0`…`A3` headers and `86`/`87`/`88` segments while a load is
    /// under way) go to the download session instead.
    fn dispatch<P: Platform>(&mut self, der: &[u8], selection: Selection, ctx: &mut Ctx<'_, P>) -> Result<Vec<u8>> {
        // The download session records the selection it runs in as a byte.
        let owner = selection;
        let loading = self.session.is_loading();
        // An interrupted load's PIR is still to be made (see `settle_pir`).
        let pending_pir = !loading && ctx.state.install.is_some();
        let bpp_piece = crate::asn1::outer_tag(der) == Some(0xBF36) || (loading && der.first() != Some(&0xBF));
        if bpp_piece {
            if pending_pir {
                // A new load would replace the install record: the old PIR must exist first.
                download::settle_interrupted(ctx, self.interrupted)?;
                self.interrupted = None;
            }
            let (session, answer) = core::mem::take(&mut self.session).load_bpp(der, ctx);
            self.session = session;
            return answer;
        }
        // The mirror functions (private-class `FF40` … `FF4F`, never a GSMA tag).
        if crate::asn1::outer_tag(der).is_some_and(crate::mirror::asn::is_mirror_tag) {
            if pending_pir {
                self.settle_pir(ctx);
            }
            return mirror::dispatch(der, &mut self.session, owner, ctx);
        }
        // RPM and Device Change are SGP.22 v3: a v2.5 card knows no BF44, BF4D or BF4B and
        // answers them as any unknown tag.
        if let Some(tag @ (0xBF44 | 0xBF4D | 0xBF4B)) = crate::asn1::outer_tag(der)
            && !ctx.config.sgp22.is_v3()
        {
            return Err(errors::decode_status(crate::asn1::DecodeError::UnknownTag(tag)));
        }
        let request = Es10Request::decode(der).map_err(errors::decode_status)?;
        // Delete and eUICCMemoryReset free space: on a full storage they must run before the
        // PIR (which needs space) is retried.
        let frees_space = matches!(request, Es10Request::DeleteProfile(_) | Es10Request::EuiccMemoryReset(_));
        if pending_pir && !frees_space {
            self.settle_pir(ctx);
        }
        let busy = es10c::Busy { cat: ctx.cat_busy, loading };
        let response = match request {
            Es10Request::GetEuiccConfiguredAddresses(r) => {
                Es10Response::GetEuiccConfiguredAddresses(es10a::get_euicc_configured_addresses(r, ctx))
            }
            Es10Request::SetDefaultDpAddress(r) => {
                Es10Response::SetDefaultDpAddress(es10a::set_default_dp_address(r, ctx)?)
            }
            Es10Request::GetEuiccInfo1(r) => Es10Response::GetEuiccInfo1(es10b::get_euicc_info1(r, ctx)),
            Es10Request::GetEuiccInfo2(r) => Es10Response::GetEuiccInfo2(es10b::get_euicc_info2(r, ctx)),
            Es10Request::GetEuiccChallenge(r) => {
                let (resp, challenge) = es10b::get_euicc_challenge(r, ctx);
                self.end_session();
                self.session = download::Session::challenged(challenge, owner);
                Es10Response::GetEuiccChallenge(resp)
            }
            Es10Request::AuthenticateServer(r) => {
                let (session, answer) = core::mem::take(&mut self.session).authenticate_server(r, ctx);
                self.session = session;
                Es10Response::AuthenticateServer(answer?)
            }
            Es10Request::PrepareDownload(r) => {
                let (session, answer) = core::mem::take(&mut self.session).prepare_download(r, ctx);
                self.session = session;
                Es10Response::PrepareDownload(answer?)
            }
            Es10Request::CancelSession(r) => {
                let (session, answer) = core::mem::take(&mut self.session).cancel_session(r, ctx);
                self.session = session;
                Es10Response::CancelSession(answer?)
            }
            Es10Request::GetRat(r) => Es10Response::GetRat(es10b::get_rat(r, ctx)),
            Es10Request::GetEid(r) => Es10Response::GetEid(es10c::get_eid(r, ctx)?),
            Es10Request::GetProfilesInfo(r) => Es10Response::GetProfilesInfo(es10c::get_profiles_info(r, ctx)),
            Es10Request::EnableProfile(r) => {
                let refresh = r.refresh_flag;
                let before = enabled_ports(ctx.state);
                let resp = es10c::enable_profile(r, ctx, busy)?;
                if refresh && resp.enable_result == crate::asn1::codes::EnableProfileResult::Ok.into() {
                    *ctx.refresh_requested |= changed_ports(&before, &enabled_ports(ctx.state));
                }
                Es10Response::EnableProfile(resp)
            }
            Es10Request::DisableProfile(r) => {
                let refresh = r.refresh_flag;
                let before = enabled_ports(ctx.state);
                let resp = es10c::disable_profile(r, ctx, busy)?;
                if refresh && resp.disable_result == crate::asn1::codes::DisableProfileResult::Ok.into() {
                    *ctx.refresh_requested |= changed_ports(&before, &enabled_ports(ctx.state));
                }
                Es10Response::DisableProfile(resp)
            }
            Es10Request::DeleteProfile(r) => Es10Response::DeleteProfile(es10c::delete_profile(r, ctx, busy)?),
            Es10Request::SetNickname(r) => Es10Response::SetNickname(es10c::set_nickname(r, ctx)?),
            Es10Request::EuiccMemoryReset(r) => {
                Es10Response::EuiccMemoryReset(es10c::euicc_memory_reset(r, ctx, busy)?)
            }
            Es10Request::ListNotification(r) => Es10Response::ListNotification(es10b::list_notification(r, ctx)),
            Es10Request::RetrieveNotificationsList(r) => {
                Es10Response::RetrieveNotificationsList(es10b::retrieve_notifications_list(r, ctx)?)
            }
            Es10Request::LoadRpmPackage(r) => {
                let (session, answer) = rpm::load_rpm_package(core::mem::take(&mut self.session), r, ctx, busy);
                self.session = session;
                Es10Response::LoadRpmPackage(answer?)
            }
            Es10Request::PrepareDeviceChange(r) => {
                let session = core::mem::take(&mut self.session);
                let (session, prepared, answer) = device_change::prepare_device_change(session, r, ctx);
                self.session = session;
                if prepared.is_some() {
                    self.device_change = prepared;
                }
                Es10Response::PrepareDeviceChange(answer?)
            }
            Es10Request::VerifyDeviceChange(r) => {
                let (prepared, answer) = device_change::verify_device_change(self.device_change.take(), r, ctx, busy);
                self.device_change = prepared;
                Es10Response::VerifyDeviceChange(answer?)
            }
            Es10Request::RemoveNotificationFromList(r) => {
                Es10Response::RemoveNotificationFromList(es10b::remove_notification_from_list(r, ctx)?)
            }
        };
        if pending_pir && frees_space {
            self.settle_pir(ctx);
        }
        response.encode().map_err(|_| Status::Unknown)
    }

    /// Tries to commit the PIR of an interrupted load (`installFailedDueToInterruption`).
    /// Best effort: when storage cannot take it (full, failing) the command still runs —
    /// read-only ones answer, Delete and eUICCMemoryReset can free space — and the PIR is
    /// retried before the next command. The interrupted command is forgotten only once
    /// its PIR is committed.
    fn settle_pir<P: Platform>(&mut self, ctx: &mut Ctx<'_, P>) {
        if download::settle_interrupted(ctx, self.interrupted).is_ok() {
            self.interrupted = None;
        }
    }
}

/// The profile (its slot) enabled on each eSIM port, bit-indexed by port below 32.
fn enabled_ports(state: &crate::store::CardState) -> [Option<u8>; 32] {
    let mut ports = [None; 32];
    for p in &state.profiles {
        if let Some(slot) = p.enabled_on().and_then(|port| ports.get_mut(usize::from(port.0))) {
            *slot = Some(p.slot());
        }
    }
    ports
}

/// Bit n set: eSIM port n has another enabled profile (or none) after the command — the
/// ports whose SIM a refresh must reach.
fn changed_ports(before: &[Option<u8>; 32], after: &[Option<u8>; 32]) -> u32 {
    before.iter().zip(after).enumerate().filter(|(_, (b, a))| b != a).fold(0, |bits, (n, _)| bits | 1 << n)
}
