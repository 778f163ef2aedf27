//! The integer encodings every TSDB file uses: big-endian fixed widths, Go's `binary.PutUvarint` (LEB128)
//! and `binary.PutVarint` (zigzag, then LEB128), and CRC-32C (Castagnoli) stored big-endian.

use super::Error;

/// Longest uvarint of a u64, as Go's `binary.MaxVarintLen64`.
pub const MAX_VARINT_LEN: usize = 10;

/// CRC-32C (Castagnoli), the checksum of every TSDB section.
pub fn crc32c(bytes: &[u8]) -> u32 {
    crc32c::crc32c(bytes)
}

/// Continues a CRC-32C over more bytes.
pub fn crc32c_append(crc: u32, bytes: &[u8]) -> u32 {
    crc32c::crc32c_append(crc, bytes)
}

pub fn put_be32(buf: &mut Vec<u8>, v: u32) {
    buf.extend_from_slice(&v.to_be_bytes());
}

pub fn put_be64(buf: &mut Vec<u8>, v: u64) {
    buf.extend_from_slice(&v.to_be_bytes());
}

pub fn put_uvarint(buf: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        buf.push(v as u8 | 0x80);
        v >>= 7;
    }
    buf.push(v as u8);
}

pub fn put_varint(buf: &mut Vec<u8>, v: i64) {
    put_uvarint(buf, ((v << 1) ^ (v >> 63)) as u64);
}

/// A string as the index stores it: uvarint length, then the bytes.
pub fn put_uvarint_str(buf: &mut Vec<u8>, s: &str) {
    put_uvarint(buf, s.len() as u64);
    buf.extend_from_slice(s.as_bytes());
}

/// Appends the CRC-32C of `buf[from..]`.
pub fn put_crc_of(buf: &mut Vec<u8>, from: usize) {
    let crc = crc32c(&buf[from..]);
    put_be32(buf, crc);
}

/// Zero bytes up to the next multiple of `align` (the index aligns series to 16, lists to 4).
pub fn pad_to(buf: &mut Vec<u8>, align: usize) {
    let rem = buf.len() % align;
    if rem != 0 {
        buf.resize(buf.len() + align - rem, 0);
    }
}

/// A cursor over part of a file; errors name the section (`what`) and the absolute file offset.
#[derive(Debug, Clone)]
pub struct Decbuf<'a> {
    bytes: &'a [u8],
    pos: usize,
    /// File offset of `bytes[0]`.
    base: u64,
    what: &'static str,
}

