//! XOR chunks (encoding 1): Prometheus' Gorilla variant for float samples.
//!
//! Bytes: a big-endian u16 sample count, then a bit stream written most significant bit first. The first
//! sample is `varint(t)` and the raw 64 value bits; the second `uvarint(t1 - t0)` and an XOR-encoded value;
//! later ones a delta-of-delta timestamp in a 1/14/17/20/64-bit bucket and an XOR-encoded value.
//! Values keep every bit, so NaN payloads (the staleness marker among them) survive.
//!
//! The bit writer mirrors Prometheus' `bstream` down to a quirk: writing a whole byte always appends a
//! fresh one, so a chunk can end in an unused zero byte. Readers ignore it; writing it keeps our chunks
//! byte-identical to Prometheus'.

use super::Error;

/// Bits written most significant first, exactly as Prometheus' `bstream` lays them out.
#[derive(Debug, Clone)]
struct BitWriter {
    bytes: Vec<u8>,
    /// How many low bits of the last byte are still free.
    free: u8,
}

impl BitWriter {
    fn write_bit(&mut self, bit: bool) {
        if self.free == 0 {
            self.bytes.push(0);
            self.free = 8;
        }
        if bit {
            *self.bytes.last_mut().expect("a byte was pushed") |= 1 << (self.free - 1);
        }
        self.free -= 1;
    }

    fn write_byte(&mut self, byte: u8) {
        if self.free == 0 {
            self.bytes.push(0);
            self.free = 8;
        }
        // The high `free` bits complete the current byte; the rest start a new one, which is pushed
        // even when nothing is left over (the quirk this type exists to reproduce).
        *self.bytes.last_mut().expect("a byte was pushed") |= byte >> (8 - self.free);
        self.bytes.push(((byte as u16) << self.free) as u8);
    }

    /// The low `n` bits of `v`, left to right; `n` is 1..=64.
    fn write_bits(&mut self, v: u64, mut n: u32) {
        debug_assert!((1..=64).contains(&n));
        let mut v = v << (64 - n);
        while n >= 8 {
            self.write_byte((v >> 56) as u8);
            v <<= 8;
            n -= 8;
        }
        while n > 0 {
            self.write_bit(v >> 63 == 1);
            v <<= 1;
            n -= 1;
        }
    }
}

/// Whether `x` fits the `n`-bit delta-of-delta bucket; the range is Prometheus' (`bitRange`), one more
/// on the positive side than two's complement gives.
fn fits(x: i64, n: u32) -> bool {
    -((1 << (n - 1)) - 1) <= x && x <= 1 << (n - 1)
}

/// Encodes one XOR chunk, sample by sample.
#[derive(Debug, Clone)]
pub struct XorEncoder {
    bits: BitWriter,
    num: u16,
    t: i64,
    t_delta: u64,
    v: u64,
    /// The current window of the XOR value encoding; 0xff until the first XOR opens one.
    leading: u8,
    trailing: u8,
}

impl Default for XorEncoder {
    fn default() -> Self {
        XorEncoder::new()
    }
}

impl XorEncoder {
    pub fn new() -> XorEncoder {
        XorEncoder {
            bits: BitWriter { bytes: vec![0, 0], free: 0 },
            num: 0,
            t: 0,
            t_delta: 0,
            v: 0,
            leading: 0xff,
            trailing: 0,
        }
    }

    pub fn num_samples(&self) -> u16 {
        self.num
    }

