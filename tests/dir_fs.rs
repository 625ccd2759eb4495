//! `driver::DirectoryFs`: a session filesystem in a directory, from which no path the CLI
//! sends escapes, however hostile.

use std::path::PathBuf;

use copilot_sansio::driver::DirectoryFs;
use copilot_sansio::proto::params::SessionFsSetProviderConventions;

fn temp(name: &str) -> PathBuf {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    let dir = std::env::temp_dir().join(format!(
        "copilot-sansio-dirfs-{name}-{}-{nanos}",
        std::process::id()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

const SID: &str = "9d54a69c-624b-4a7a-a3f8-d57c18a45562";

#[test]
fn files_round_trip_inside_the_session_folder() {
    let root = temp("round-trip");
    let fs = DirectoryFs::new(root.join("state"), SessionFsSetProviderConventions::Posix).unwrap();
    let path = "/session-state/checkpoints/index.md";
    assert!(!fs.exists(SID, path));
    fs.write_file(SID, path, b"# Checkpoint History\n", false)
        .unwrap();
    fs.write_file(SID, path, b"- one\n", true).unwrap();
    assert_eq!(
        fs.read_file(SID, path).unwrap(),
        "# Checkpoint History\n- one\n"
    );
    let on_disk = fs
        .session_dir(SID)
        .join("session-state/checkpoints/index.md");
    assert!(on_disk.starts_with(fs.root()) && on_disk.is_file());
    let stat = fs.stat(SID, path).unwrap();
    assert!(stat.is_file && !stat.is_directory && stat.size == 27);
    assert!(stat.modified_ms > 0);
    assert_eq!(
        fs.read_dir(SID, "/session-state").unwrap(),
        [("checkpoints".to_string(), true)]
    );
    fs.rename(SID, path, "/session-state/index.md").unwrap();
    assert!(fs.exists(SID, "/session-state/index.md") && !fs.exists(SID, path));
    fs.mkdir(SID, "/a/b/c", true).unwrap();
    assert!(fs.mkdir(SID, "/x/y", false).is_err_and(|e| e.not_found));
    fs.remove(SID, "/a", true, false).unwrap();
    assert!(
        fs.remove(SID, "/a", false, false)
            .is_err_and(|e| e.not_found)
    );
    fs.remove(SID, "/a", false, true).unwrap();
    // Another session sees none of it.
    assert!(!fs.exists("other", "/session-state/index.md"));
    let _ = std::fs::remove_dir_all(root);
}

#[test]
fn no_path_escapes_the_session() {
    let root = temp("hostile");
    let fs = DirectoryFs::new(root.join("state"), SessionFsSetProviderConventions::Posix).unwrap();
    std::fs::write(root.join("secret.txt"), "outside").unwrap();
    for hostile in [
        "../secret.txt",
        "/../../secret.txt",
        "/session-state/../../secret.txt",
        "/a/b/../../../secret.txt",
        "..",
        "/x\0y",
    ] {
        assert!(
            fs.resolve(SID, hostile).is_err(),
            "{hostile:?} resolved to {:?}",
            fs.resolve(SID, hostile)
        );
        assert!(fs.read_file(SID, hostile).is_err(), "{hostile:?}");
        assert!(
            fs.write_file(SID, hostile, b"x", false).is_err(),
            "{hostile:?}"
        );
        assert!(!fs.exists(SID, hostile), "{hostile:?}");
    }
    assert_eq!(
        std::fs::read_to_string(root.join("secret.txt")).unwrap(),
        "outside"
    );
    // `.` and repeated separators are harmless.
    let inside = fs.resolve(SID, "//a/./b//c").unwrap();
    assert_eq!(inside, fs.session_dir(SID).join("a/b/c"));
    let _ = std::fs::remove_dir_all(root);
}

#[test]
fn session_ids_never_name_a_folder_outside_the_root() {
    let root = temp("ids");
    let fs = DirectoryFs::new(root.join("state"), SessionFsSetProviderConventions::Posix).unwrap();
    for id in ["..", ".", "../../etc", "a/b", "a\\b", "", "\u{1F600}"] {
        let dir = fs.session_dir(id);
        assert_eq!(dir.parent(), Some(fs.root()), "{id:?} -> {dir:?}");
        fs.write_file(id, "/f", b"x", false).unwrap();
        assert!(dir.join("f").is_file(), "{id:?}");
    }
    // Distinct ids, distinct folders, even an id that looks like a written-in-hex one.
    assert_ne!(fs.session_dir("a/b"), fs.session_dir("a\\b"));
    assert_ne!(fs.session_dir(".."), fs.session_dir("id-2e2e"));
    let _ = std::fs::remove_dir_all(root);
}

#[cfg(unix)]
#[test]
fn links_that_lead_out_are_not_followed() {
    let root = temp("links");
    let fs = DirectoryFs::new(root.join("state"), SessionFsSetProviderConventions::Posix).unwrap();
    let outside = root.join("outside");
    std::fs::create_dir_all(&outside).unwrap();
    std::fs::write(outside.join("secret.txt"), "outside").unwrap();
    let session = fs.session_dir(SID);
    std::fs::create_dir_all(session.join("inside")).unwrap();
    std::os::unix::fs::symlink(&outside, session.join("out")).unwrap();
    std::os::unix::fs::symlink(outside.join("secret.txt"), session.join("file-out")).unwrap();
    std::os::unix::fs::symlink(session.join("inside"), session.join("in")).unwrap();
    assert!(fs.read_file(SID, "/out/secret.txt").is_err());
    assert!(fs.read_file(SID, "/file-out").is_err());
    assert!(fs.write_file(SID, "/out/new.txt", b"x", false).is_err());
    assert!(!outside.join("new.txt").exists());
    assert!(fs.rename(SID, "/file-out", "/stolen").is_err());
    // A link that stays inside is followed.
    fs.write_file(SID, "/in/ok.txt", b"ok", false).unwrap();
    assert_eq!(
        std::fs::read_to_string(session.join("inside/ok.txt")).unwrap(),
        "ok"
    );
    let _ = std::fs::remove_dir_all(root);
}

#[test]
fn windows_paths_map_the_same_way() {
    let root = temp("windows");
    let fs =
        DirectoryFs::new(root.join("state"), SessionFsSetProviderConventions::Windows).unwrap();
    assert_eq!(
        fs.resolve(SID, "C:\\session-state\\files\\a.txt").unwrap(),
        fs.session_dir(SID).join("session-state/files/a.txt")
    );
    assert!(fs.resolve(SID, "C:\\session-state\\..\\..\\x").is_err());
    assert!(fs.resolve(SID, "\\..\\x").is_err());
    let _ = std::fs::remove_dir_all(root);
}
