//! The `polar-coeffs` binary; everything lives in the library's `cli` module.

fn main() -> std::process::ExitCode {
    polar_coeffs::cli::main()
}
