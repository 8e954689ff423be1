//! `veuicc sim ls [PATH] --state DIR`, `veuicc sim cat PATH --state DIR [--raw]` and
//! `veuicc sim auth --state DIR RAND AUTN`: the SIM of the enabled profile, browsed with real
//! APDUs on the basic channel (SELECT, READ BINARY, READ RECORD, AUTHENTICATE).
//!
//! ISO 7816 has no "list directory" command: `ls` takes the FIDs a DF holds from the profile
//! package the card stores, then SELECTs each and shows what the card's FCP says.
//!
//! PATH: FIDs separated by `/` (case-insensitive hex), from the MF (a leading `3F00` is
//! optional); a leading `7FFF` or `ADF.USIM` is the USIM of EF.DIR's first USIM record,
//! `ADF.ISIM` the first ISIM, `ADF.<AID hex>` the ADF with that AID (or AID prefix).
//!
//! Exit 0 on success, 1 when the card refuses or lacks what was asked (the message names
//! it), 2 for bad arguments or an unusable state directory.

use crate::common::{AnyCard, IdentityArgs, hex, unhex};
use crate::state::iccid;
use std::path::PathBuf;
use std::process::ExitCode;
use veuicc::Card;
use veuicc::platform::Platform;
use veuicc::saip::profile::{FileKind, Profile, display_name};
use veuicc::store::{Port, Store};

#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    #[command(subcommand)]
    command: Command,
}

/// The card: its state directory and identity flags.
#[derive(Debug, clap::Args)]
struct CardArgs {
    /// Directory holding the card's persistent state.
    #[arg(long, value_name = "DIR")]
    state: PathBuf,
    #[command(flatten)]
    identity: IdentityArgs,
    /// The eSIM port whose SIM to browse (a MEP card has one per port); default: the lowest
    /// port with an enabled profile.
    #[arg(long, value_name = "N")]
    port: Option<u8>,
}

#[derive(Debug, clap::Subcommand)]
enum Command {
    /// List the files of a DF or ADF (default the MF): FID, name, structure, size.
    Ls {
        /// The directory: `3F00`, `7F10`, `ADF.USIM`, `7FFF/5F3B`, …
        path: Option<String>,
        #[command(flatten)]
        card: CardArgs,
        /// PIN1 to VERIFY first (ASCII digits, 4–8), for files and AUTHENTICATE behind it.
        #[arg(long)]
        pin: Option<String>,
    },
    /// Read a file whole and print it in hex, with a decoded line for well-known files.
    Cat {
        /// The file: `2FE2`, `3F00/7FFF/6F07`, `ADF.USIM/6F07`, …
        path: String,
        /// Print the hex only (no decoded lines).
        #[arg(long)]
        raw: bool,
        #[command(flatten)]
        card: CardArgs,
        /// PIN1 to VERIFY first (ASCII digits, 4–8), for files and AUTHENTICATE behind it.
        #[arg(long)]
        pin: Option<String>,
    },
    /// Run AUTHENTICATE (3G context) on the USIM: print RES, CK, IK [, Kc], or the failure.
    Auth {
        #[command(flatten)]
        card: CardArgs,
        /// PIN1 to VERIFY first (ASCII digits, 4–8), for files and AUTHENTICATE behind it.
        #[arg(long)]
        pin: Option<String>,
        /// RAND, 16 bytes of hex.
        rand: String,
        /// AUTN, 16 bytes of hex.
        autn: String,
    },
}

/// The 3GPP USIM AID prefix (RID `A000000087`, application `1002`).
const USIM_PREFIX: [u8; 7] = [0xA0, 0x00, 0x00, 0x00, 0x87, 0x10, 0x02];
/// The 3GPP ISIM AID prefix (application `1004`).
const ISIM_PREFIX: [u8; 7] = [0xA0, 0x00, 0x00, 0x00, 0x87, 0x10, 0x04];

const SW_OK: u16 = 0x9000;

pub(crate) fn run(args: Args) -> Result<ExitCode, String> {
    // Arguments first (exit 2), then the card (exit 1 for what it refuses).
    let (card_args, pin, job) = match args.command {
        Command::Ls { path, card, pin } => (card, pin, Job::Ls(parse_path(path.as_deref().unwrap_or("3F00"))?)),
        Command::Cat { path, raw, card, pin } => (card, pin, Job::Cat(parse_path(&path)?, raw)),
        Command::Auth { card, rand, autn, pin } => {
            (card, pin, Job::Auth(sixteen("RAND", &rand)?, sixteen("AUTN", &autn)?))
        }
    };
    let pin = pin.map(|p| pin_block(&p)).transpose()?;
    if !card_args.state.is_dir() {
        return Err(format!("{}: no such state directory", card_args.state.display()));
    }
    let mut card = AnyCard::open(Some(&card_args.state), &card_args.identity)?;
    let result = match enabled_package(&mut card, card_args.port) {
        Err(e) => Err(e),
        Ok(None) => Err(match card_args.port {
            Some(port) => format!("no profile enabled on eSIM port {port}"),
            None => "no enabled profile".to_string(),
        }),
        Ok(Some((port, package))) => {
            let mut sim = Sim { card, port, profile: None, package };
            match pin.map(|p| sim.verify_pin1(&p)).transpose() {
                Err(e) => Err(e),
                Ok(_) => match job {
                    Job::Ls(path) => sim.ls(&path),
                    Job::Cat(path, raw) => sim.cat(&path, raw),
                    Job::Auth(rand, autn) => sim.auth(&rand, &autn),
                },
            }
        }
    };
    Ok(match result {
        Ok(code) => code,
        Err(e) => {
            errln!("veuicc: {e}");
            ExitCode::from(1)
        }
    })
}

