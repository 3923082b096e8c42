//! Lists the help-centre articles (`intents/help/<lang>/*.md`) for `include_str!`, so the
//! binary carries them and `crmbot chat` works away from the source tree.

use std::fmt::Write;
use std::path::Path;

fn main() {
    let root = std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR");
    let mut list = String::from("&[\n");
    for lang in ["en", "zh"] {
        let rel = format!("intents/help/{lang}");
        println!("cargo:rerun-if-changed={rel}");
        let dir = Path::new(&root).join(&rel);
        let mut names: Vec<String> = std::fs::read_dir(&dir)
            .map(|rd| {
                rd.filter_map(|e| e.ok())
                    .map(|e| e.file_name().to_string_lossy().into_owned())
                    .filter(|n| n.ends_with(".md"))
                    .collect()
            })
            .unwrap_or_default();
        names.sort();
        for name in names {
            let full = dir.join(&name);
            writeln!(
                list,
                "    ({lang:?}, {:?}, include_str!({:?})),",
                format!("{rel}/{name}"),
                full.display().to_string()
            )
            .expect("writing to a String");
        }
    }
    list.push(']');
    let out =
        Path::new(&std::env::var("OUT_DIR").expect("cargo sets OUT_DIR")).join("help_files.rs");
    std::fs::write(out, list).expect("cannot write the help file list");
}
