//! Text encodings of token bodies: lowercase hexadecimal and lowercase
//! unpadded base32 (RFC 4648 §6 alphabet, lower case).
//!
//! Both encoders are branch-free and table-free on the data (each output
//! character is computed arithmetically from its 4- or 5-bit group), so their
//! timing does not depend on the bytes being encoded.

/// Lowercase hex digit of a nibble (`n < 16`), without branches or tables.
#[inline(always)]
fn hex_digit(n: u8) -> u8 {
    // 9 - n wraps (high bit set) exactly when n > 9.
    let letter = 9u8.wrapping_sub(n) >> 7;
    n + b'0' + letter * (b'a' - b'0' - 10)
}

/// Base32 character of a 5-bit group (`v < 32`), without branches or tables.
#[inline(always)]
fn base32_digit(v: u8) -> u8 {
    // 25 - v wraps exactly when v > 25 ('2'..'7' instead of 'a'..'z').
    let digit = 25u8.wrapping_sub(v) >> 7;
    v + b'a' - digit * (b'a' - b'2' + 26)
}

/// Length of the lowercase hex encoding of `n` bytes.
pub const fn hex_len(n: usize) -> usize {
    2 * n
}

/// Length of the unpadded base32 encoding of `n` bytes.
pub const fn base32_len(n: usize) -> usize {
    (8 * n).div_ceil(5)
}

/// Writes the lowercase hex encoding of `bytes` into `out`, which must be
/// exactly `hex_len(bytes.len())` long.
#[inline]
pub fn hex_into(bytes: &[u8], out: &mut [u8]) {
    debug_assert_eq!(out.len(), hex_len(bytes.len()));
    for (pair, &b) in out.chunks_exact_mut(2).zip(bytes) {
        pair[0] = hex_digit(b >> 4);
        pair[1] = hex_digit(b & 0x0f);
    }
}

/// Writes the unpadded lowercase base32 encoding of `bytes` into `out`, which
/// must be exactly `base32_len(bytes.len())` long. The last character's unused
/// low bits are zero, as RFC 4648 requires.
pub fn base32_into(bytes: &[u8], out: &mut [u8]) {
    debug_assert_eq!(out.len(), base32_len(bytes.len()));
    // Whole 5-byte groups: 40 bits, 8 characters.
    let (groups, rest) = bytes.as_chunks::<5>();
    let (head, out) = out.split_at_mut(8 * groups.len());
    for (g, o) in groups.iter().zip(head.chunks_exact_mut(8)) {
        let v = u64::from_be_bytes([0, 0, 0, g[0], g[1], g[2], g[3], g[4]]);
        for (j, c) in o.iter_mut().enumerate() {
            *c = base32_digit(((v >> (35 - 5 * j)) & 31) as u8);
        }
    }
    let bytes = rest;
    let mut acc: u32 = 0;
    let mut bits = 0u32;
    let mut o = 0;
    for &b in bytes {
        acc = (acc << 8) | u32::from(b);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            out[o] = base32_digit(((acc >> bits) & 31) as u8);
            o += 1;
        }
        acc &= (1 << bits) - 1;
    }
    if bits > 0 {
        out[o] = base32_digit(((acc << (5 - bits)) & 31) as u8);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(bytes: &[u8]) -> String {
        let mut out = vec![0; hex_len(bytes.len())];
        hex_into(bytes, &mut out);
        String::from_utf8(out).unwrap()
    }

    fn base32(bytes: &[u8]) -> String {
        let mut out = vec![0; base32_len(bytes.len())];
        base32_into(bytes, &mut out);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn hex_matches_format_for_every_byte() {
        let all: Vec<u8> = (0..=255).collect();
        let expected: String = all.iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(hex(&all), expected);
        assert_eq!(hex(&[]), "");
    }

    /// RFC 4648 §10 test vectors, lower-cased and without padding.
    #[test]
    fn base32_matches_rfc4648_vectors() {
        let cases = [
            ("", ""),
            ("f", "my"),
            ("fo", "mzxq"),
            ("foo", "mzxw6"),
            ("foob", "mzxw6yq"),
            ("fooba", "mzxw6ytb"),
            ("foobar", "mzxw6ytboi"),
        ];
        for (input, expected) in cases {
            assert_eq!(base32(input.as_bytes()), expected, "{input:?}");
        }
    }

    #[test]
    fn base32_uses_the_whole_alphabet() {
        // 0x00 0x44 0x32 0x14 0xc7 0x42 0x54 0xb6 0x35 0xcf 0x84 0x65 0x3a 0x56 0xd7 0xc6 0x75 0xbe 0x77 0xdf
        // encodes the 32 symbols in order.
        let bytes = [
            0x00, 0x44, 0x32, 0x14, 0xc7, 0x42, 0x54, 0xb6, 0x35, 0xcf, 0x84, 0x65, 0x3a, 0x56,
            0xd7, 0xc6, 0x75, 0xbe, 0x77, 0xdf,
        ];
        assert_eq!(base32(&bytes), "abcdefghijklmnopqrstuvwxyz234567");
        assert_eq!(base32_len(16), 26);
        assert_eq!(base32_len(32), 52);
    }
}
