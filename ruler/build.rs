//! Generates the gRPC server and client code from `proto/` (our own protos of Thanos' StoreAPI,
//! Info and Rules services), plus a descriptor set for server reflection.

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let out = std::path::PathBuf::from(std::env::var("OUT_DIR")?);
    tonic_prost_build::configure()
        .file_descriptor_set_path(out.join("thanos_descriptor.bin"))
        .compile_protos(
            &[
                "proto/store/storepb/rpc.proto",
                "proto/info/infopb/rpc.proto",
                "proto/rules/rulespb/rpc.proto",
            ],
            &["proto"],
        )?;
    Ok(())
}