impl<'a> Decbuf<'a> {
    pub fn new(bytes: &'a [u8], base: u64, what: &'static str) -> Decbuf<'a> {
        Decbuf { bytes, pos: 0, base, what }
    }

    /// The absolute file offset of the next byte.
    pub fn offset(&self) -> u64 {
        self.base + self.pos as u64
    }

    pub fn left(&self) -> usize {
        self.bytes.len() - self.pos
    }

    pub fn is_empty(&self) -> bool {
        self.left() == 0
    }

    pub fn malformed(&self, reason: impl Into<String>) -> Error {
        Error::malformed(self.what, self.offset(), reason)
    }

    pub fn bytes(&mut self, n: usize) -> Result<&'a [u8], Error> {
        if n > self.left() {
            return Err(Error::Truncated {
                what: self.what,
                offset: self.offset(),
                need: n as u64,
                left: self.left() as u64,
            });
        }
        let out = &self.bytes[self.pos..self.pos + n];
        self.pos += n;
        Ok(out)
    }

    pub fn skip(&mut self, n: usize) -> Result<(), Error> {
        self.bytes(n).map(|_| ())
    }

    pub fn byte(&mut self) -> Result<u8, Error> {
        Ok(self.bytes(1)?[0])
    }

    pub fn be32(&mut self) -> Result<u32, Error> {
        Ok(u32::from_be_bytes(self.bytes(4)?.try_into().expect("4 bytes")))
    }

    pub fn be64(&mut self) -> Result<u64, Error> {
        Ok(u64::from_be_bytes(self.bytes(8)?.try_into().expect("8 bytes")))
    }

    /// Go's `binary.Uvarint`: at most 10 bytes, the 10th at most 1.
    pub fn uvarint(&mut self) -> Result<u64, Error> {
        let start = self.offset();
        let mut v = 0u64;
        for i in 0..MAX_VARINT_LEN {
            let b = self.byte()?;
            if b < 0x80 {
                if i == MAX_VARINT_LEN - 1 && b > 1 {
                    break;
                }
                return Ok(v | (b as u64) << (7 * i));
            }
            v |= ((b & 0x7f) as u64) << (7 * i);
        }
        Err(Error::malformed(self.what, start, "varint overflows 64 bits"))
    }

    pub fn varint(&mut self) -> Result<i64, Error> {
        let u = self.uvarint()?;
        Ok((u >> 1) as i64 ^ -((u & 1) as i64))
    }

    /// A uvarint that must fit in 32 bits (symbol references).
    pub fn uvarint32(&mut self) -> Result<u32, Error> {
        let start = self.offset();
        let v = self.uvarint()?;
        u32::try_from(v).map_err(|_| Error::malformed(self.what, start, format!("value {v} exceeds 32 bits")))
    }

    pub fn uvarint_str(&mut self) -> Result<&'a str, Error> {
        let n = self.uvarint()?;
        let start = self.offset();
        let n = usize::try_from(n).map_err(|_| self.malformed(format!("string length {n} too large")))?;
        std::str::from_utf8(self.bytes(n)?)
            .map_err(|_| Error::malformed(self.what, start, "string is not UTF-8"))
    }

    /// Checks the big-endian CRC-32C that follows, over `self.bytes[from..pos]`.
    pub fn check_crc(&mut self, from: usize) -> Result<(), Error> {
        let computed = crc32c(&self.bytes[from..self.pos]);
        let at = self.offset();
        let stored = self.be32()?;
        if stored != computed {
            return Err(Error::Checksum { what: self.what, offset: at, stored, computed });
        }
        Ok(())
    }

    /// Position within this cursor's bytes, for [`Decbuf::check_crc`].
    pub fn pos(&self) -> usize {
        self.pos
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc32c_check_value() {
        // The standard check value of CRC-32C (RFC 3720 appendix B.4).
        assert_eq!(crc32c(b"123456789"), 0xE306_9283);
        assert_eq!(crc32c(b""), 0);
    }

    #[test]
    fn uvarint_matches_leb128() {
        let cases: &[(u64, &[u8])] = &[
            (0, &[0x00]),
            (1, &[0x01]),
            (127, &[0x7f]),
            (128, &[0x80, 0x01]),
            (300, &[0xac, 0x02]),
            (u64::MAX, &[0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]),
        ];
        for &(v, want) in cases {
            let mut buf = Vec::new();
            put_uvarint(&mut buf, v);
            assert_eq!(buf, want, "{v}");
            assert_eq!(Decbuf::new(&buf, 0, "test").uvarint().unwrap(), v);
        }
    }

    #[test]
    fn varint_is_zigzag() {
        // Zigzag maps 0, -1, 1, -2, 2 to 0, 1, 2, 3, 4.
        for (v, z) in [(0i64, 0u8), (-1, 1), (1, 2), (-2, 3), (2, 4)] {
            let mut buf = Vec::new();
            put_varint(&mut buf, v);
            assert_eq!(buf, [z]);
        }
        for v in [i64::MIN, i64::MIN + 1, -300, 300, i64::MAX, 1_700_000_000_000] {
            let mut buf = Vec::new();
            put_varint(&mut buf, v);
            assert_eq!(Decbuf::new(&buf, 0, "test").varint().unwrap(), v);
        }
    }

    #[test]
    fn uvarint_rejects_overflow_and_truncation() {
        let eleven = [0xffu8; 10];
        assert!(matches!(Decbuf::new(&eleven, 0, "t").uvarint(), Err(Error::Malformed { .. })));
        let ten_big = [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02];
        assert!(matches!(Decbuf::new(&ten_big, 0, "t").uvarint(), Err(Error::Malformed { .. })));
        assert!(matches!(Decbuf::new(&[0x80], 7, "t").uvarint(), Err(Error::Truncated { offset: 8, .. })));
    }

    #[test]
    fn crc_and_strings_round_trip() {
        let mut buf = Vec::new();
        put_uvarint_str(&mut buf, "é\"\\");
        put_crc_of(&mut buf, 0);
        let mut d = Decbuf::new(&buf, 100, "test");
        assert_eq!(d.uvarint_str().unwrap(), "é\"\\");
        d.check_crc(0).unwrap();
        assert!(d.is_empty());

        buf[1] ^= 0x01;
        let mut d = Decbuf::new(&buf, 100, "test");
        d.skip(buf.len() - 4).unwrap();
        assert!(matches!(d.check_crc(0), Err(Error::Checksum { offset: 100.., .. })));
    }

    #[test]
    fn padding_aligns() {
        let mut buf = vec![1u8; 17];
        pad_to(&mut buf, 16);
        assert_eq!(buf.len(), 32);
        assert!(buf[17..].iter().all(|&b| b == 0));
        pad_to(&mut buf, 16);
        assert_eq!(buf.len(), 32);
    }
}