    /// Appends a sample. Timestamps must increase strictly (the caller sorts); a chunk holds at most
    /// `u16::MAX` samples (the caller cuts far sooner).
    pub fn append(&mut self, t: i64, v: f64) {
        assert!(self.num < u16::MAX, "xor chunk is full");
        let v = v.to_bits();
        let mut t_delta = 0;
        match self.num {
            0 => {
                let mut buf = Vec::with_capacity(super::encoding::MAX_VARINT_LEN);
                super::encoding::put_varint(&mut buf, t);
                for b in buf {
                    self.bits.write_byte(b);
                }
                self.bits.write_bits(v, 64);
            }
            1 => {
                t_delta = t.wrapping_sub(self.t) as u64;
                let mut buf = Vec::with_capacity(super::encoding::MAX_VARINT_LEN);
                super::encoding::put_uvarint(&mut buf, t_delta);
                for b in buf {
                    self.bits.write_byte(b);
                }
                self.write_value(v);
            }
            _ => {
                t_delta = t.wrapping_sub(self.t) as u64;
                let dod = t_delta.wrapping_sub(self.t_delta) as i64;
                match dod {
                    0 => self.bits.write_bit(false),
                    d if fits(d, 14) => {
                        self.bits.write_bits(0b10, 2);
                        self.bits.write_bits(d as u64, 14);
                    }
                    d if fits(d, 17) => {
                        self.bits.write_bits(0b110, 3);
                        self.bits.write_bits(d as u64, 17);
                    }
                    d if fits(d, 20) => {
                        self.bits.write_bits(0b1110, 4);
                        self.bits.write_bits(d as u64, 20);
                    }
                    d => {
                        self.bits.write_bits(0b1111, 4);
                        self.bits.write_bits(d as u64, 64);
                    }
                }
                self.write_value(v);
            }
        }
        self.t = t;
        self.v = v;
        self.t_delta = t_delta;
        self.num += 1;
        self.bits.bytes[..2].copy_from_slice(&self.num.to_be_bytes());
    }

    fn write_value(&mut self, v: u64) {
        let delta = v ^ self.v;
        if delta == 0 {
            self.bits.write_bit(false);
            return;
        }
        self.bits.write_bit(true);
        // Five bits hold the leading-zero count, hence the clamp.
        let leading = (delta.leading_zeros() as u8).min(31);
        let trailing = delta.trailing_zeros() as u8;
        if self.leading != 0xff && leading >= self.leading && trailing >= self.trailing {
            // Fits the current window.
            self.bits.write_bit(false);
            self.bits.write_bits(delta >> self.trailing, 64 - self.leading as u32 - self.trailing as u32);
            return;
        }
        self.leading = leading;
        self.trailing = trailing;
        self.bits.write_bit(true);
        self.bits.write_bits(leading as u64, 5);
        // 64 significant bits do not fit in six; they are written as 0 (0 itself never occurs).
        let sig = 64 - leading as u32 - trailing as u32;
        self.bits.write_bits(sig as u64 & 0x3f, 6);
        self.bits.write_bits(delta >> trailing, sig);
    }

    /// The chunk's bytes so far, count included.
    pub fn bytes(&self) -> &[u8] {
        &self.bits.bytes
    }

    pub fn into_bytes(self) -> Vec<u8> {
        self.bits.bytes
    }
}

/// Reads bits most significant first; running out is an error naming the chunk.
struct BitReader<'a> {
    bytes: &'a [u8],
    /// Next bit to read, counted from the start of `bytes`.
    bit: usize,
}

impl BitReader<'_> {
    fn read_bits(&mut self, n: u32) -> Result<u64, Error> {
        if self.bit + n as usize > self.bytes.len() * 8 {
            return Err(Error::malformed("xor chunk", (2 + self.bit / 8) as u64, "bit stream ends early"));
        }
        let mut v = 0u64;
        for _ in 0..n {
            let byte = self.bytes[self.bit / 8];
            v = v << 1 | ((byte >> (7 - self.bit % 8)) & 1) as u64;
            self.bit += 1;
        }
        Ok(v)
    }

    fn read_bit(&mut self) -> Result<bool, Error> {
        Ok(self.read_bits(1)? == 1)
    }

    fn read_byte(&mut self) -> Result<u8, Error> {
        Ok(self.read_bits(8)? as u8)
    }

    /// Go's varint readers over a bit stream: at most 10 bytes.
    fn read_uvarint(&mut self) -> Result<u64, Error> {
        let mut v = 0u64;
        for i in 0..super::encoding::MAX_VARINT_LEN {
            let b = self.read_byte()?;
            if b < 0x80 {
                if i == super::encoding::MAX_VARINT_LEN - 1 && b > 1 {
                    break;
                }
                return Ok(v | (b as u64) << (7 * i));
            }
            v |= ((b & 0x7f) as u64) << (7 * i);
        }
        Err(Error::malformed("xor chunk", (2 + self.bit / 8) as u64, "varint overflows 64 bits"))
    }
}

