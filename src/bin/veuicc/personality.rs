//! The card's personality on the command line: `--sgp22 2.5|3.0|3.1`, `--mep a1|a2|b`,
//! `--ports N`, kept in a state directory (`DIR/.card`) so later commands need not repeat them.
//!
//! `.card` is two lines at most, `sgp22 3.0` and `mep a2 2`; the store ignores hidden files. A
//! state directory keeps the personality it was first given: flags naming another are refused
//! (a card does not change what it is between two commands), flags naming the same are fine.

use std::path::Path;
use veuicc::config::{CardConfig, Mep, MepMode, Sgp22Version};

/// The file in a state directory that keeps the personality.
pub(crate) const KEPT: &str = ".card";

/// The personality flags, flattened into every card command.
#[derive(Debug, Default, Clone, clap::Args)]
pub(crate) struct PersonalityArgs {
    /// The SGP.22 version the card is: 2.5 (the default), 3.0 or 3.1. A state directory keeps
    /// it, so later commands need not repeat it.
    #[arg(long, value_name = "VERSION", value_parser = parse_sgp22)]
    pub(crate) sgp22: Option<Sgp22Version>,
    /// Multiple Enabled Profiles (an SGP.22 v3 card): `a1` (the LPA names the eSIM port:
    /// `veuicc enable --port N`), `a2` (the card picks a free port) or `b` (the ISD-R on every
    /// port; a profile is enabled on the port the command came on). Kept like --sgp22.
    #[arg(long, value_name = "MODE", value_parser = parse_mep)]
    pub(crate) mep: Option<MepMode>,
    /// With --mep: the profile ports (1 to 31; default 2). In MEP-A they are numbered from 1
    /// (port 0 is the ISD-R's), in MEP-B from 0.
    #[arg(long, value_name = "N", requires = "mep", value_parser = clap::value_parser!(u8).range(1..=31))]
    pub(crate) ports: Option<u8>,
}

fn parse_sgp22(text: &str) -> Result<Sgp22Version, String> {
    Sgp22Version::parse(text).ok_or_else(|| format!("{text:?}: the card is SGP.22 2.5, 3.0 or 3.1"))
}

fn parse_mep(text: &str) -> Result<MepMode, String> {
    match text.to_ascii_lowercase().as_str() {
        "a1" => Ok(MepMode::A1),
        "a2" => Ok(MepMode::A2),
        "b" => Ok(MepMode::B),
        _ => Err(format!("{text:?}: MEP mode a1, a2 or b")),
    }
}

/// What a card is: its version and its MEP configuration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Personality {
    sgp22: Sgp22Version,
    mep: Option<Mep>,
}

impl Personality {
    fn text(self) -> String {
        let mut out = format!("sgp22 {}\n", self.sgp22);
        if let Some(Mep { mode, ports }) = self.mep {
            let mode = match mode {
                MepMode::A1 => "a1",
                MepMode::A2 => "a2",
                MepMode::B => "b",
            };
            out.push_str(&format!("mep {mode} {ports}\n"));
        }
        out
    }

    fn parse(text: &str) -> Result<Personality, String> {
        let mut p = Personality { sgp22: Sgp22Version::V2_5, mep: None };
        for line in text.lines().filter(|l| !l.trim().is_empty()) {
            let words: Vec<&str> = line.split_whitespace().collect();
            match words.as_slice() {
                ["sgp22", v] => p.sgp22 = parse_sgp22(v)?,
                ["mep", mode, ports] => {
                    let ports = ports.parse::<u8>().ok().filter(|n| (1..=31).contains(n));
                    let ports = ports.ok_or_else(|| format!("{line:?}: 1 to 31 ports"))?;
                    p.mep = Some(Mep { mode: parse_mep(mode)?, ports });
                }
                _ => return Err(format!("{line:?} is not `sgp22 X.Y` or `mep a1|a2|b N`")),
            }
        }
        p.check()?;
        Ok(p)
    }

    fn check(self) -> Result<Personality, String> {
        if self.mep.is_some() && !self.sgp22.is_v3() {
            return Err(format!("--mep is an SGP.22 v3 feature; this card is {} (add --sgp22 3.0)", self.sgp22));
        }
        Ok(self)
    }
}

impl PersonalityArgs {
    fn given(&self) -> bool {
        self.sgp22.is_some() || self.mep.is_some()
    }

    /// The flags over `base`.
    fn over(&self, base: Personality) -> Personality {
        let mep = match self.mep {
            Some(mode) => Some(Mep { mode, ports: self.ports.unwrap_or(2) }),
            None => base.mep,
        };
        Personality { sgp22: self.sgp22.unwrap_or(base.sgp22), mep }
    }
}

/// Sets `config`'s personality from the flags and what `state` keeps; returns the text to
/// keep in `state` (when it keeps none yet and flags gave one).
pub(crate) fn apply(
    state: Option<&Path>,
    args: &PersonalityArgs,
    config: &mut CardConfig,
) -> Result<Option<String>, String> {
    let file = state.map(|d| d.join(KEPT));
    let kept = match &file {
        Some(f) if f.exists() => {
            let text = std::fs::read_to_string(f).map_err(|e| format!("{}: {e}", f.display()))?;
            Some(Personality::parse(&text).map_err(|e| format!("{}: {e}", f.display()))?)
        }
        _ => None,
    };
    let base = kept.unwrap_or(Personality { sgp22: config.sgp22, mep: config.mep });
    let wanted = args.over(base);
    if let (Some(kept), Some(file)) = (kept, &file)
        && wanted != kept
    {
        return Err(format!(
            "{} is a card of {} (kept in {}); it cannot become one of {}: use another state directory",
            file.parent().map_or_else(String::new, |d| d.display().to_string()),
            describe(kept),
            file.display(),
            describe(wanted)
        ));
    }
    let wanted = wanted.check()?;
    config.sgp22 = wanted.sgp22;
    config.mep = wanted.mep;
    Ok((kept.is_none() && state.is_some() && args.given()).then(|| wanted.text()))
}

/// Writes `text` as `dir`'s kept personality (beside it, then renamed into place).
pub(crate) fn keep(dir: &Path, text: &str) -> Result<(), String> {
    let err = |e: std::io::Error| format!("{}: keeping the card's personality: {e}", dir.display());
    let tmp = dir.join(".card-new");
    std::fs::write(&tmp, text).map_err(err)?;
    std::fs::File::open(&tmp).and_then(|f| f.sync_all()).map_err(err)?;
    std::fs::rename(&tmp, dir.join(KEPT)).map_err(err)?;
    std::fs::File::open(dir).and_then(|d| d.sync_all()).map_err(err)
}

fn describe(p: Personality) -> String {
    match p.mep {
        None => format!("SGP.22 {}", p.sgp22),
        Some(Mep { mode, ports }) => format!("SGP.22 {} with MEP-{mode:?} on {ports} ports", p.sgp22),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kept_text_reads_back() {
        for p in [
            Personality { sgp22: Sgp22Version::V2_5, mep: None },
            Personality { sgp22: Sgp22Version::V3_1, mep: Some(Mep { mode: MepMode::A2, ports: 3 }) },
        ] {
            assert_eq!(Personality::parse(&p.text()), Ok(p));
        }
        assert!(Personality::parse("sgp22 2.5\nmep a1 2\n").is_err_and(|e| e.contains("v3 feature")));
        assert!(Personality::parse("mep a1 0\n").is_err());
        assert!(Personality::parse("sgp22 4.0\n").is_err());
        assert!(Personality::parse("colour blue\n").is_err());
    }
}
