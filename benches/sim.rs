//! The enabled profile's SIM, in process: file access and AUTHENTICATE against baselines
//! measured in the same run.
//!
//! Run: `cargo bench --bench sim`. The card holds the test kit's package
//! (`testkit::saip::TestProfile`, Milenage with K = 00…0F, OPc = 0) enabled, as
//! `tests/sim_fs.rs` builds it; after reset PIN1 is verified and ADF.USIM selected by the AID
//! EF.DIR lists.
//!
//! * `select+read`: SELECT EF.IMSI (no FCP) + READ BINARY 9 against the baseline of one bare
//!   APDU through the card (GET RESPONSE with nothing pending). Goal: ratio ≤ 3.
//! * `authenticate`: AUTHENTICATE 3G (a fresh SQN per call, its AUTN made outside the timed
//!   part) against the crypto floor, MILENAGE f1 + f2345 on the same RAND. Goal: ratio ≤ 1.5.
//!   Each accepted SQN is committed to the (in-memory) store; the same AUTHENTICATE with a
//!   wrong MAC (same crypto, no SQN check, nothing committed) splits the cost into
//!   crypto, APDU handling and commit.
//!
//! At the end each group's ratio is measured again, interleaved (so other load on the
//! machine hits both sides alike), and printed with its goal.
#![allow(
    missing_docs,
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::std_instead_of_core,
    clippy::std_instead_of_alloc,
    clippy::cast_possible_truncation,
    clippy::cast_precision_loss
)]

use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use std::hint::black_box;
use std::time::{Duration, Instant};
use veuicc::crypto::RUST_CRYPTO;
use veuicc::sim::milenage::Milenage;
use veuicc::testkit::TestCard;
use veuicc::testkit::saip::{TestProfile, encode_imsi};

const SELECT_IMSI: [u8; 7] = [0x00, 0xA4, 0x00, 0x0C, 0x02, 0x6F, 0x07];
const READ_IMSI: [u8; 5] = [0x00, 0xB0, 0x00, 0x00, 0x09];
const GET_RESPONSE: [u8; 5] = [0x00, 0xC0, 0x00, 0x00, 0x00];
const AMF: [u8; 2] = [0x80, 0x00];
/// RAND of every AUTHENTICATE (the SQN makes each call fresh).
const RAND: [u8; 16] = [0x23, 0x55, 0x3C, 0xBE, 0x96, 0x37, 0xA8, 0x9D, 0x21, 0x8A, 0xE6, 0x4D, 0xAE, 0x47, 0xBF, 0x35];

fn hex(s: &str) -> Vec<u8> {
    let s: String = s.chars().filter(|c| !c.is_whitespace()).collect();
    (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap()).collect()
}

fn sw(r: &[u8]) -> u16 {
    u16::from_be_bytes([r[r.len() - 2], r[r.len() - 1]])
}

/// A card holding `upp` in slot 1, enabled (`testkit::sim_card`).
fn sim_card(upp: Vec<u8>) -> TestCard {
    veuicc::testkit::sim_card(&[upp])
}

/// The card after a modem's first steps: reset, PIN1 verified, ADF.USIM selected by the AID
/// of EF.DIR record 1.
fn started_card() -> TestCard {
    let upp = TestProfile::new(hex("98001032547698103214").try_into().unwrap()).to_der();
    let mut card = sim_card(upp);
    card.reset();
    assert_eq!(sw(&card.transmit(&hex("0020000108 30303030FFFFFFFF"))), 0x9000, "VERIFY PIN1");
    assert_eq!(sw(&card.transmit(&hex("00A4000C022F00"))), 0x9000, "SELECT EF.DIR");
    let rec = card.transmit(&hex("00B2010400"));
    assert_eq!(sw(&rec), 0x9000, "READ RECORD 1");
    let aid = rec[4..4 + usize::from(rec[3])].to_vec();
    let mut select = vec![0x00, 0xA4, 0x04, 0x0C, aid.len() as u8];
    select.extend_from_slice(&aid);
    assert_eq!(sw(&card.transmit(&select)), 0x9000, "SELECT ADF.USIM");
    card
}

/// The test kit's MILENAGE keys.
fn milenage() -> Milenage {
    let p = TestProfile::new([0; 10]);
    Milenage::new(p.k, p.opc)
}

/// AUTHENTICATE 3G APDUs with increasing SQNs: SEQ steps by 1 per call (within the Δ of
/// 2^28), IND cycles through 0…31.
struct Vectors {
    m: Milenage,
    ak: [u8; 6],
    seq: u64,
}

impl Vectors {
    fn new() -> Vectors {
        let m = milenage();
        let ak = m.f2345(&RUST_CRYPTO, &RAND).ak;
        Vectors { m, ak, seq: 0 }
    }