/// The sample count a chunk starts with, without decoding it.
pub fn num_samples(chunk: &[u8]) -> Result<u16, Error> {
    match chunk {
        [a, b, ..] => Ok(u16::from_be_bytes([*a, *b])),
        _ => Err(Error::Truncated { what: "xor chunk", offset: 0, need: 2, left: chunk.len() as u64 }),
    }
}

/// Decodes a whole XOR chunk (count included) into `(t, v)` samples, checking that what follows the
/// last sample is zero padding: the free bits of the last byte, at most a whole spare one.
pub fn decode(chunk: &[u8]) -> Result<Vec<(i64, f64)>, Error> {
    let num = num_samples(chunk)? as usize;
    let mut r = BitReader { bytes: &chunk[2..], bit: 0 };
    let mut out = Vec::with_capacity(num);
    let (mut t, mut t_delta, mut v) = (0i64, 0u64, 0u64);
    let (mut leading, mut trailing) = (0xffu8, 0u8);
    for i in 0..num {
        match i {
            0 => {
                let u = r.read_uvarint()?;
                t = (u >> 1) as i64 ^ -((u & 1) as i64);
                v = r.read_bits(64)?;
            }
            1 => {
                t_delta = r.read_uvarint()?;
                t = t.wrapping_add(t_delta as i64);
                v = read_value(&mut r, v, &mut leading, &mut trailing)?;
            }
            _ => {
                let mut prefix = 0u8;
                for _ in 0..4 {
                    if !r.read_bit()? {
                        break;
                    }
                    prefix += 1;
                }
                let dod = match prefix {
                    0 => 0,
                    4 => r.read_bits(64)? as i64,
                    p => {
                        let n = [14, 17, 20][p as usize - 1];
                        let bits = r.read_bits(n)?;
                        // Values above 2^(n-1) are negative (see `fits`).
                        if bits > 1 << (n - 1) {
                            bits as i64 - (1i64 << n)
                        } else {
                            bits as i64
                        }
                    }
                };
                t_delta = (t_delta as i64).wrapping_add(dod) as u64;
                t = t.wrapping_add(t_delta as i64);
                v = read_value(&mut r, v, &mut leading, &mut trailing)?;
            }
        }
        if let Some(&(prev, _)) = out.last() {
            if t <= prev {
                return Err(Error::malformed(
                    "xor chunk",
                    0,
                    format!("sample {i} at {t} does not follow {prev}"),
                ));
            }
        }
        out.push((t, f64::from_bits(v)));
    }
    let left = r.bytes.len() * 8 - r.bit;
    if left > 8 || r.read_bits(left as u32)? != 0 {
        return Err(Error::malformed(
            "xor chunk",
            2 + (r.bit / 8) as u64,
            format!("{left} bits after the last sample are not zero padding"),
        ));
    }
    Ok(out)
}

