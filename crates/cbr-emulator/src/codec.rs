//! A compact form for the JSON of stored backups: frequent tokens (a key with the punctuation
//! after it, a repeated value such as a vault id) are replaced by one- or two-byte codes.
//!
//! JSON written by `serde_json` never contains a byte below `0x20` (control characters in
//! strings are always escaped), so those bytes are free to mark codes: `0x01..=0x0F` stand
//! for one of the 15 most valuable tokens, `0x10..=0x1F` followed by one byte for one of
//! 4096 more. A token is a string literal with everything up to the next string literal
//! (`"status":`, `"available",`), or what comes before the first one (`{`). Decoding gives
//! back the exact bytes.
//!
//! The dictionary is learnt from the first backups of a pool; it only changes how much is
//! saved, never what is decoded.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

/// Tokens with a one-byte code.
const SHORT: usize = 15;
/// Tokens with a two-byte code.
const LONG: usize = 16 * 256;
/// A token seen fewer times than this in the sample is not worth a code.
const MIN_SEEN: u32 = 3;

/// A small, fast hasher for short byte strings, eight bytes at a step (in the manner of
/// rustc's FxHash); collisions only cost speed.
#[derive(Default)]
pub(crate) struct Fx(u64);

impl Fx {
    fn add(&mut self, word: u64) {
        self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
}

impl Hasher for Fx {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for chunk in &mut chunks {
            let mut word = [0_u8; 8];
            word.copy_from_slice(chunk);
            self.add(u64::from_le_bytes(word));
        }
        let mut last = [0_u8; 8];
        last[..chunks.remainder().len()].copy_from_slice(chunks.remainder());
        self.add(u64::from_le_bytes(last));
    }

    fn write_usize(&mut self, n: usize) {
        self.add(n as u64);
    }
}

/// Builds [`Fx`] hashers.
pub(crate) type FxBuild = BuildHasherDefault<Fx>;

type FxMap<K, V> = HashMap<K, V, FxBuild>;

/// The tokens of a pool and their codes.
#[derive(Debug, Default)]
pub(crate) struct Dictionary {
    tokens: Vec<Box<[u8]>>,
    codes: FxMap<Box<[u8]>, u16>,
}

/// Splits serialised JSON into tokens: the bytes before the first string literal, then each
/// string literal with the bytes up to the next one.
fn tokens(json: &[u8]) -> impl Iterator<Item = &[u8]> {
    let mut at = 0;
    std::iter::from_fn(move || {
        if at >= json.len() {
            return None;
        }
        let start = at;
        if json[at] == b'"' {
            // Through the closing quote, skipping escaped characters.
            at += 1;
            while let Some(found) = memchr::memchr2(b'"', b'\\', &json[at.min(json.len())..]) {
                at += found;
                if json[at] == b'"' {
                    break;
                }
                at += 2;
            }
            at = (at + 1).min(json.len());
        }
        at += memchr::memchr(b'"', &json[at..]).unwrap_or(json.len() - at);
        Some(&json[start..at])
    })
}

