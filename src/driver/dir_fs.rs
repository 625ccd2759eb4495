//! (feature `std`) [`DirectoryFs`]: a session filesystem kept in a directory of yours, for the
//! CLI's `sessionFs.*` requests once `sessionFs.setProvider` made this client their provider.
//!
//! Each session gets a folder under the root, named after its id; every path the CLI sends is
//! mapped inside that folder, and nothing escapes it: `..` components are refused (never
//! followed), and so is a path through a symbolic link that leads out of the root. The checks
//! run on each request, against the files as they are; a process that swaps a checked folder
//! for a link between the check and the use is outside what this guards against (keep the root
//! where only this program writes).
//!
//! (Crates that jail paths with the system's `openat` family exist, but the crate keeps to its
//! few dependencies, and these checks are what the CLI's paths need.)

use std::ffi::OsStr;
use std::fmt;
use std::format;
use std::fs;
use std::io;
use std::path::{Component, Path, PathBuf};
use std::string::{String, ToString};
use std::vec::Vec;

use crate::proto::params::SessionFsSetProviderConventions;

/// Why a session filesystem operation failed, as the CLI wants it: `ENOENT` or anything
/// else, with a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FsFailure {
    /// The file or folder does not exist (`ENOENT` on the wire).
    pub not_found: bool,
    /// What happened.
    pub message: String,
}

impl fmt::Display for FsFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl From<io::Error> for FsFailure {
    fn from(e: io::Error) -> Self {
        FsFailure {
            not_found: e.kind() == io::ErrorKind::NotFound,
            message: e.to_string(),
        }
    }
}

fn refused(message: &str) -> FsFailure {
    FsFailure {
        not_found: false,
        message: message.into(),
    }
}

/// What `stat` tells.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FsStat {
    /// A regular file.
    pub is_file: bool,
    /// A folder.
    pub is_directory: bool,
    /// Its size in bytes.
    pub size: u64,
    /// Last modified, in milliseconds since the Unix epoch.
    pub modified_ms: u64,
    /// Created (or, where the system does not say, last modified), in milliseconds since the
    /// Unix epoch.
    pub created_ms: u64,
}

/// A session filesystem in a directory of yours: each session gets a folder under the root,
/// named after its id, and every path the CLI sends is mapped inside that folder. Nothing
/// escapes it: `..` components are refused (never followed), and so is a path through a
/// symbolic link that leads out of the root. The checks run on each request, against the
/// files as they are (keep the root where only this program writes).
#[derive(Debug, Clone)]
pub struct DirectoryFs {
    root: PathBuf,
    conventions: SessionFsSetProviderConventions,
}

impl DirectoryFs {
    /// Keeps session files under `root` (created if missing), reading the CLI's paths with
    /// `conventions` (those given to `sessionFs.setProvider`).
    pub fn new(
        root: impl AsRef<Path>,
        conventions: SessionFsSetProviderConventions,
    ) -> io::Result<Self> {
        fs::create_dir_all(root.as_ref())?;
        Ok(DirectoryFs {
            root: fs::canonicalize(root.as_ref())?,
            conventions,
        })
    }

    /// The root, canonical.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The folder of session `session_id`: its id as one path component (ids that are not
    /// plain names, such as `..` or ones with separators, are written in hex, so no id can
    /// name a folder outside the root or another session's).
    pub fn session_dir(&self, session_id: &str) -> PathBuf {
        let plain = !session_id.is_empty()
            && session_id != "."
            && session_id != ".."
            // The prefix of the written-in-hex names: a plain id never looks like one.
            && !session_id.starts_with("id-")
            && session_id
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'));
        let name = match plain {
            true => session_id.to_string(),
            false => {
                let hex: String = session_id.bytes().map(|b| format!("{b:02x}")).collect();
                format!("id-{hex}")
            }
        };
        self.root.join(name)
    }

    /// Where the CLI's `path` for session `session_id` lives on disk, or why it may not be
    /// touched: a `..` component, a NUL byte, or a symbolic link on the way that leads out of
    /// the root.
    pub fn resolve(&self, session_id: &str, path: &str) -> Result<PathBuf, FsFailure> {
        if path.contains('\0') {
            return Err(refused("path holds a NUL byte"));
        }
        let mut out = self.session_dir(session_id);
        let parts: Vec<&str> = match self.conventions {
            SessionFsSetProviderConventions::Windows => {
                // A drive (`C:`) names the namespace's root, like a leading separator.
                let rest = match path.as_bytes() {
                    [d, b':', ..] if d.is_ascii_alphabetic() => path.get(2..).unwrap_or(""),
                    _ => path,
                };
                rest.split(['/', '\\']).collect()
            }
            _ => path.split('/').collect(),
        };
        for part in parts {
            match part {
                "" | "." => {}
                ".." => return Err(refused("path escapes its session: `..` is not followed")),
                part => {
                    // One component each: nothing in it may act as a separator or a prefix.
                    let mut components = Path::new(part).components();
                    match (components.next(), components.next()) {
                        (Some(Component::Normal(c)), None) if c == OsStr::new(part) => {}
                        _ => return Err(refused("path component is not a plain name")),
                    }
                    out.push(part);
                    self.check_link(&out)?;
                }
            }
        }
        Ok(out)
    }