enum Job {
    Ls(SimPath),
    Cat(SimPath, bool),
    Auth([u8; 16], [u8; 16]),
}

/// PIN1 as VERIFY sends it: the ASCII digits padded with `FF` to 8 bytes.
fn pin_block(pin: &str) -> Result<[u8; 8], String> {
    if !(4..=8).contains(&pin.len()) || !pin.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!("--pin {pin}: 4 to 8 digits"));
    }
    let mut block = [0xFF; 8];
    for (b, d) in block.iter_mut().zip(pin.bytes()) {
        *b = d;
    }
    Ok(block)
}

fn sixteen(what: &str, text: &str) -> Result<[u8; 16], String> {
    let bytes = unhex(text)?;
    <[u8; 16]>::try_from(bytes.as_slice()).map_err(|_| format!("{what} must be 16 bytes, not {}", bytes.len()))
}

/// The port and package of the profile enabled on `port` (default: the lowest port with one),
/// as the card stores it; `None` without one.
fn enabled_package(card: &mut AnyCard, port: Option<u8>) -> Result<Option<(u8, Vec<u8>)>, String> {
    match card {
        AnyCard::Dir(c) => package_of(c, port),
        AnyCard::Mem(c) => package_of(c, port),
    }
}

fn package_of<P: Platform>(card: &mut Card<P>, port: Option<u8>) -> Result<Option<(u8, Vec<u8>)>, String>
where
    <P::Storage as veuicc::platform::Storage>::Error: core::fmt::Display,
{
    let enabled = card
        .state()
        .profiles
        .iter()
        .filter_map(|p| Some((p.enabled_on()?, p)))
        .filter(|(Port(n), _)| port.is_none_or(|want| want == *n))
        .min_by_key(|(Port(n), _)| *n);
    let Some((Port(port), record)) = enabled else {
        return Ok(None);
    };
    let name = record.package_name();
    let (storage, _, _) = card.platform_mut().split();
    let store = Store::open(storage).map_err(|e| format!("reading the store: {e}"))?;
    store
        .get(&name)
        .map(|p| Some((port, p.to_vec())))
        .ok_or_else(|| format!("the enabled profile's package ({name}) is missing"))
}

// ---- paths ---------------------------------------------------------------------------

/// Where a path starts.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Root {
    /// The MF.
    Mf,
    /// An ADF, by AID or AID prefix (the first EF.DIR AID starting with it).
    Adf(Vec<u8>),
}

/// A parsed PATH.
#[derive(Debug, Clone, PartialEq, Eq)]
struct SimPath {
    root: Root,
    /// FIDs below the root.
    fids: Vec<u16>,
    /// As the user wrote it (for messages).
    text: String,
}

impl SimPath {
    fn child(&self, fid: u16) -> SimPath {
        let mut fids = self.fids.clone();
        fids.push(fid);
        SimPath { root: self.root.clone(), fids, text: format!("{}/{fid:04X}", self.text.trim_end_matches('/')) }
    }

    fn fid_bytes(&self) -> Vec<u8> {
        self.fids.iter().flat_map(|f| f.to_be_bytes()).collect()
    }
}

fn parse_path(text: &str) -> Result<SimPath, String> {
    let bad = |why: &str| format!("{text:?}: {why} (e.g. 3F00/7FFF/6F07, ADF.USIM/6F07, 2FE2)");
    let mut parts = text.split('/').filter(|p| !p.is_empty()).peekable();
    if parts.peek().is_some_and(|p| p.eq_ignore_ascii_case("3F00")) {
        parts.next();
    }
    let mut root = Root::Mf;
    if let Some(first) = parts.peek() {
        let upper = first.to_ascii_uppercase();
        if upper == "7FFF" || upper == "ADF.USIM" {
            root = Root::Adf(USIM_PREFIX.to_vec());
        } else if upper == "ADF.ISIM" {
            root = Root::Adf(ISIM_PREFIX.to_vec());
        } else if let Some(aid) = upper.strip_prefix("ADF.") {
            let aid = unhex(aid).map_err(|_| bad("ADF.USIM, ADF.ISIM or ADF.<AID hex>"))?;
            if !(5..=16).contains(&aid.len()) {
                return Err(bad("an AID is 5 to 16 bytes"));
            }
            root = Root::Adf(aid);
        }
        if root != Root::Mf {
            parts.next();
        }
    }
    let mut fids = Vec::new();
    for part in parts {
        if part.len() != 4 {
            return Err(bad(&format!("{part:?} is not a file ID of 4 hex digits")));
        }
        let fid = u16::from_str_radix(part, 16).map_err(|_| bad(&format!("{part:?} is not hex")))?;
        if matches!(fid, 0x3F00 | 0x7FFF) {
            return Err(bad(&format!("{part} only starts a path")));
        }
        fids.push(fid);
    }
    Ok(SimPath { root, fids, text: text.to_string() })
}

