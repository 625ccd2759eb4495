//! Writing JSON into a fixed buffer.
//!
//! [`Writer`] never writes past its buffer; once full it keeps counting, so the caller learns the
//! exact size a message needed. Values serialized through serde (serde-json-core) cannot be
//! counted that way: if one does not fit, the total size is unknown.

/// A serde value could not be serialized (not a buffer problem).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct SerializeFailed;

/// Appends JSON text to a byte buffer, counting past its end.
pub(crate) struct Writer<'a> {
    buf: &'a mut [u8],
    pos: usize,
    /// A serde value did not fit: the final size is unknown.
    size_unknown: bool,
}

impl<'a> Writer<'a> {
    pub(crate) fn new(buf: &'a mut [u8]) -> Self {
        Writer {
            buf,
            pos: 0,
            size_unknown: false,
        }
    }

    /// Bytes written (or needed, if it overflowed).
    pub(crate) fn len(&self) -> usize {
        self.pos
    }

    /// True if everything written fits in the buffer.
    pub(crate) fn fits(&self) -> bool {
        !self.size_unknown && self.pos <= self.buf.len()
    }

    /// The size needed, if known.
    pub(crate) fn needed(&self) -> Option<usize> {
        (!self.size_unknown).then_some(self.pos)
    }

    /// The bytes written so far (all of them, if it fits).
    pub(crate) fn written(&self) -> &[u8] {
        self.buf.get(..self.pos.min(self.buf.len())).unwrap_or(&[])
    }

    /// Mutable access to the written bytes.
    pub(crate) fn written_mut(&mut self) -> &mut [u8] {
        let end = self.pos.min(self.buf.len());
        self.buf.get_mut(..end).unwrap_or(&mut [])
    }

    /// Drops written bytes back to `len`.
    pub(crate) fn truncate(&mut self, len: usize) {
        if len < self.pos && !self.size_unknown {
            self.pos = len;
        }
    }

    pub(crate) fn bytes(&mut self, data: &[u8]) {
        if let Some(dst) = self.buf.get_mut(self.pos..self.pos + data.len()) {
            dst.copy_from_slice(data);
        }
        self.pos += data.len();
    }

    pub(crate) fn byte(&mut self, c: u8) {
        if let Some(dst) = self.buf.get_mut(self.pos) {
            *dst = c;
        }
        self.pos += 1;
    }

    pub(crate) fn raw(&mut self, text: impl AsRef<[u8]>) {
        self.bytes(text.as_ref());
    }

    pub(crate) fn u64(&mut self, mut n: u64) {
        let mut digits = [0u8; 20];
        let mut i = digits.len();
        loop {
            i -= 1;
            if let Some(d) = digits.get_mut(i) {
                *d = b'0' + (n % 10) as u8;
            }
            n /= 10;
            if n == 0 || i == 0 {
                break;
            }
        }
        self.bytes(digits.get(i..).unwrap_or(&[]));
    }

    pub(crate) fn i64(&mut self, n: i64) {
        if n < 0 {
            self.byte(b'-');
        }
        self.u64(n.unsigned_abs());
    }

    /// Writes `s` as a quoted JSON string, escaping what JSON requires.
    pub(crate) fn string(&mut self, s: &str) {
        self.byte(b'"');
        self.escaped(s);
        self.byte(b'"');
    }

    /// Writes the escaped content of `s` (no quotes).
    pub(crate) fn escaped(&mut self, s: &str) {
        let mut start = 0;
        let bytes = s.as_bytes();
        for (i, &c) in bytes.iter().enumerate() {
            let esc: &[u8] = match c {
                b'"' => b"\\\"",
                b'\\' => b"\\\\",
                b'\n' => b"\\n",
                b'\r' => b"\\r",
                b'\t' => b"\\t",
                0x08 => b"\\b",
                0x0c => b"\\f",
                0..=0x1f => b"",
                _ => continue,
            };
            self.bytes(bytes.get(start..i).unwrap_or(&[]));
            if esc.is_empty() {
                const HEX: &[u8; 16] = b"0123456789abcdef";
                self.bytes(b"\\u00");
                self.byte(HEX[usize::from(c >> 4)]);
                self.byte(HEX[usize::from(c & 0xf)]);
            } else {
                self.bytes(esc);
            }
            start = i + 1;
        }
        self.bytes(bytes.get(start..).unwrap_or(&[]));
    }

    /// Serializes `value` with serde-json-core.
    pub(crate) fn serialize<T: serde::Serialize + ?Sized>(
        &mut self,
        value: &T,
    ) -> Result<(), SerializeFailed> {
        if self.size_unknown {
            return Ok(());
        }
        let Some(dst) = self.buf.get_mut(self.pos..) else {
            self.size_unknown = true;
            return Ok(());
        };
        match serde_json_core::to_slice(value, dst) {
            Ok(n) => {
                self.pos += n;
                Ok(())
            }
            Err(serde_json_core::ser::Error::BufferFull) => {
                self.size_unknown = true;
                Ok(())
            }
            Err(_) => Err(SerializeFailed),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_and_counts() {
        let mut buf = [0u8; 64];
        let mut w = Writer::new(&mut buf);
        w.string("a\"b\\c\nd\u{1}é");
        w.byte(b',');
        w.i64(-1234);
        w.byte(b',');
        w.u64(0);
        w.byte(b',');
        w.u64(u64::MAX);
        assert!(w.fits());
        assert_eq!(
            core::str::from_utf8(w.written()).unwrap(),
            "\"a\\\"b\\\\c\\nd\\u0001é\",-1234,0,18446744073709551615"
        );

        let mut small = [0u8; 4];
        let mut w = Writer::new(&mut small);
        w.string("hello");
        assert!(!w.fits());
        assert_eq!(w.needed(), Some(7));
        assert_eq!(small, [b'"', 0, 0, 0]);
    }

    #[test]
    fn serde_overflow_makes_size_unknown() {
        let mut buf = [0u8; 8];
        let mut w = Writer::new(&mut buf);
        w.serialize(&[1u32, 2, 3, 4, 5]).unwrap();
        assert!(!w.fits());
        assert_eq!(w.needed(), None);
    }
}
