//! The `ctmux` binary: everything happens in [`ctmux_cli::run`].

fn main() {
    let code = ctmux_cli::run(
        std::env::args_os().collect(),
        &mut std::io::stdout().lock(),
        &mut std::io::stderr().lock(),
    );
    std::process::exit(code);
}