fn read_value(r: &mut BitReader<'_>, prev: u64, leading: &mut u8, trailing: &mut u8) -> Result<u64, Error> {
    if !r.read_bit()? {
        return Ok(prev);
    }
    if r.read_bit()? {
        let l = r.read_bits(5)? as u8;
        let sig = match r.read_bits(6)? as u8 {
            0 => 64,
            s => s,
        };
        if l as u32 + sig as u32 > 64 {
            return Err(Error::malformed(
                "xor chunk",
                0,
                format!("value window of {l} leading zeros and {sig} bits exceeds 64"),
            ));
        }
        *leading = l;
        *trailing = 64 - l - sig;
    } else if *leading == 0xff {
        return Err(Error::malformed("xor chunk", 0, "value reuses a window before one was opened"));
    }
    let sig = 64 - *leading as u32 - *trailing as u32;
    Ok(prev ^ (r.read_bits(sig)? << *trailing))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::STALE_NAN;

    fn encode(samples: &[(i64, f64)]) -> Vec<u8> {
        let mut e = XorEncoder::new();
        for &(t, v) in samples {
            e.append(t, v);
        }
        e.into_bytes()
    }

    fn assert_round_trip(samples: &[(i64, f64)]) {
        let got = decode(&encode(samples)).unwrap();
        assert_eq!(got.len(), samples.len());
        for (g, w) in got.iter().zip(samples) {
            assert_eq!(g.0, w.0);
            assert_eq!(g.1.to_bits(), w.1.to_bits(), "value at {}", w.0);
        }
    }

    #[test]
    fn special_values_keep_every_bit() {
        let specials = [
            f64::from_bits(STALE_NAN),
            f64::NAN,
            f64::from_bits(0x7ff8_0000_0000_0001), // Go's math.NaN()
            f64::from_bits(0xfff8_0000_0000_0000), // negative quiet NaN
            f64::INFINITY,
            f64::NEG_INFINITY,
            -0.0,
            0.0,
            5e-324,
            -5e-324,
            f64::MAX,
            f64::MIN_POSITIVE,
            1.0,
        ];
        let samples: Vec<(i64, f64)> =
            specials.iter().enumerate().map(|(i, &v)| (1_000 * i as i64, v)).collect();
        assert_round_trip(&samples);
        // Every ordered pair, so each special follows each other one (new window, reused window, equal).
        let mut pairs = Vec::new();
        let mut t = -5_000;
        for &a in &specials {
            for &b in &specials {
                pairs.push((t, a));
                pairs.push((t + 1, b));
                t += 2;
            }
        }
        assert_round_trip(&pairs);
    }

    #[test]
    fn every_delta_of_delta_bucket_round_trips() {
        // Deltas chosen so the dod lands on each bucket's edges, both signs, and beyond 20 bits.
        let mut t = 1_700_000_000_000i64;
        let mut delta = 1_000_000i64;
        let mut samples = vec![(t, 0.0)];
        for dod in [
            0,
            1,
            -1,
            8192,
            -8191,
            8193,
            -8192,
            65536,
            -65535,
            65537,
            -65536,
            524288,
            -524287,
            524289,
            -524288,
            1 << 40,
            -(1 << 39),
        ] {
            delta += dod;
            t += delta;
            samples.push((t, dod as f64));
        }
        assert_round_trip(&samples);
    }

    #[test]
    fn first_timestamp_may_be_negative_and_deltas_huge() {
        assert_round_trip(&[(-1, 1.0), (0, 2.0), (i64::MAX / 2, 3.0), (i64::MAX / 2 + 1, 4.0)]);
    }

    #[test]
    fn layout_of_a_two_sample_chunk() {
        // Worked by hand: count 2; varint(1000) = d0 0f; 1.0 = 3ff0000000000000; uvarint(15) = 0f;
        // then 2.0 ^ 1.0 = 0x7ff0000000000000: bits "1" (changed), "1" (new window), leading 1 in five
        // bits "00001", 11 significant bits as "001011", then "11111111111", then padding.
        let got = encode(&[(1000, 1.0), (1015, 2.0)]);
        // The delta 0x0f fills the spare byte the 64 value bits left; the 24 bits after it are
        // 1100_0010 0101_1111 1111_1111.
        let want = [0x00, 0x02, 0xd0, 0x0f, 0x3f, 0xf0, 0, 0, 0, 0, 0, 0, 0x0f, 0xc2, 0x5f, 0xff];
        assert_eq!(got, want);
    }

    #[test]
    fn whole_byte_writes_leave_a_spare_zero_byte() {
        // After the first sample the stream is byte-aligned, and write_byte has already pushed the next
        // byte: a one-sample chunk ends in that unused zero byte, as Prometheus' does.
        let got = encode(&[(0, 0.0)]);
        assert_eq!(got, [0x00, 0x01, 0x00, 0, 0, 0, 0, 0, 0, 0, 0, 0x00]);
        assert_eq!(decode(&got).unwrap(), [(0, 0.0)]);
    }

    #[test]
    fn decode_rejects_damage() {
        let good = encode(&[(0, 1.0), (10, 2.0), (20, 3.0)]);
        // More samples claimed than written.
        let mut more = good.clone();
        more[1] = 9;
        assert!(decode(&more).is_err());
        // Garbage after the samples.
        let mut tail = good.clone();
        tail.extend([0xff, 0xff]);
        assert!(decode(&tail).is_err());
        assert!(decode(&[0]).is_err());
    }
}
