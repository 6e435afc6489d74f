//! Compiles the test-only contract `tests/proto/canopy/gatewaytest/v1` (a small
//! upstream service the integration tests and the benchmark route to) together with
//! every real contract, so the tests read method policies exactly as production does.
//! Nothing generated here is part of the library.

use std::path::{Path, PathBuf};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    let proto_root = manifest.join("../../proto").canonicalize()?;
    let test_root = manifest.join("tests/proto").canonicalize()?;
    println!("cargo:rerun-if-changed={}", proto_root.display());
    println!("cargo:rerun-if-changed={}", test_root.display());

    let mut files = Vec::new();
    collect_protos(&proto_root, &proto_root, &mut files)?;
    collect_protos(&test_root, &test_root, &mut files)?;
    files.sort();

    let mut compiler = protox::Compiler::new([&proto_root, &test_root])?;
    compiler.include_imports(true);
    compiler.open_files(&files)?;

    let out_dir = PathBuf::from(std::env::var("OUT_DIR")?);
    // The encoded form keeps the (canopy.options.v1.policy) extensions.
    std::fs::write(out_dir.join("gatewaytest_descriptor.bin"), compiler.encode_file_descriptor_set())?;

    let mut set = compiler.file_descriptor_set();
    set.file.retain(|file| file.package() == "canopy.gatewaytest.v1");
    tonic_prost_build::configure()
        .build_client(true)
        .build_server(true)
        .include_file("gatewaytest_include.rs")
        .compile_fds(set)?;
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
