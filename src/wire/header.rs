//! Content-Length framing (docs/protocol.md, Framing).
//!
//! Decoding is incremental and bounded: header lines are parsed as they complete, the header
//! name is matched case-insensitively, its value trimmed and read as an unsigned decimal byte
//! count, other headers are ignored. Lines may end in `\r\n` (what every sender writes) or a bare
//! `\n`. A header block longer than [`MAX_HEADER_LEN`], a header line that is not `name: value`,
//! a missing, non-decimal or contradictory `Content-Length` is malformed: framing is lost.
//!
//! Encoding writes exactly `Content-Length: N\r\n\r\n` and the body.

use core::fmt;

/// The longest header block accepted, in bytes.
pub const MAX_HEADER_LEN: usize = 1024;

/// Why a frame header could not be read. Framing is lost, so this ends the connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum HeaderError {
    /// The header block ended without a `Content-Length`.
    MissingContentLength,
    /// `Content-Length` is not an unsigned decimal number that fits in 64 bits.
    InvalidContentLength,
    /// Two `Content-Length` headers with different values.
    ConflictingContentLength,
    /// A header line that is not `name: value` with a token name.
    InvalidLine,
    /// No end of the header block within [`MAX_HEADER_LEN`] bytes, or within the receive
    /// buffer if it is smaller.
    TooLong,
}

impl fmt::Display for HeaderError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            HeaderError::MissingContentLength => "header without Content-Length",
            HeaderError::InvalidContentLength => "Content-Length is not an unsigned decimal",
            HeaderError::ConflictingContentLength => "conflicting Content-Length headers",
            HeaderError::InvalidLine => "header line is not `name: value`",
            HeaderError::TooLong => "header block too long",
        })
    }
}

impl core::error::Error for HeaderError {}

/// Where the parse of one header block stands; offsets are from the frame's first byte.
#[derive(Debug, Clone, Copy, Default)]
pub struct HeaderScan {
    scanned: usize,
    line_start: usize,
    content_length: Option<u64>,
}

/// The result of feeding bytes to a [`HeaderScan`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HeaderStatus {
    /// The header block is not complete yet.
    Incomplete,
    /// The header block is complete.
    Done {
        /// Its length in bytes.
        header_len: usize,
        /// The body length it announces.
        body_len: u64,
    },
    /// Framing is lost.
    Malformed(HeaderError),
}

/// The header every sender writes, `Content-Length: N\r\n\r\n`, read directly; anything
/// else (or an incomplete header) is left to the general parser.
fn exact_header(data: &[u8]) -> Option<(usize, u64)> {
    const NAME: &[u8] = b"Content-Length: ";
    let rest = data.strip_prefix(NAME)?;
    let digits = rest
        .iter()
        .take(20)
        .take_while(|c| c.is_ascii_digit())
        .count();
    let end = rest.get(digits..digits + 4)?;
    if digits == 0 || end != b"\r\n\r\n" {
        return None;
    }
    let mut n: u64 = 0;
    for &d in rest.get(..digits)? {
        n = n.checked_mul(10)?.checked_add(u64::from(d - b'0'))?;
    }
    Some((NAME.len() + digits + 4, n))
}

fn is_token(c: u8) -> bool {
    c.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&c)
}

fn parse_line(line: &[u8], content_length: &mut Option<u64>) -> Result<(), HeaderError> {
    let colon = line
        .iter()
        .position(|&c| c == b':')
        .ok_or(HeaderError::InvalidLine)?;
    let (name, value) = line.split_at(colon);
    if name.is_empty() || !name.iter().all(|&c| is_token(c)) {
        return Err(HeaderError::InvalidLine);
    }
    if !name.eq_ignore_ascii_case(b"content-length") {
        return Ok(());
    }
    let value = value.get(1..).unwrap_or(&[]).trim_ascii();
    if value.is_empty() || value.len() > 20 || !value.iter().all(u8::is_ascii_digit) {
        return Err(HeaderError::InvalidContentLength);
    }
    let mut n: u64 = 0;
    for &d in value {
        n = n
            .checked_mul(10)
            .and_then(|n| n.checked_add(u64::from(d - b'0')))
            .ok_or(HeaderError::InvalidContentLength)?;
    }
    match *content_length {
        Some(prev) if prev != n => Err(HeaderError::ConflictingContentLength),
        _ => {
            *content_length = Some(n);
            Ok(())
        }
    }
}

impl HeaderScan {
    /// The state before the first header byte.
    pub(crate) const NEW: HeaderScan = HeaderScan {
        scanned: 0,
        line_start: 0,
        content_length: None,
    };

