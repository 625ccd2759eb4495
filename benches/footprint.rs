//! Footprint: the sizes of the client's types, and the code the library takes on a
//! Cortex-M4F with the whole chat flow linked in (the firmware in `benches/firmware`, built
//! for thumbv7em-none-eabihf with `opt-level = "s"` and LTO; its section sizes are read from
//! the ELF file).
//!
//! `cargo bench --bench footprint` (needs `rustup target add thumbv7em-none-eabihf`)

use std::mem::size_of;
use std::path::Path;
use std::process::Command;

use copilot_sansio::proto::events::TypedEvent;
use copilot_sansio::{Client, Event, Inbox, SessionEvent};

fn main() {
    let small = size_of::<Client<'_, 8, 16>>();
    let large = size_of::<Client<'_, 1024, 64>>();
    let per_slot = (size_of::<Client<'_, 1024, 16>>() - small) as f64 / 1016.0;
    let per_pending = (size_of::<Client<'_, 8, 1040>>() - small) as f64 / 1024.0;
    println!("FOOTPRINT client_8_16_bytes={small} client_1024_64_bytes={large}");
    println!(
        "FOOTPRINT session_slot_bytes={per_slot:.1} pending_request_bytes={per_pending:.1} (each added slot, averaged)"
    );
    println!(
        "FOOTPRINT event_bytes={} session_event_bytes={} typed_event_bytes={} inbox_bytes={}",
        size_of::<Event<'_>>(),
        size_of::<SessionEvent<'_>>(),
        size_of::<TypedEvent<'_>>(),
        size_of::<Inbox<'_>>()
    );
    match firmware() {
        Ok(sections) => {
            let line: Vec<String> = sections
                .iter()
                .map(|(name, size)| format!("{}={size}", name.trim_start_matches('.')))
                .collect();
            println!(
                "FOOTPRINT thumbv7em chat firmware bytes: {}",
                line.join(" ")
            );
        }
        Err(e) => println!("FOOTPRINT thumbv7em firmware not measured: {e}"),
    }
}

/// Builds the firmware and returns the sizes of its allocated sections.
fn firmware() -> Result<Vec<(String, u64)>, String> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("benches/firmware");
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let status = Command::new(cargo)
        .args(["build", "--release", "--target", "thumbv7em-none-eabihf"])
        .current_dir(&dir)
        .env_remove("RUSTFLAGS")
        .status()
        .map_err(|e| format!("cargo: {e}"))?;
    if !status.success() {
        return Err(format!("the firmware build failed ({status})"));
    }
    let elf = dir.join("target/thumbv7em-none-eabihf/release/copilot-sansio-firmware");
    let bytes = std::fs::read(&elf).map_err(|e| format!("{}: {e}", elf.display()))?;
    elf32_sections(&bytes).ok_or_else(|| "not an ELF32 file".into())
}

/// The allocated sections (`SHF_ALLOC`) of a little-endian ELF32 file: name and size.
fn elf32_sections(b: &[u8]) -> Option<Vec<(String, u64)>> {
    let u16_at = |at: usize| Some(u16::from_le_bytes(b.get(at..at + 2)?.try_into().ok()?));
    let u32_at = |at: usize| Some(u32::from_le_bytes(b.get(at..at + 4)?.try_into().ok()?));
    if b.get(..5)? != b"\x7fELF\x01" {
        return None;
    }
    let shoff = u32_at(0x20)? as usize;
    let shentsize = usize::from(u16_at(0x2e)?);
    let shnum = usize::from(u16_at(0x30)?);
    let shstrndx = usize::from(u16_at(0x32)?);
    let header = |i: usize| shoff + i * shentsize;
    let names = u32_at(header(shstrndx) + 16)? as usize;
    let mut sections = Vec::new();
    for i in 0..shnum {
        let h = header(i);
        let flags = u32_at(h + 8)?;
        let size = u32_at(h + 20)?;
        if flags & 2 == 0 || size == 0 {
            continue;
        }
        let name_at = names + u32_at(h)? as usize;
        let name = b.get(name_at..)?.split(|&c| c == 0).next()?;
        sections.push((String::from_utf8_lossy(name).into_owned(), u64::from(size)));
    }
    Some(sections)
}