// ---- FCP -----------------------------------------------------------------------------

/// Splits BER-TLV objects (`asn1::tlv::first_tlv`); stops at padding (`00`/`FF`) or at the
/// first malformed one.
fn tlvs(mut data: &[u8]) -> Vec<(u32, &[u8])> {
    let mut out = Vec::new();
    while data.first().is_some_and(|b| !matches!(b, 0x00 | 0xFF)) {
        let Some((tag, value, size)) = veuicc::asn1::tlv::first_tlv(data) else { break };
        out.push((tag, value));
        data = data.get(size..).unwrap_or_default();
    }
    out
}

/// What `ls` and `cat` need of an FCP (TS 102 221 §11.1.1.3).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Fcp {
    /// File descriptor byte (tag `82`, first byte).
    fdb: u8,
    /// Record length and number of records (tag `82`, bytes 3–5), for record EFs.
    records: Option<(u16, u8)>,
    /// File size (tag `80`).
    size: Option<usize>,
    /// DF name (tag `84`), for an ADF.
    aid: Option<Vec<u8>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Structure {
    Transparent,
    LinearFixed,
    Cyclic,
    BerTlv,
    Df,
    Adf,
    Unknown,
}

impl Fcp {
    fn parse(response: &[u8]) -> Option<Fcp> {
        let (_, body) = tlvs(response).into_iter().find(|(t, _)| *t == 0x62)?;
        let mut fcp = Fcp::default();
        for (tag, value) in tlvs(body) {
            match tag {
                0x82 => {
                    fcp.fdb = *value.first()?;
                    if let [_, _, a, b, n, ..] = value {
                        fcp.records = Some((u16::from_be_bytes([*a, *b]), *n));
                    } else if let [_, _, a, n] = value {
                        fcp.records = Some((u16::from(*a), *n));
                    }
                }
                0x80 => fcp.size = Some(value.iter().fold(0usize, |acc, b| (acc << 8) | usize::from(*b))),
                0x84 => fcp.aid = Some(value.to_vec()),
                _ => {}
            }
        }
        Some(fcp)
    }

    fn structure(&self) -> Structure {
        // b7 is the shareable bit.
        match self.fdb & 0xBF {
            0x38 if self.aid.is_some() => Structure::Adf,
            0x38 => Structure::Df,
            0x39 => Structure::BerTlv,
            f => match f & 0x87 {
                0x01 => Structure::Transparent,
                0x02 => Structure::LinearFixed,
                0x06 => Structure::Cyclic,
                _ => Structure::Unknown,
            },
        }
    }

    fn is_dir(&self) -> bool {
        matches!(self.structure(), Structure::Df | Structure::Adf)
    }

    /// Structure and size, for `ls`.
    fn describe(&self) -> (&'static str, String) {
        let records = || match self.records {
            Some((len, n)) => format!("{len} × {n}"),
            None => String::new(),
        };
        let bytes = || self.size.map(|s| format!("{s} byte{}", if s == 1 { "" } else { "s" })).unwrap_or_default();
        match self.structure() {
            Structure::Transparent => ("transparent", bytes()),
            Structure::LinearFixed => ("linear fixed", records()),
            Structure::Cyclic => ("cyclic", records()),
            Structure::BerTlv => ("BER-TLV", bytes()),
            Structure::Df => ("DF", String::new()),
            Structure::Adf => ("ADF", String::new()),
            Structure::Unknown => ("unknown", format!("FDB {:02X}", self.fdb)),
        }
    }
}

// ---- the card ------------------------------------------------------------------------

struct Sim {
    card: AnyCard,
    /// The eSIM port the SIM is on.
    port: u8,
    /// The package of the enabled profile, and it decoded (at the first `ls`).
    package: Vec<u8>,
    profile: Option<Profile>,
}

/// One selected file.
struct Selected {
    fcp: Fcp,
    /// The ADF the path went through (its full AID from the card's FCP).
    adf_aid: Option<Vec<u8>>,
}

impl Sim {
    /// Sends one command, following `61xx` (GET RESPONSE) and `6Cxx` (the right Le).
    fn exchange(&mut self, apdu: &[u8]) -> (Vec<u8>, u16) {
        let mut apdu = apdu.to_vec();
        let mut data = Vec::new();
        for _ in 0..64 {
            let r = self.card.transmit_on(self.port, &apdu);
            let (body, sw) = r.split_at(r.len().saturating_sub(2));
            let sw = match sw {
                [a, b] => u16::from_be_bytes([*a, *b]),
                _ => 0x6F00,
            };
            let [sw1, sw2] = sw.to_be_bytes();
            match sw1 {
                0x61 => {
                    data.extend_from_slice(body);
                    apdu = vec![0x00, 0xC0, 0x00, 0x00, sw2];
                }
                0x6C if apdu.len() > 4 => {
                    if let Some(le) = apdu.last_mut() {
                        *le = sw2;
                    }
                }
                _ => {
                    data.extend_from_slice(body);
                    return (data, sw);
                }
            }
        }
        (data, 0x6F00)
    }