    /// Continues parsing; `data` is everything received from the frame's first byte on.
    pub(crate) fn advance(&mut self, data: &[u8]) -> HeaderStatus {
        if self.scanned == 0
            && let Some((header_len, body_len)) = exact_header(data)
        {
            return HeaderStatus::Done {
                header_len,
                body_len,
            };
        }
        let limit = data.len().min(MAX_HEADER_LEN);
        while self.scanned < limit {
            let Some(rest) = data.get(self.scanned..limit) else {
                break;
            };
            let Some(nl) = rest.iter().position(|&c| c == b'\n') else {
                self.scanned = limit;
                break;
            };
            let end = self.scanned + nl;
            let line = data.get(self.line_start..end).unwrap_or(&[]);
            let line = line.strip_suffix(b"\r").unwrap_or(line);
            self.scanned = end + 1;
            self.line_start = end + 1;
            if line.is_empty() {
                return match self.content_length {
                    Some(body_len) => HeaderStatus::Done {
                        header_len: end + 1,
                        body_len,
                    },
                    None => HeaderStatus::Malformed(HeaderError::MissingContentLength),
                };
            }
            if let Err(e) = parse_line(line, &mut self.content_length) {
                return HeaderStatus::Malformed(e);
            }
        }
        if self.scanned >= MAX_HEADER_LEN {
            HeaderStatus::Malformed(HeaderError::TooLong)
        } else {
            HeaderStatus::Incomplete
        }
    }
}

/// Bytes of `Content-Length: N\r\n\r\n` for a body of `len` bytes.
pub(crate) fn header_len(len: usize) -> usize {
    let mut digits = 1;
    let mut n = len;
    while n >= 10 {
        n /= 10;
        digits += 1;
    }
    "Content-Length: \r\n\r\n".len() + digits
}

/// Writes `Content-Length: N\r\n\r\n` into `out` (exactly [`header_len`] bytes long).
pub(crate) fn write_header(len: usize, out: &mut [u8]) {
    let mut w = crate::json::write::Writer::new(out);
    w.raw("Content-Length: ");
    w.u64(len as u64);
    w.raw("\r\n\r\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(data: &[u8]) -> HeaderStatus {
        HeaderScan::default().advance(data)
    }

    #[test]
    fn parses_headers() {
        assert_eq!(
            parse(b"Content-Length: 66\r\n\r\n{"),
            HeaderStatus::Done {
                header_len: 22,
                body_len: 66
            }
        );
        assert_eq!(
            parse(b"content-LENGTH:7\r\nContent-Type: application/vscode-jsonrpc; charset=utf-8\r\n\r\n"),
            HeaderStatus::Done {
                header_len: 77,
                body_len: 7
            }
        );
        assert_eq!(
            parse(b"Content-Length:  5 \n\n"),
            HeaderStatus::Done {
                header_len: 21,
                body_len: 5
            }
        );
        assert_eq!(
            parse(b"Content-Length: 5\r\nContent-Length: 5\r\n\r\n"),
            HeaderStatus::Done {
                header_len: 40,
                body_len: 5
            }
        );
    }

    #[test]
    fn incremental_parse_gives_the_same_result() {
        let data = b"X-A: 1\r\nContent-Length: 123\r\n\r\nbody";
        let mut scan = HeaderScan::default();
        let mut last = HeaderStatus::Incomplete;
        for n in 0..=data.len() {
            last = scan.advance(&data[..n]);
            if last != HeaderStatus::Incomplete {
                break;
            }
        }
        assert_eq!(
            last,
            HeaderStatus::Done {
                header_len: 31,
                body_len: 123
            }
        );
    }

    #[test]
    fn rejects_malformed_headers() {
        use HeaderError::*;
        let m = |e| HeaderStatus::Malformed(e);
        assert_eq!(parse(b"\r\n"), m(MissingContentLength));
        assert_eq!(parse(b"X-Other: 1\r\n\r\n"), m(MissingContentLength));
        assert_eq!(
            parse(b"Content-Length: -5\r\n\r\n"),
            m(InvalidContentLength)
        );
        assert_eq!(
            parse(b"Content-Length: 0x10\r\n\r\n"),
            m(InvalidContentLength)
        );
        assert_eq!(
            parse(b"Content-Length: 1 2\r\n\r\n"),
            m(InvalidContentLength)
        );
        assert_eq!(parse(b"Content-Length: \r\n\r\n"), m(InvalidContentLength));
        assert_eq!(
            parse(b"Content-Length: 18446744073709551616\r\n\r\n"),
            m(InvalidContentLength)
        );
        assert_eq!(
            parse(b"Content-Length: 18446744073709551615\r\n\r\n"),
            HeaderStatus::Done {
                header_len: 40,
                body_len: u64::MAX
            }
        );
        assert_eq!(
            parse(b"Content-Length: 5\r\nContent-Length: 6\r\n\r\n"),
            m(ConflictingContentLength)
        );
        assert_eq!(parse(b"{\"jsonrpc\":\"2.0\"}\r\n"), m(InvalidLine));
        assert_eq!(parse(b"Content Length: 5\r\n"), m(InvalidLine));
        assert_eq!(parse(b"no colon here\r\n"), m(InvalidLine));
        assert_eq!(parse(&[b'x'; MAX_HEADER_LEN]), m(TooLong));
        assert_eq!(parse(&[b'x'; MAX_HEADER_LEN - 1]), HeaderStatus::Incomplete);
    }

    #[test]
    fn encodes_headers() {
        for len in [0, 9, 10, 66, 99999, 123456789] {
            let mut out = [0u8; 40];
            let n = header_len(len);
            write_header(len, &mut out[..n]);
            extern crate std;
            assert_eq!(
                &out[..n],
                std::format!("Content-Length: {len}\r\n\r\n").as_bytes()
            );
        }
    }
}