impl Dictionary {
    /// Learns the most valuable tokens of `samples`.
    pub(crate) fn learn<'a>(samples: impl IntoIterator<Item = &'a [u8]>) -> Self {
        let mut seen: FxMap<&[u8], u32> = FxMap::default();
        for sample in samples {
            for token in tokens(sample) {
                *seen.entry(token).or_default() += 1;
            }
        }
        let mut ranked: Vec<(&[u8], u32)> =
            seen.into_iter().filter(|(token, n)| *n >= MIN_SEEN && token.len() >= 3).collect();
        // Bytes saved by a two-byte code; ties by the token itself, so learning is repeatable.
        ranked.sort_unstable_by(|(ta, na), (tb, nb)| {
            let saved = |t: &[u8], n: u32| u64::from(n) * (t.len() as u64 - 2);
            saved(tb, *nb).cmp(&saved(ta, *na)).then_with(|| ta.cmp(tb))
        });
        ranked.truncate(SHORT + LONG);
        let mut dictionary = Self::default();
        for (index, (token, _)) in ranked.into_iter().enumerate() {
            let token: Box<[u8]> = token.into();
            dictionary.codes.insert(token.clone(), index as u16);
            dictionary.tokens.push(token);
        }
        dictionary
    }

    /// Appends the compact form of `json` to `out`.
    pub(crate) fn encode(&self, json: &[u8], out: &mut Vec<u8>) {
        for token in tokens(json) {
            match self.codes.get(token) {
                Some(&code) if usize::from(code) < SHORT => out.push(1 + code as u8),
                Some(&code) => {
                    let long = usize::from(code) - SHORT;
                    out.extend_from_slice(&[0x10 + (long >> 8) as u8, long as u8]);
                }
                None => out.extend_from_slice(token),
            }
        }
    }

    /// Appends the JSON that `data` stands for to `out`.
    pub(crate) fn decode(&self, data: &[u8], out: &mut Vec<u8>) {
        let mut rest = data;
        while !rest.is_empty() {
            let plain = rest.iter().position(|&b| b < 0x20).unwrap_or(rest.len());
            out.extend_from_slice(&rest[..plain]);
            rest = &rest[plain..];
            let (index, used) = match rest {
                [] => break,
                [code @ 0x01..=0x0F, ..] => (usize::from(code - 1), 1),
                [high @ 0x10..=0x1F, low, ..] => {
                    (SHORT + (usize::from(high - 0x10) << 8 | usize::from(*low)), 2)
                }
                // Not written by `encode`: keep the byte rather than lose data.
                [other, ..] => {
                    out.push(*other);
                    rest = &rest[1..];
                    continue;
                }
            };
            if let Some(token) = self.tokens.get(index) {
                out.extend_from_slice(token);
            }
            rest = &rest[used..];
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn tokens_split_at_string_literals() {
        // given: JSON with escapes and nesting
        let json = br#"{"a":"x\"y","b":[{"c":null}],"d":12}"#;
        // done
        let split: Vec<&[u8]> = tokens(json).collect();
        // must hold: each literal with what follows it; nothing lost
        let expected: [&[u8]; 6] =
            [b"{", b"\"a\":", b"\"x\\\"y\",", b"\"b\":[{", b"\"c\":null}],", b"\"d\":12}"];
        assert_eq!(split, expected.to_vec());
        assert_eq!(split.concat(), json.to_vec());
    }

    #[test]
    fn backups_shrink_and_come_back_exactly() {
        // given: a dictionary learnt from generated backups
        let dataset = crate::Dataset::generated(500, 3);
        let jsons: Vec<Vec<u8>> =
            dataset.backups.iter().map(|b| serde_json::to_vec(b).unwrap_or_default()).collect();
        let dictionary = Dictionary::learn(jsons.iter().take(200).map(Vec::as_slice));
        let (mut plain, mut packed) = (0, 0);
        for json in &jsons {
            // done
            let mut data = Vec::new();
            dictionary.encode(json, &mut data);
            let mut back = Vec::new();
            dictionary.decode(&data, &mut back);
            // must hold: the same bytes
            assert_eq!(&back, json);
            plain += json.len();
            packed += data.len();
        }
        // must hold: well under half the size
        assert!(packed * 2 < plain, "{packed} of {plain}");
    }

    proptest! {
        #[test]
        fn any_json_text_round_trips(
            value in "[ -~é\"\\\\{}:,\\[\\]\n\t]{0,80}",
            other in "[a-z\"]{0,20}",
        ) {
            // given: a dictionary learnt from arbitrary strings, and a JSON text
            let json = serde_json::to_vec(&serde_json::json!({"v": value, "w": [other, value]}))
                .unwrap_or_default();
            let dictionary = Dictionary::learn([json.as_slice(), json.as_slice(), json.as_slice()]);
            // done
            let mut data = Vec::new();
            dictionary.encode(&json, &mut data);
            let mut back = Vec::new();
            dictionary.decode(&data, &mut back);
            // must hold
            prop_assert_eq!(back, json);
        }
    }
}
