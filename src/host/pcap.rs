//! Captures Wireshark reads: a classic pcap file (linktype Ethernet) of GSMTAP-over-UDP SIM
//! frames, the way osmocom's SIMtrace writes them — one frame per APDU exchange, its payload
//! the C-APDU followed by the R-APDU, in a GSMTAP v2 header of type 4 (SIM), sub-type 0 (APDU),
//! to UDP port 4729 on 127.0.0.1. Wireshark's `gsmtap` dissector hands it to `gsm_sim`, which
//! decodes SELECT, STORE DATA, GET RESPONSE and the status words.
//!
//! A frame is at most 65 535 bytes of IPv4; an exchange longer than fits (extended APDUs over
//! about 64 KB together) is cut at the end, with its original length in the pcap record.

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::Path;
use std::vec::Vec;

/// The GSMTAP UDP port.
pub const GSMTAP_PORT: u16 = 4729;
/// GSMTAP type: SIM (ISO 7816).
pub const GSMTAP_TYPE_SIM: u8 = 4;
/// pcap linktype: Ethernet.
pub const LINKTYPE_ETHERNET: u32 = 1;

const ETH: usize = 14;
const IP: usize = 20;
const UDP: usize = 8;
const GSMTAP: usize = 16;
/// The most APDU bytes one frame carries.
pub const MAX_PAYLOAD: usize = 65_535 - IP - UDP - GSMTAP;

/// How frames are stamped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stamps {
    /// The system time at each exchange.
    System,
    /// Frame N at N milliseconds after the epoch: a capture that is the same on every run.
    Counter,
}

/// The pcap global header.
pub fn file_header() -> [u8; 24] {
    let mut h = [0u8; 24];
    let fields: [&[u8]; 6] = [
        &0xA1B2_C3D4u32.to_le_bytes(),
        &[2, 0, 4, 0],
        &[0; 4],
        &[0; 4],
        &65_535u32.to_le_bytes(),
        &LINKTYPE_ETHERNET.to_le_bytes(),
    ];
    let mut at = 0;
    for f in fields {
        if let Some(dst) = h.get_mut(at..at + f.len()) {
            dst.copy_from_slice(f);
        }
        at += f.len();
    }
    h
}

fn checksum(header: &[u8]) -> u16 {
    let mut sum: u32 = header
        .chunks(2)
        .map(|p| u32::from(u16::from_be_bytes([p.first().copied().unwrap_or(0), p.get(1).copied().unwrap_or(0)])))
        .sum();
    while sum > 0xFFFF {
        sum = (sum & 0xFFFF) + (sum >> 16);
    }
    !u16::try_from(sum).unwrap_or(0xFFFF)
}

/// One frame (Ethernet ‖ IPv4 ‖ UDP ‖ GSMTAP ‖ C-APDU ‖ R-APDU) and the APDU bytes it would
/// hold uncut.
pub fn frame(command: &[u8], response: &[u8]) -> (Vec<u8>, usize) {
    let whole = command.len() + response.len();
    let apdus: Vec<u8> = command.iter().chain(response).copied().take(MAX_PAYLOAD).collect();
    let udp_len = UDP + GSMTAP + apdus.len();
    let ip_len = IP + udp_len;
    let mut f = Vec::with_capacity(ETH + ip_len);
    f.extend_from_slice(&[0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x08, 0x00]);
    let mut ip = [0u8; IP];
    ip[0] = 0x45;
    ip[2..4].copy_from_slice(&u16::try_from(ip_len).unwrap_or(u16::MAX).to_be_bytes());
    ip[6] = 0x40; // don't fragment
    ip[8] = 64; // TTL
    ip[9] = 17; // UDP
    ip[12..16].copy_from_slice(&[127, 0, 0, 1]);
    ip[16..20].copy_from_slice(&[127, 0, 0, 1]);
    let sum = checksum(&ip);
    ip[10..12].copy_from_slice(&sum.to_be_bytes());
    f.extend_from_slice(&ip);
    f.extend_from_slice(&GSMTAP_PORT.to_be_bytes());
    f.extend_from_slice(&GSMTAP_PORT.to_be_bytes());
    f.extend_from_slice(&u16::try_from(udp_len).unwrap_or(u16::MAX).to_be_bytes());
    f.extend_from_slice(&[0, 0]); // no UDP checksum
    // GSMTAP v2: version, header length in words, type, timeslot, ARFCN, signal, SNR,
    // frame number, sub-type (0: APDU), antenna, sub-slot, reserved.
    f.extend_from_slice(&[2, 4, GSMTAP_TYPE_SIM, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    f.extend_from_slice(&apdus);
    (f, ETH + IP + UDP + GSMTAP + whole)
}

/// A pcap file being written. Write errors are reported once (the first one is kept) and then
/// ignored, as for text traces.
#[derive(Debug)]
pub struct Pcap {
    out: BufWriter<File>,
    stamps: Stamps,
    frames: u64,
    failed: bool,
}

impl Pcap {
    /// Creates `path` with the pcap header.
    pub fn create(path: &Path, stamps: Stamps) -> io::Result<Pcap> {
        let mut out = BufWriter::new(File::create(path)?);
        out.write_all(&file_header())?;
        out.flush()?;
        Ok(Pcap { out, stamps, frames: 0, failed: false })
    }

    /// Writes one exchange as one frame.
    pub fn exchange(&mut self, command: &[u8], response: &[u8]) {
        if self.failed {
            return;
        }
        let (secs, micros) = match self.stamps {
            Stamps::System => {
                let d = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
                (d.as_secs(), u64::from(d.subsec_micros()))
            }
            Stamps::Counter => (self.frames / 1000, (self.frames % 1000) * 1000),
        };
        self.frames += 1;
        let (f, orig) = frame(command, response);
        let mut rec = Vec::with_capacity(16 + f.len());
        rec.extend_from_slice(&u32::try_from(secs).unwrap_or(u32::MAX).to_le_bytes());
        rec.extend_from_slice(&u32::try_from(micros).unwrap_or(0).to_le_bytes());
        rec.extend_from_slice(&u32::try_from(f.len()).unwrap_or(u32::MAX).to_le_bytes());
        rec.extend_from_slice(&u32::try_from(orig).unwrap_or(u32::MAX).to_le_bytes());
        rec.extend_from_slice(&f);
        if self.out.write_all(&rec).and_then(|()| self.out.flush()).is_err() {
            self.failed = true;
        }
    }

    /// Frames written so far.
    pub fn frames(&self) -> u64 {
        self.frames
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_frame_is_gsmtap_sim_over_udp() {
        let (f, orig) = frame(&[0x00, 0x70, 0x00, 0x00, 0x01], &[0x01, 0x90, 0x00]);
        assert_eq!(f.len(), 14 + 20 + 8 + 16 + 8);
        assert_eq!(orig, f.len());
        assert_eq!(&f[12..14], &[0x08, 0x00]);
        assert_eq!(checksum(&f[14..34]), 0, "the IPv4 header checksum verifies");
        assert_eq!(&f[36..38], &4729u16.to_be_bytes());
        assert_eq!(&f[42..45], &[2, 4, 4]);
        assert_eq!(&f[58..], &[0x00, 0x70, 0x00, 0x00, 0x01, 0x01, 0x90, 0x00]);
        let big = std::vec![0u8; 70_000];
        let (f, orig) = frame(&big, &[0x90, 0x00]);
        assert_eq!(f.len(), 14 + 65_535);
        assert_eq!(orig, 14 + 20 + 8 + 16 + 70_002);
    }
}