    /// SELECT with P1 `p1`, asking for the FCP.
    fn select(&mut self, p1: u8, data: &[u8]) -> (Vec<u8>, u16) {
        let mut apdu = vec![0x00, 0xA4, p1, 0x04, u8::try_from(data.len()).unwrap_or(0xFF)];
        apdu.extend_from_slice(data);
        apdu.push(0x00);
        self.exchange(&apdu)
    }

    /// The records of an EF already selected, by READ RECORD (absolute).
    fn read_records(&mut self, what: &str, record_len: u16, count: u8) -> Result<Vec<Vec<u8>>, String> {
        let le = u8::try_from(record_len)
            .ok()
            .filter(|&l| l > 0)
            .ok_or_else(|| format!("{what}: record length {record_len} cannot be read"))?;
        let mut out = Vec::new();
        for n in 1..=count {
            let (data, sw) = self.exchange(&[0x00, 0xB2, n, 0x04, le]);
            if sw != SW_OK {
                return Err(format!("{what}: READ RECORD {n} answered {sw:04X}"));
            }
            out.push(data);
        }
        Ok(out)
    }

    /// The transparent EF already selected, `size` bytes by READ BINARY (255 at a time).
    fn read_binary(&mut self, what: &str, size: usize) -> Result<Vec<u8>, String> {
        let mut out = Vec::with_capacity(size);
        while out.len() < size {
            let offset = u16::try_from(out.len()).ok().filter(|&o| o <= 0x7FFF);
            let Some(offset) = offset else {
                return Err(format!("{what}: offset {} is beyond READ BINARY's reach", out.len()));
            };
            let le = u8::try_from((size - out.len()).min(255)).unwrap_or(255);
            let [hi, lo] = offset.to_be_bytes();
            let (data, sw) = self.exchange(&[0x00, 0xB0, hi, lo, le]);
            if sw != SW_OK {
                return Err(format!("{what}: READ BINARY at offset {offset} answered {sw:04X}"));
            }
            if data.is_empty() {
                break;
            }
            out.extend_from_slice(&data);
        }
        Ok(out)
    }

    /// EF.DIR's records by APDU: (AID, label) of each application template.
    fn ef_dir(&mut self) -> Result<Vec<(Vec<u8>, String)>, String> {
        let (fcp, sw) = self.select(0x08, &[0x2F, 0x00]);
        if sw != SW_OK {
            return Ok(Vec::new());
        }
        let Some((len, n)) = Fcp::parse(&fcp).and_then(|f| f.records) else { return Ok(Vec::new()) };
        let records = self.read_records("EF.DIR", len, n)?;
        Ok(records.iter().filter_map(|r| application(r)).collect())
    }

    /// The full AID of the ADF `prefix` names: the first EF.DIR AID starting with it, else
    /// `prefix` itself (the card matches partial AIDs).
    fn adf_aid(&mut self, prefix: &[u8]) -> Result<Vec<u8>, String> {
        let apps = self.ef_dir()?;
        Ok(apps.into_iter().map(|(aid, _)| aid).find(|aid| aid.starts_with(prefix)).unwrap_or_else(|| prefix.to_vec()))
    }

    /// SELECTs `path` by APDU: its FCP.
    fn select_path(&mut self, path: &SimPath) -> Result<Selected, String> {
        let refused = |sw: u16, what: &str| match sw {
            0x6A82 => format!("{}: not found ({what}6A82)", path.text),
            _ => format!("{}: SELECT {what}answered {sw:04X}", path.text),
        };
        let (response, adf_aid) = match &path.root {
            Root::Mf if path.fids.is_empty() => {
                let (r, sw) = self.select(0x00, &[0x3F, 0x00]);
                if sw != SW_OK {
                    return Err(refused(sw, ""));
                }
                (r, None)
            }
            Root::Mf => {
                let (r, sw) = self.select(0x08, &path.fid_bytes());
                if sw != SW_OK {
                    return Err(refused(sw, ""));
                }
                (r, None)
            }
            Root::Adf(prefix) => {
                let aid = self.adf_aid(prefix)?;
                let (r, sw) = self.select(0x04, &aid);
                if sw != SW_OK {
                    return Err(refused(sw, &format!("of the ADF {} ", hex(&aid))));
                }
                let full = Fcp::parse(&r).and_then(|f| f.aid).unwrap_or(aid);
                if path.fids.is_empty() {
                    (r, Some(full))
                } else {
                    let (r, sw) = self.select(0x09, &path.fid_bytes());
                    if sw != SW_OK {
                        return Err(refused(sw, ""));
                    }
                    (r, Some(full))
                }
            }
        };
        let fcp = Fcp::parse(&response)
            .ok_or_else(|| format!("{}: the card's FCP is malformed: {}", path.text, hex(&response)))?;
        Ok(Selected { fcp, adf_aid })
    }

    fn profile(&mut self) -> Result<&Profile, String> {
        if self.profile.is_none() {
            let p = veuicc::saip::decode_for(&self.package, veuicc::saip::Services(u32::MAX))
                .map_err(|e| format!("decoding the enabled profile's package: {e}"))?;
            self.profile = Some(p);
        }
        self.profile.as_ref().ok_or_else(|| "no profile".to_string())
    }