    /// The SQN of the next call, big-endian.
    fn next_sqn(&mut self) -> [u8; 6] {
        self.seq += 1;
        let sqn = (self.seq << 5) | (self.seq & 0x1F);
        sqn.to_be_bytes()[2..].try_into().unwrap()
    }

    /// The next AUTHENTICATE (`00 88 00 81 22 10 RAND 10 AUTN 00`).
    fn next(&mut self) -> Vec<u8> {
        let sqn = self.next_sqn();
        let (mac, _) = self.m.f1(&RUST_CRYPTO, &RAND, &sqn, &AMF);
        let mut apdu = hex("0088008122 10");
        apdu.extend_from_slice(&RAND);
        apdu.push(0x10);
        apdu.extend(sqn.iter().zip(&self.ak).map(|(s, a)| s ^ a));
        apdu.extend_from_slice(&AMF);
        apdu.extend_from_slice(&mac);
        apdu.push(0x00);
        apdu
    }
}

/// The crypto the card cannot avoid for one AUTHENTICATE: f2345 (AK, RES, CK, IK) and f1 (XMAC).
fn floor(m: &Milenage, sqn: &[u8; 6]) {
    black_box(m.f2345(&RUST_CRYPTO, black_box(&RAND)));
    black_box(m.f1(&RUST_CRYPTO, black_box(&RAND), black_box(sqn), &AMF));
}

/// Mean time per call of `f`, `n` calls.
fn mean(n: u32, mut f: impl FnMut()) -> Duration {
    let t = Instant::now();
    for _ in 0..n {
        f();
    }
    t.elapsed() / n
}

fn ns(d: Duration) -> f64 {
    d.as_secs_f64() * 1e9
}

/// Prints `what`'s ratio to its baseline against `goal`.
fn report(what: &str, measured: Duration, baseline: Duration, goal: f64) -> f64 {
    let ratio = ns(measured) / ns(baseline);
    let verdict = if ratio <= goal { "ok" } else { "ABOVE GOAL" };
    eprintln!(
        "sim: {what}: {:.0} ns, baseline {:.0} ns, ratio {ratio:.2} (goal ≤ {goal}: {verdict})",
        ns(measured),
        ns(baseline)
    );
    ratio
}

fn select_read(card: &mut TestCard) {
    let r = card.transmit(black_box(&SELECT_IMSI));
    debug_assert_eq!(r, [0x90, 0x00]);
    black_box(card.transmit(black_box(&READ_IMSI)));
}

fn get_response(card: &mut TestCard) {
    black_box(card.transmit(black_box(&GET_RESPONSE)));
}

fn bench_select_read(c: &mut Criterion) {
    let mut card = started_card();
    // Setup check: the IMSI comes back; GET RESPONSE with nothing pending is refused.
    card.transmit(&SELECT_IMSI);
    let imsi = card.transmit(&READ_IMSI);
    let p = TestProfile::new([0; 10]);
    assert_eq!(imsi, [encode_imsi(&p.imsi), vec![0x90, 0x00]].concat(), "READ BINARY EF.IMSI");
    let gr = card.transmit(&GET_RESPONSE);
    eprintln!("sim: GET RESPONSE with nothing pending answers {:04X}", sw(&gr));

    let mut g = c.benchmark_group("select+read");
    g.bench_function("baseline: GET RESPONSE, nothing pending (1 APDU)", |b| b.iter(|| get_response(&mut card)));
    g.bench_function("SELECT 6F07 + READ BINARY 9 (2 APDUs)", |b| b.iter(|| select_read(&mut card)));
    g.finish();

    let (mut a, mut base) = (Duration::ZERO, Duration::ZERO);
    let rounds = 50;
    for _ in 0..rounds {
        a += mean(2000, || select_read(&mut card));
        base += mean(2000, || get_response(&mut card));
    }
    report("SELECT + READ BINARY / GET RESPONSE", a / rounds, base / rounds, 3.0);
    // Breakdown: each APDU alone (READ BINARY with EF.IMSI already current).
    let (mut select, mut read) = (Duration::ZERO, Duration::ZERO);
    for _ in 0..rounds {
        select += mean(2000, || drop(black_box(card.transmit(black_box(&SELECT_IMSI)))));
        read += mean(2000, || drop(black_box(card.transmit(black_box(&READ_IMSI)))));
    }
    eprintln!(
        "sim: select+read breakdown: SELECT 6F07 {:.0} ns, READ BINARY 9 {:.0} ns, GET RESPONSE {:.0} ns",
        ns(select / rounds),
        ns(read / rounds),
        ns(base / rounds)
    );
}

