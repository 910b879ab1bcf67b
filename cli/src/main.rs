//! The `ilsprivacy` program; see the crate documentation of `ilsprivacy_cli`.

fn main() -> std::process::ExitCode {
    ilsprivacy_cli::main_with(std::env::args_os())
}