    fn ls(&mut self, path: &SimPath) -> Result<ExitCode, String> {
        let selected = self.select_path(path)?;
        if !selected.fcp.is_dir() {
            return Err(format!("{}: not a directory (use `veuicc sim cat {}`)", path.text, path.text));
        }
        let profile = self.profile()?;
        let node = node_of(profile, path, selected.adf_aid.as_deref()).ok_or_else(|| {
            format!("{}: the card selected it but the profile package does not describe it", path.text)
        })?;
        let children: Vec<(u16, String)> = profile
            .children(node)
            .filter_map(|c| profile.files.get(c))
            .filter(|f| f.kind != FileKind::Adf)
            .map(|f| (f.fid, display_name(f)))
            .collect();
        let adf_names: Vec<(Vec<u8>, String)> = profile
            .files
            .iter()
            .filter(|f| f.kind == FileKind::Adf)
            // An ADF's FID is the package's temporary one: without a template name, the label.
            .filter_map(|f| Some((f.aid.clone()?, String::from(f.name?))))
            .collect();
        for (fid, name) in children {
            let line = match self.select_path(&path.child(fid)) {
                Ok(s) => {
                    let (structure, size) = s.fcp.describe();
                    format!("{fid:04X}  {name:<16}  {structure:<12}  {size}")
                }
                Err(e) => format!("{fid:04X}  {name:<16}  ({e})"),
            };
            outln!("{}", line.trim_end());
        }
        if node == 0 {
            for (aid, label) in self.ef_dir()? {
                let name = adf_names.iter().find(|(a, _)| *a == aid).map_or_else(
                    || if label.is_empty() { "ADF".to_string() } else { label.clone() },
                    |(_, n)| n.clone(),
                );
                let (r, sw) = self.select(0x04, &aid);
                let what = match Fcp::parse(&r) {
                    Some(fcp) if sw == SW_OK => fcp.describe().0.to_string(),
                    _ => format!("(SELECT answered {sw:04X})"),
                };
                outln!("{}  {name:<16}  {what}", hex(&aid));
            }
        }
        Ok(ExitCode::SUCCESS)
    }

    fn cat(&mut self, path: &SimPath, raw: bool) -> Result<ExitCode, String> {
        let selected = self.select_path(path)?;
        let fcp = &selected.fcp;
        let fid = path.fids.last().copied();
        // Where the file sits, for the decoders: directly under the MF, or in an ADF.
        let under_mf = path.root == Root::Mf && path.fids.len() == 1;
        let in_adf = matches!(path.root, Root::Adf(_));
        match fcp.structure() {
            Structure::Transparent => {
                let size = fcp.size.ok_or_else(|| format!("{}: the FCP gives no file size", path.text))?;
                let data = self.read_binary(&path.text, size)?;
                outln!("{}", hex(&data));
                if !raw && let Some(line) = fid.and_then(|f| decode_transparent(f, under_mf, in_adf, &data)) {
                    outln!("{line}");
                }
            }
            Structure::LinearFixed | Structure::Cyclic => {
                let (len, n) = fcp.records.ok_or_else(|| format!("{}: the FCP gives no record size", path.text))?;
                let records = self.read_records(&path.text, len, n)?;
                for (i, record) in records.iter().enumerate() {
                    outln!("#{} {}", i + 1, hex(record));
                    if !raw && under_mf && fid == Some(0x2F00) {
                        outln!("   {}", describe_application(record));
                    }
                }
            }
            Structure::Df | Structure::Adf => {
                return Err(format!("{}: a directory (use `veuicc sim ls {}`)", path.text, path.text));
            }
            Structure::BerTlv => return Err(format!("{}: a BER-TLV EF, which `sim cat` does not read", path.text)),
            Structure::Unknown => {
                return Err(format!("{}: unknown file structure (FDB {:02X})", path.text, fcp.fdb));
            }
        }
        Ok(ExitCode::SUCCESS)
    }

    /// VERIFY PIN1 (`00 20 00 01`).
    fn verify_pin1(&mut self, pin: &[u8; 8]) -> Result<(), String> {
        let mut apdu = vec![0x00, 0x20, 0x00, 0x01, 0x08];
        apdu.extend_from_slice(pin);
        match self.exchange(&apdu).1 {
            SW_OK => Ok(()),
            sw @ 0x63C0..=0x63CF => Err(format!("PIN1 wrong: {} tries left ({sw:04X})", sw & 0x0F)),
            0x6983 => Err("PIN1 is blocked (6983)".to_string()),
            sw => Err(format!("VERIFY PIN1 answered {sw:04X}")),
        }
    }

