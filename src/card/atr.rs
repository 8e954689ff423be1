//! The Answer-To-Reset, ISO/IEC 7816-3 §8.2 and ETSI TS 102 221 §6.3.
//!
//! ```text
//! 3B            TS   direct convention
//! 9E            T0   TA1 and TD1 follow; 14 historical bytes
//! 96            TA1  Fi = 512, Di = 32 (the fast rate real eUICCs offer)
//! 80            TD1  TD2 follows; protocol T=0
//! 1F            TD2  TA3 follows; T=15 (global interface bytes)
//! C7            TA3  clock stop supported (no preference); classes A, B and C (5 V, 3 V, 1.8 V)
//! 80            historical bytes: category indicator 80 = COMPACT-TLV objects follow
//! 31 E0           card service data: selection by full and partial DF name, EF.DIR with BER-TLV
//! 73 FE 21 5F     card capabilities: selection methods; data coding 21; extended Lc/Le,
//!                 channels assigned by card and by interface device, 8 or more channels
//! 56 76 65 75 69 63 63   card issuer's data: "veuicc"
//! xx            TCK  XOR of T0 … last historical byte (present because T=15 is indicated)
//! ```
//!
//! A MEP card (SGP.22 v3) says so in the global interface byte after T=15 ([`MEP_ATR`]): TD2
//! `3F` (TA3 and TB3 follow), TB3 `83` — b8 and b2 "eUICC", b1 "MEP supported", the bits
//! Android's `AnswerToReset` reads (ETSI TS 102 221 §6.3.3); the historical bytes are the same.
//!
//! T=0 is announced because lpac connects with `SCARD_PROTOCOL_T0` only; the
//! card still answers APDUs (not TPDUs), with `61xx` when Le is absent.

/// The ATR without its check byte.
const ATR_BODY: [u8; 20] = [
    0x3B, 0x9E, 0x96, 0x80, 0x1F, 0xC7, // TS, T0, TA1, TD1, TD2, TA3
    0x80, 0x31, 0xE0, 0x73, 0xFE, 0x21, 0x5F, 0x56, 0x76, 0x65, 0x75, 0x69, 0x63, 0x63,
];

/// The MEP card's ATR without its check byte: TD2 `3F`, TB3 `83` added.
const MEP_ATR_BODY: [u8; 21] = [
    0x3B, 0x9E, 0x96, 0x80, 0x3F, 0xC7, 0x83, // TS, T0, TA1, TD1, TD2, TA3, TB3
    0x80, 0x31, 0xE0, 0x73, 0xFE, 0x21, 0x5F, 0x56, 0x76, 0x65, 0x75, 0x69, 0x63, 0x63,
];

// Const evaluation: the indices are bounded by the loop conditions, and an
// out-of-bounds index would fail the build, not a running card.
#[allow(clippy::indexing_slicing)]
const fn tck(body: &[u8]) -> u8 {
    let mut x = 0u8;
    let mut i = 1; // TS is not covered
    while i < body.len() {
        x ^= body[i];
        i += 1;
    }
    x
}

/// The card's ATR.
#[allow(clippy::indexing_slicing)]
pub const ATR: [u8; 21] = {
    let mut out = [0u8; 21];
    let mut i = 0;
    while i < ATR_BODY.len() {
        out[i] = ATR_BODY[i];
        i += 1;
    }
    out[20] = tck(&ATR_BODY);
    out
};

/// A MEP card's ATR ([`MEP_ATR_BODY`] and its check byte).
#[allow(clippy::indexing_slicing)]
pub const MEP_ATR: [u8; 22] = {
    let mut out = [0u8; 22];
    let mut i = 0;
    while i < MEP_ATR_BODY.len() {
        out[i] = MEP_ATR_BODY[i];
        i += 1;
    }
    out[21] = tck(&MEP_ATR_BODY);
    out
};

#[cfg(test)]
mod tests {
    use super::*;

    /// Walks the interface bytes the way a reader does and checks the structure.
    #[test]
    fn atr_is_well_formed() {
        well_formed(&ATR);
        well_formed(&MEP_ATR);
        // The global byte after T=15: none on a single-port card; eUICC + MEP on a MEP card.
        assert_eq!(ATR[4], 0x1F);
        assert_eq!((MEP_ATR[4], MEP_ATR[6]), (0x3F, 0x83));
        assert_eq!(ATR[6..20], MEP_ATR[7..21], "same historical bytes");
    }

    fn well_formed(atr: &[u8]) {
        assert_eq!(atr[0], 0x3B);
        let t0 = atr[1];
        let k = usize::from(t0 & 0x0F);
        let mut i = 2;
        let mut y = t0 >> 4;
        let mut protocols = alloc::vec::Vec::new();
        loop {
            for bit in 0..3 {
                if y & (1 << bit) != 0 {
                    i += 1; // TA, TB, TC
                }
            }
            if y & 0x08 == 0 {
                break;
            }
            let td = atr[i];
            i += 1;
            protocols.push(td & 0x0F);
            y = td >> 4;
        }
        assert_eq!(protocols, [0, 15]);
        assert_eq!(atr.len(), i + k + 1, "historical bytes and TCK");
        assert_eq!(atr[1..].iter().fold(0, |a, b| a ^ b), 0, "TCK makes the XOR zero");
        assert_eq!(&atr[i + k - 6..i + k], b"veuicc");
    }
}
