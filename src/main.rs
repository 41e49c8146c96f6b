//! The `polar-coeffs` binary; everything lives in the library's `cli` module.

/// Large matrix buffers get transparent huge pages (see `memory`).
#[global_allocator]
static ALLOC: polar_coeffs::memory::HugePageAlloc = polar_coeffs::memory::HugePageAlloc;

fn main() -> std::process::ExitCode {
    polar_coeffs::cli::main()
}