    fn auth(&mut self, rand: &[u8; 16], autn: &[u8; 16]) -> Result<ExitCode, String> {
        let aid = self
            .ef_dir()?
            .into_iter()
            .map(|(aid, _)| aid)
            .find(|aid| aid.starts_with(&USIM_PREFIX))
            .ok_or_else(|| "EF.DIR lists no USIM".to_string())?;
        let (_, sw) = self.select(0x04, &aid);
        if sw != SW_OK {
            return Err(format!("SELECT of the USIM {} answered {sw:04X}", hex(&aid)));
        }
        let mut apdu = vec![0x00, 0x88, 0x00, 0x81, 0x22, 0x10];
        apdu.extend_from_slice(rand);
        apdu.push(0x10);
        apdu.extend_from_slice(autn);
        apdu.push(0x00);
        let (data, sw) = self.exchange(&apdu);
        match parse_auth(&data, sw) {
            Auth::Success { res, ck, ik, kc } => {
                let kc = kc.map(|kc| format!(" Kc={}", hex(&kc))).unwrap_or_default();
                outln!("RES={} CK={} IK={}{kc}", hex(&res), hex(&ck), hex(&ik));
                Ok(ExitCode::SUCCESS)
            }
            Auth::SyncFailure { auts } => {
                outln!("sync failure AUTS={}", hex(&auts));
                Ok(ExitCode::from(1))
            }
            Auth::MacFailure => Err("MAC failure (9862)".to_string()),
            Auth::Status(0x6982) => Err("AUTHENTICATE needs PIN1 (6982): pass --pin".to_string()),
            Auth::NotSupported => Err("the card does not support AUTHENTICATE (6D00)".to_string()),
            Auth::Status(sw) => Err(format!("AUTHENTICATE answered {sw:04X}")),
            Auth::Malformed(why) => Err(format!("AUTHENTICATE: malformed response ({why}): {}", hex(&data))),
        }
    }
}

/// The node `path` names in the profile (the ADF by the AID the card reported).
fn node_of(profile: &Profile, path: &SimPath, adf_aid: Option<&[u8]>) -> Option<usize> {
    let mut at = match path.root {
        Root::Mf => 0,
        Root::Adf(_) => profile.adf_by_aid(adf_aid?)?,
    };
    for &fid in &path.fids {
        at = profile
            .children(at)
            .find(|&c| profile.files.get(c).is_some_and(|f| f.fid == fid && f.kind != FileKind::Adf))?;
    }
    Some(at)
}

// ---- decoders ------------------------------------------------------------------------

/// An EF.DIR record: `61 { 4F AID, 50 label, … }` → (AID, label).
fn application(record: &[u8]) -> Option<(Vec<u8>, String)> {
    let (_, body) = tlvs(record).into_iter().find(|(t, _)| *t == 0x61)?;
    let fields = tlvs(body);
    let aid = fields.iter().find(|(t, _)| *t == 0x4F)?.1.to_vec();
    let label = fields.iter().find(|(t, _)| *t == 0x50).map(|(_, l)| String::from_utf8_lossy(l).into_owned());
    Some((aid, label.unwrap_or_default()))
}

fn describe_application(record: &[u8]) -> String {
    match application(record) {
        Some((aid, label)) => format!("AID={} label={label:?}", hex(&aid)),
        None if record.iter().all(|&b| b == 0xFF) => "(empty)".to_string(),
        None => "(not an application template)".to_string(),
    }
}

/// The decoded line of a well-known transparent EF.
fn decode_transparent(fid: u16, under_mf: bool, in_adf: bool, data: &[u8]) -> Option<String> {
    match fid {
        0x2FE2 if under_mf => Some(format!("ICCID {}", iccid(data))),
        0x6F07 => imsi(data).map(|i| format!("IMSI {i}")),
        0x6FAD => ad(data),
        0x6F38 if in_adf => {
            Some(format!("UST services {}", ust(data).iter().map(u32::to_string).collect::<Vec<_>>().join(" ")))
        }
        0x6F46 => spn(data),
        _ => None,
    }
}

/// EF.IMSI (TS 31.102 §4.2.2): length, then digit 1 with the parity nibble, then digits
/// low nibble first; `F` fills.
fn imsi(data: &[u8]) -> Option<String> {
    let (&len, rest) = data.split_first()?;
    let bytes = rest.get(..usize::from(len))?;
    let mut digits = String::new();
    for (i, b) in bytes.iter().enumerate() {
        let nibbles = if i == 0 { vec![b >> 4] } else { vec![b & 0x0F, b >> 4] };
        for n in nibbles {
            match n {
                0..=9 => digits.push(char::from(b'0' + n)),
                0x0F => {}
                _ => return None,
            }
        }
    }
    (!digits.is_empty()).then_some(digits)
}

/// EF.AD (TS 31.102 §4.2.18): UE operation mode, MNC length (byte 4, low nibble).
fn ad(data: &[u8]) -> Option<String> {
    let mode = *data.first()?;
    let mode_name = match mode {
        0x00 => "normal",
        0x80 => "type approval",
        0x01 => "normal + specific facilities",
        0x81 => "type approval + specific facilities",
        0x02 => "maintenance (off line)",
        0x04 => "cell test",
        _ => "unknown",
    };
    let mnc = data.get(3).map_or_else(|| "not given".to_string(), |b| (b & 0x0F).to_string());
    Some(format!("UE operation mode {mode:02X} ({mode_name}), MNC length {mnc}"))
}

/// EF.UST: the services available (bit b of byte n, from 0, is service 8n + b + 1).
fn ust(data: &[u8]) -> Vec<u32> {
    let mut out = Vec::new();
    for (n, byte) in (0u32..).zip(data) {
        for b in 0..8 {
            if byte & (1 << b) != 0 {
                out.push(8 * n + b + 1);
            }
        }
    }
    out
}