    /// A symbolic link at `at` must lead inside the root.
    fn check_link(&self, at: &Path) -> Result<(), FsFailure> {
        let is_link = fs::symlink_metadata(at).is_ok_and(|m| m.file_type().is_symlink());
        if !is_link {
            return Ok(());
        }
        match fs::canonicalize(at) {
            Ok(target) if target.starts_with(&self.root) => Ok(()),
            _ => Err(refused(
                "path goes through a link that leads out of the root",
            )),
        }
    }

    /// `sessionFs.readFile`: the file as text.
    pub fn read_file(&self, session_id: &str, path: &str) -> Result<String, FsFailure> {
        Ok(fs::read_to_string(self.resolve(session_id, path)?)?)
    }

    /// `sessionFs.readFileBytes`: the file's bytes.
    pub fn read_file_bytes(&self, session_id: &str, path: &str) -> Result<Vec<u8>, FsFailure> {
        Ok(fs::read(self.resolve(session_id, path)?)?)
    }

    /// `sessionFs.writeFile` (`append`: `sessionFs.appendFile`): creates the file's folders
    /// as needed.
    pub fn write_file(
        &self,
        session_id: &str,
        path: &str,
        content: &[u8],
        append: bool,
    ) -> Result<(), FsFailure> {
        let at = self.resolve(session_id, path)?;
        if let Some(parent) = at.parent() {
            fs::create_dir_all(parent)?;
        }
        let mut file = fs::OpenOptions::new()
            .create(true)
            .append(append)
            .write(true)
            .truncate(!append)
            .open(&at)?;
        io::Write::write_all(&mut file, content)?;
        Ok(())
    }

    /// `sessionFs.exists` (a path that may not be touched does not exist).
    pub fn exists(&self, session_id: &str, path: &str) -> bool {
        self.resolve(session_id, path)
            .is_ok_and(|at| fs::symlink_metadata(at).is_ok())
    }

    /// `sessionFs.stat`.
    pub fn stat(&self, session_id: &str, path: &str) -> Result<FsStat, FsFailure> {
        let m = fs::metadata(self.resolve(session_id, path)?)?;
        let ms = |t: io::Result<std::time::SystemTime>| {
            t.ok()
                .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
                .map_or(0, |d| d.as_millis() as u64)
        };
        let modified_ms = ms(m.modified());
        Ok(FsStat {
            is_file: m.is_file(),
            is_directory: m.is_dir(),
            size: m.len(),
            modified_ms,
            created_ms: match ms(m.created()) {
                0 => modified_ms,
                t => t,
            },
        })
    }

    /// `sessionFs.mkdir`.
    pub fn mkdir(&self, session_id: &str, path: &str, recursive: bool) -> Result<(), FsFailure> {
        let at = self.resolve(session_id, path)?;
        match recursive {
            true => fs::create_dir_all(at)?,
            false => fs::create_dir(at)?,
        }
        Ok(())
    }

    /// `sessionFs.readdir` / `readdirWithTypes`: names, and whether each is a folder.
    pub fn read_dir(&self, session_id: &str, path: &str) -> Result<Vec<(String, bool)>, FsFailure> {
        let mut entries = Vec::new();
        for e in fs::read_dir(self.resolve(session_id, path)?)? {
            let e = e?;
            let is_dir = e.file_type().is_ok_and(|t| t.is_dir());
            entries.push((e.file_name().to_string_lossy().into_owned(), is_dir));
        }
        entries.sort();
        Ok(entries)
    }

    /// `sessionFs.rm`: with `force`, a missing path is no error; a folder needs `recursive`
    /// unless it is empty.
    pub fn remove(
        &self,
        session_id: &str,
        path: &str,
        recursive: bool,
        force: bool,
    ) -> Result<(), FsFailure> {
        let at = self.resolve(session_id, path)?;
        let removed = match fs::symlink_metadata(&at) {
            Ok(m) if m.is_dir() && recursive => fs::remove_dir_all(&at),
            Ok(m) if m.is_dir() => fs::remove_dir(&at),
            Ok(_) => fs::remove_file(&at),
            Err(e) => Err(e),
        };
        match removed {
            Err(e) if force && e.kind() == io::ErrorKind::NotFound => Ok(()),
            r => Ok(r?),
        }
    }

    /// `sessionFs.rename`: both paths inside the session.
    pub fn rename(&self, session_id: &str, from: &str, to: &str) -> Result<(), FsFailure> {
        let (from, to) = (
            self.resolve(session_id, from)?,
            self.resolve(session_id, to)?,
        );
        if let Some(parent) = to.parent() {
            fs::create_dir_all(parent)?;
        }
        Ok(fs::rename(from, to)?)
    }
}
