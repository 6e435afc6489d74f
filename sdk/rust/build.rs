//! Compiles every contract under `proto/` with protox (pure Rust, no protoc needed)
//! into prost messages and tonic clients/servers, and writes the encoded descriptor
//! set, with custom options and comments intact, for reflection and policy loading.

use std::path::{Path, PathBuf};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let proto_root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../proto");
    let proto_root = proto_root.canonicalize()?;
    // Relative to this package, so a target directory reused by another checkout
    // (a worktree, a fresh clone) watches that checkout's contracts, not the first's.
    println!("cargo:rerun-if-changed=../../proto");

    let mut files = Vec::new();
    collect_protos(&proto_root, &proto_root, &mut files)?;
    files.sort();

    let mut compiler = protox::Compiler::new([&proto_root])?;
    compiler.include_imports(true).include_source_info(true);
    compiler.open_files(&files)?;

    let out_dir = PathBuf::from(std::env::var("OUT_DIR")?);
    // The encoded form keeps extension options (prost_types would drop them).
    std::fs::write(out_dir.join("canopy_descriptor.bin"), compiler.encode_file_descriptor_set())?;

    tonic_prost_build::configure()
        .build_client(true)
        .build_server(true)
        .include_file("canopy_include.rs")
        .compile_fds(compiler.file_descriptor_set())?;
    Ok(())
}

fn collect_protos(root: &Path, dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            collect_protos(root, &path, out)?;
        } else if path.extension().is_some_and(|ext| ext == "proto") {
            out.push(path.strip_prefix(root).expect("walked below root").to_path_buf());
        }
    }
    Ok(())
}