/// The GSM 7-bit default alphabet (TS 23.038 §6.2.1), `0x1B` (the escape) as a space.
const GSM_DEFAULT: &str = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\u{a0}ÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?\
¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";

/// An alpha field (TS 31.102 Annex A / TS 102 221 Annex A): GSM default alphabet, one
/// character a byte, `FF` padding; or UCS2 (`80`, big-endian pairs; `81`/`82` with a base).
fn alpha(field: &[u8]) -> String {
    match field.split_first() {
        Some((0x80, rest)) => {
            let units: Vec<u16> = rest
                .chunks_exact(2)
                .map(|p| p.iter().fold(0u16, |acc, b| (acc << 8) | u16::from(*b)))
                .take_while(|&u| u != 0xFFFF)
                .collect();
            String::from_utf16_lossy(&units)
        }
        Some((&tag @ (0x81 | 0x82), rest)) => {
            let (n, base, chars) = if tag == 0x81 {
                let [n, b, chars @ ..] = rest else { return String::new() };
                (usize::from(*n), u32::from(*b) << 7, chars)
            } else {
                let [n, b1, b2, chars @ ..] = rest else { return String::new() };
                (usize::from(*n), u32::from(u16::from_be_bytes([*b1, *b2])), chars)
            };
            chars
                .iter()
                .take(n)
                .map(|&c| {
                    if c & 0x80 != 0 { char::from_u32(base + u32::from(c & 0x7F)).unwrap_or('?') } else { gsm_char(c) }
                })
                .collect()
        }
        _ => field.iter().take_while(|&&b| b != 0xFF).map(|&b| gsm_char(b)).collect(),
    }
}

fn gsm_char(b: u8) -> char {
    GSM_DEFAULT.chars().nth(usize::from(b & 0x7F)).unwrap_or('?')
}

/// EF.SPN (TS 31.102 §4.2.12): display condition, then the name (16 bytes).
fn spn(data: &[u8]) -> Option<String> {
    let (&condition, name) = data.split_first()?;
    Some(format!("SPN {:?}, display condition {condition:02X}", alpha(name)))
}