fn bench_authenticate(c: &mut Criterion) {
    let mut card = started_card();
    let mut v = Vectors::new();
    // Setup check: an accepted AUTHENTICATE answers DB 08 RES 10 CK 10 IK 08 Kc; a replay DC 0E AUTS.
    let first = v.next();
    let r = card.transmit(&first);
    assert_eq!(sw(&r), 0x9000, "AUTHENTICATE: {r:02X?}");
    assert_eq!(r[..2], [0xDB, 0x08], "AUTHENTICATE: {r:02X?}");
    let out = v.m.f2345(&RUST_CRYPTO, &RAND);
    assert_eq!(r[2..10], out.res);
    let replay = card.transmit(&first);
    assert_eq!(replay[..2], [0xDC, 0x0E], "a replayed AUTN: {replay:02X?}");
    // The same AUTHENTICATE with a wrong MAC: the crypto runs, nothing is accepted or committed.
    let mut bad_mac = v.next();
    bad_mac[5 + 1 + 16 + 1 + 15] ^= 0x01;
    assert_eq!(sw(&card.transmit(&bad_mac)), 0x9862, "AUTHENTICATE with a wrong MAC");

    let mut g = c.benchmark_group("authenticate");
    let m = milenage();
    let floor_sqn = v.next_sqn();
    g.bench_function("crypto floor: MILENAGE f2345 + f1", |b| b.iter(|| floor(&m, &floor_sqn)));
    g.bench_function("AUTHENTICATE 3G, MAC failure (crypto, no commit)", |b| {
        b.iter(|| black_box(card.transmit(black_box(&bad_mac))))
    });
    g.bench_function("AUTHENTICATE 3G, fresh SQN (SQN committed)", |b| {
        b.iter_batched(
            || v.next(),
            |apdu| {
                let r = card.transmit(&apdu);
                debug_assert_eq!(r[..2], [0xDB, 0x08]);
                r
            },
            BatchSize::SmallInput,
        )
    });
    g.finish();

    // Interleaved: the APDUs of each round are made before its timed part.
    let (mut ok, mut fail, mut base) = (Duration::ZERO, Duration::ZERO, Duration::ZERO);
    let (rounds, n) = (50u32, 500u32);
    for _ in 0..rounds {
        let apdus: Vec<Vec<u8>> = (0..n).map(|_| v.next()).collect();
        let t = Instant::now();
        for apdu in &apdus {
            black_box(card.transmit(apdu));
        }
        ok += t.elapsed() / n;
        assert_eq!(card.transmit(&apdus[0])[..2], [0xDC, 0x0E], "each AUTN of the round was accepted once");
        fail += mean(n, || drop(black_box(card.transmit(black_box(&bad_mac)))));
        let sqn = v.next_sqn();
        base += mean(n, || floor(&m, &sqn));
    }
    let (ok, fail, base) = (ok / rounds, fail / rounds, base / rounds);
    report("AUTHENTICATE / MILENAGE f1 + f2345", ok, base, 1.5);
    eprintln!(
        "sim: AUTHENTICATE breakdown: crypto {:.0} ns, APDU handling (MAC-failure path minus crypto) {:.0} ns, \
         SQN check + response + commit (success minus MAC failure) {:.0} ns",
        ns(base),
        ns(fail) - ns(base),
        ns(ok) - ns(fail)
    );
    // The commit alone, through another command that commits the same record: UPDATE BINARY
    // of EF.LOCI against READ BINARY of it (ADF.USIM stays the current application).
    assert_eq!(sw(&card.transmit(&hex("00A4000C026F7E"))), 0x9000, "SELECT EF.LOCI");
    let update = hex("00D600000B 1122334400F1100001FF00");
    let read = hex("00B000000B");
    assert_eq!(sw(&card.transmit(&update)), 0x9000, "UPDATE BINARY EF.LOCI");
    let (mut up, mut rd) = (Duration::ZERO, Duration::ZERO);
    for _ in 0..rounds {
        up += mean(n, || drop(black_box(card.transmit(black_box(&update)))));
        rd += mean(n, || drop(black_box(card.transmit(black_box(&read)))));
    }
    eprintln!(
        "sim: commit cross-check: UPDATE BINARY EF.LOCI {:.0} ns, READ BINARY EF.LOCI {:.0} ns (difference: \
         the commit of the SIM record {:.0} ns); storage holds {} bytes",
        ns(up / rounds),
        ns(rd / rounds),
        ns(up / rounds) - ns(rd / rounds),
        card.storage().size()
    );
}

criterion_group!(benches, bench_select_read, bench_authenticate);
criterion_main!(benches);
