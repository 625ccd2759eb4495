//! Replays the committed fuzz corpus (`fuzz/seeds/<target>/`) and every crash found so far
//! (`fuzz/regressions/<target>/`) through the fuzz targets' entry points, on every
//! `cargo test --all-features`, so nothing found once can come back.

use std::path::Path;

use copilot_sansio_fuzzkit::{ClientInput, client, frame_decoder, json_scan, sim_faults};

fn replay(target: &str, run: impl Fn(&[u8])) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz");
    let mut count = 0;
    let mut failed = Vec::new();
    for dir in ["seeds", "regressions"] {
        let Ok(entries) = std::fs::read_dir(root.join(dir).join(target)) else {
            continue;
        };
        let mut files: Vec<_> = entries.map(|e| e.unwrap().path()).collect();
        files.sort();
        for file in files {
            let data = std::fs::read(&file).unwrap();
            let name = file.display().to_string();
            let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| run(&data)));
            if result.is_err() {
                failed.push(name);
            }
            count += 1;
        }
    }
    assert!(count > 0, "no corpus for {target}");
    assert!(failed.is_empty(), "failing inputs:\n{}", failed.join("\n"));
}

#[test]
fn frame_decoder_corpus() {
    replay("frame_decoder", frame_decoder);
}

#[test]
fn json_scan_corpus() {
    replay("json_scan", json_scan);
}

#[test]
fn client_corpus() {
    replay("client", |data| client(&ClientInput::from_bytes(data)));
}

#[test]
fn sim_faults_corpus() {
    replay("sim_faults", sim_faults);
}