/// An AUTHENTICATE answer (TS 31.102 §7.1.2, TS 102 221 §11.1.16).
#[derive(Debug, PartialEq, Eq)]
enum Auth {
    /// `DB L RES L CK L IK [L Kc]`.
    Success { res: Vec<u8>, ck: Vec<u8>, ik: Vec<u8>, kc: Option<Vec<u8>> },
    /// `DC L AUTS`.
    SyncFailure { auts: Vec<u8> },
    /// `9862`.
    MacFailure,
    /// `6D00`.
    NotSupported,
    /// Any other status word.
    Status(u16),
    /// `9000` with data this parser does not understand.
    Malformed(&'static str),
}

fn parse_auth(data: &[u8], sw: u16) -> Auth {
    match sw {
        SW_OK => {}
        0x9862 => return Auth::MacFailure,
        0x6D00 => return Auth::NotSupported,
        sw => return Auth::Status(sw),
    }
    /// Splits `L value` off `data`.
    fn lv(data: &[u8]) -> Option<(&[u8], &[u8])> {
        let (&len, rest) = data.split_first()?;
        Some((rest.get(..usize::from(len))?, rest.get(usize::from(len)..)?))
    }
    match data.split_first() {
        Some((0xDB, rest)) => {
            let Some((res, rest)) = lv(rest) else { return Auth::Malformed("RES") };
            let Some((ck, rest)) = lv(rest) else { return Auth::Malformed("CK") };
            let Some((ik, rest)) = lv(rest) else { return Auth::Malformed("IK") };
            let kc = match lv(rest) {
                _ if rest.is_empty() => None,
                Some((kc, [])) => Some(kc.to_vec()),
                _ => return Auth::Malformed("Kc"),
            };
            if !(4..=16).contains(&res.len()) || ck.len() != 16 || ik.len() != 16 {
                return Auth::Malformed("lengths");
            }
            Auth::Success { res: res.to_vec(), ck: ck.to_vec(), ik: ik.to_vec(), kc }
        }
        Some((0xDC, rest)) => match lv(rest) {
            Some((auts, [])) if auts.len() == 14 => Auth::SyncFailure { auts: auts.to_vec() },
            _ => Auth::Malformed("AUTS"),
        },
        Some(_) => Auth::Malformed("unknown tag"),
        None => Auth::Malformed("empty"),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;
    use crate::common::unhex;

    fn h(s: &str) -> Vec<u8> {
        unhex(s).unwrap()
    }

    #[test]
    fn auth_success_with_and_without_kc() {
        let res = "0102030405060708";
        let ck = "11".repeat(16);
        let ik = "22".repeat(16);
        let kc = "3333333333333333";
        let data = h(&format!("DB 08 {res} 10 {ck} 10 {ik} 08 {kc}"));
        assert_eq!(parse_auth(&data, 0x9000), Auth::Success { res: h(res), ck: h(&ck), ik: h(&ik), kc: Some(h(kc)) });
        let data = h(&format!("DB 04 01020304 10 {ck} 10 {ik}"));
        assert_eq!(parse_auth(&data, 0x9000), Auth::Success { res: h("01020304"), ck: h(&ck), ik: h(&ik), kc: None });
    }

    #[test]
    fn auth_failures() {
        let auts = "AA".repeat(14);
        assert_eq!(parse_auth(&h(&format!("DC 0E {auts}")), 0x9000), Auth::SyncFailure { auts: h(&auts) });
        assert_eq!(parse_auth(&[], 0x9862), Auth::MacFailure);
        assert_eq!(parse_auth(&[], 0x6D00), Auth::NotSupported);
        assert_eq!(parse_auth(&[], 0x6982), Auth::Status(0x6982));
        assert_eq!(parse_auth(&h("DC 0D 00"), 0x9000), Auth::Malformed("AUTS"));
        assert_eq!(parse_auth(&h("DB 08 0102"), 0x9000), Auth::Malformed("RES"));
        assert_eq!(
            parse_auth(
                &h(&format!("DB 08 0102030405060708 10 {} 10 {} 08 00", "11".repeat(16), "22".repeat(16))),
                0x9000
            ),
            Auth::Malformed("Kc")
        );
        assert_eq!(parse_auth(&h("77 00"), 0x9000), Auth::Malformed("unknown tag"));
        assert_eq!(parse_auth(&[], 0x9000), Auth::Malformed("empty"));
    }

    #[test]
    fn paths() {
        let p = parse_path("3f00/7fff/6f07").unwrap();
        assert_eq!((p.root, p.fids), (Root::Adf(USIM_PREFIX.to_vec()), vec![0x6F07]));
        let p = parse_path("ADF.usim/6F07").unwrap();
        assert_eq!((p.root, p.fids), (Root::Adf(USIM_PREFIX.to_vec()), vec![0x6F07]));
        let p = parse_path("7F10/5F3A/4F30").unwrap();
        assert_eq!((p.root, p.fids), (Root::Mf, vec![0x7F10, 0x5F3A, 0x4F30]));
        let p = parse_path("3F00").unwrap();
        assert_eq!((p.root, p.fids), (Root::Mf, vec![]));
        let p = parse_path("ADF.A0000000871004").unwrap();
        assert_eq!(p.root, Root::Adf(h("A0000000871004")));
        assert!(parse_path("6F0").is_err());
        assert!(parse_path("6FXX").is_err());
        assert!(parse_path("2FE2/3F00").is_err());
        assert!(parse_path("ADF.01").is_err());
    }

    #[test]
    fn fcp_parsing() {
        // A linear fixed EF, shareable, 2 records of 34 bytes.
        let fcp = Fcp::parse(&h("6219 8205 4221002202 83026F40 8A0105 8B036F0602 800200448800")).unwrap();
        assert_eq!(fcp.structure(), Structure::LinearFixed);
        assert_eq!(fcp.describe(), ("linear fixed", "34 × 2".to_string()));
        let fcp = Fcp::parse(&h("6214 82024121 83022FE2 8A0105 8B032F0603 8002000A")).unwrap();
        assert_eq!(fcp.describe(), ("transparent", "10 bytes".to_string()));
        let fcp = Fcp::parse(&h("6211 82027821 83027FFF 8407A0000000871002")).unwrap();
        assert_eq!(fcp.structure(), Structure::Adf);
        let fcp = Fcp::parse(&h("6208 82027821 83023F00")).unwrap();
        assert_eq!(fcp.structure(), Structure::Df);
        let fcp = Fcp::parse(&h("6207 8205 4621000A05")).unwrap();
        assert_eq!(fcp.describe(), ("cyclic", "10 × 5".to_string()));
        assert_eq!(Fcp::parse(&h("6F00")), None);
    }

    #[test]
    fn decoders() {
        assert_eq!(imsi(&h("080910101032540636")).as_deref(), Some("001010123456063"));
        assert_eq!(imsi(&h("0801101010325406F6")).as_deref(), Some("00101012345606"));
        assert_eq!(iccid(&h("98001032547698103214")), "89000123456789012341");
        assert_eq!(iccid(&h("980010325476981032F4")), "8900012345678901234");
        assert_eq!(ad(&h("80000002")).as_deref(), Some("UE operation mode 80 (type approval), MNC length 2"));
        assert_eq!(ust(&h("0A 80")), vec![2, 4, 16]);
        assert_eq!(GSM_DEFAULT.chars().count(), 128);
        assert_eq!(
            spn(&h("01 766575696363 FFFFFFFFFFFFFFFFFFFF")).as_deref(),
            Some("SPN \"veuicc\", display condition 01")
        );
        assert_eq!(alpha(&h("00 11 40 FF")), "@_¡");
        assert_eq!(alpha(&h("80 00410042 FFFF")), "AB");
        // Base 0x0400 (08 << 7): 81 is U+0401.
        assert_eq!(alpha(&h("81 02 08 41 81")), "A\u{401}");
        let rec = h("61 0F 4F 07 A0000000871002 50 04 5553494D FFFF");
        assert_eq!(describe_application(&rec), "AID=A0000000871002 label=\"USIM\"");
        assert_eq!(describe_application(&[0xFF; 8]), "(empty)");
    }
}
