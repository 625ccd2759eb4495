//! [`SessionId`]: the id a session has on the wire.

use core::fmt;

/// The longest session id accepted, in bytes.
pub const MAX_SESSION_ID_LEN: usize = 64;

/// A session id: a UUID v4 made from caller-supplied random bytes, or a string the caller chose
/// (1 to [`MAX_SESSION_ID_LEN`] bytes, no control characters).
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct SessionId(heapless::String<MAX_SESSION_ID_LEN, u8>);

/// A session id was empty, too long or held control characters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct InvalidSessionId;

impl fmt::Display for InvalidSessionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "session id must be 1 to {MAX_SESSION_ID_LEN} bytes without control characters"
        )
    }
}

impl SessionId {
    /// A random (version 4) UUID, lower-case and hyphenated, from 16 random bytes the caller
    /// supplies (the library has no random source).
    pub fn new_v4(random: [u8; 16]) -> Self {
        let uuid = uuid::Builder::from_random_bytes(random).into_uuid();
        let mut buf = [0u8; uuid::fmt::Hyphenated::LENGTH];
        let text = uuid.hyphenated().encode_lower(&mut buf);
        let mut s = heapless::String::new();
        // 36 bytes always fit in 64.
        let _ = s.push_str(text);
        SessionId(s)
    }

    /// A random (version 4) UUID from the operating system's randomness (feature `std`), as
    /// the official SDKs make them.
    #[cfg(feature = "std")]
    pub fn random() -> Self {
        Self::new_v4(uuid::Uuid::new_v4().into_bytes())
    }

    /// A caller-chosen id, e.g. `"user-123-task-456"`, to resume later by name.
    pub fn new(id: &str) -> Result<Self, InvalidSessionId> {
        if id.is_empty() || id.chars().any(char::is_control) {
            return Err(InvalidSessionId);
        }
        let mut s = heapless::String::new();
        s.push_str(id).map_err(|_| InvalidSessionId)?;
        Ok(SessionId(s))
    }

    /// The id.
    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }
}

impl TryFrom<&str> for SessionId {
    type Error = InvalidSessionId;
    fn try_from(id: &str) -> Result<Self, InvalidSessionId> {
        SessionId::new(id)
    }
}

impl fmt::Display for SessionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for SessionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SessionId({})", self.as_str())
    }
}

#[cfg(feature = "defmt")]
impl defmt::Format for SessionId {
    fn format(&self, f: defmt::Formatter<'_>) {
        defmt::write!(f, "{=str}", self.as_str())
    }
}

impl PartialEq<str> for SessionId {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<&str> for SessionId {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl SessionId {
    /// The empty id of a free table slot (not a valid id).
    pub(crate) const EMPTY: SessionId = SessionId(heapless::String::new());
}

impl core::error::Error for InvalidSessionId {}

#[cfg(test)]
mod tests {
    #[cfg(feature = "std")]
    #[test]
    fn random_ids_are_v4_uuids_and_differ() {
        let (a, b) = (SessionId::random(), SessionId::random());
        assert_ne!(a, b);
        for id in [a, b] {
            let text = id.as_str();
            let parsed = uuid::Uuid::parse_str(text).map(|u| u.get_version_num());
            assert_eq!(parsed, Ok(4), "{text}");
            assert_eq!(text, text.to_ascii_lowercase());
        }
    }

    use super::*;

    #[test]
    fn uuid_v4_from_random_bytes() {
        let a = SessionId::new_v4([0xAB; 16]);
        assert_eq!(a.as_str(), "abababab-abab-4bab-abab-abababababab");
        assert_eq!(a.as_str().len(), 36);
    }

    #[test]
    fn caller_ids_are_checked() {
        assert!(SessionId::new("user-123-task-456").is_ok());
        assert_eq!(SessionId::new(""), Err(InvalidSessionId));
        assert_eq!(SessionId::new("a\nb"), Err(InvalidSessionId));
        assert!(SessionId::new(&"x".repeat(64)).is_ok());
        assert_eq!(SessionId::new(&"x".repeat(65)), Err(InvalidSessionId));
    }
}
