//! # ctmux-cli
//!
//! The `ctmux` command: drive tmux from shell scripts through [`ctmux_core`], one JSON object
//! per call. The binary is a thin `main` around [`run`], which tests call in-process.
//!
//! ```text
//! ctmux [--socket NAME | --socket-path PATH] [--state-dir DIR] [--ready-timeout SECONDS]
//!       <command> [args]
//! ```
//!
//! Every command prints exactly one JSON object on one line of stdout:
//! `{"status":"success","command":"pane-exec","session":"api","pane_id":"%3",...}` with exit
//! code 0, or `{"status":"error","command":"...","kind":"NotFound","error":"..."}` with exit
//! code 1 ([`exit_code::ERROR`]), 2 for a command line that does not parse
//! ([`exit_code::USAGE`], kind `InvalidInput`, clap's explanation on stderr) and 124 for a
//! timeout ([`exit_code::TIMEOUT`], with `"output"` holding what was printed so far).
//! `--help` and `--version` print to stdout and exit 0. The one exception to "JSON only" is
//! `demo`, which prints human-readable progress on stderr before its JSON summary.
//!
//! Values that need no tmux to check (seconds, window sizes, line counts) are checked while
//! parsing, so they are usage errors (exit 2). Names the core validates (session names,
//! labels, pane references, metadata keys, regexes, signals, layouts) are refused by the core
//! before anything reaches tmux; those are kind `InvalidInput` with exit 1.
//!
//! ```
//! let mut out = Vec::new();
//! let mut err = Vec::new();
//! let code = ctmux_cli::run(vec!["ctmux".into(), "pane-wait".into()], &mut out, &mut err);
//! assert_eq!(code, ctmux_cli::exit_code::USAGE);
//! let reply: serde_json::Value = serde_json::from_slice(&out).unwrap();
//! assert_eq!(reply["status"], "error");
//! assert_eq!(reply["kind"], "InvalidInput");
//! assert_eq!(reply["command"], "pane-wait");
//! ```

#![forbid(unsafe_code)]

mod args;
mod commands;
mod connect;
mod demo;
mod output;
mod values;

use args::Cli;
use clap::error::ErrorKind as ClapErrorKind;
use clap::{CommandFactory, FromArgMatches};
use ctmux_core::ErrorKind;
use output::Failure;
use std::ffi::OsString;
use std::io::Write;

/// The process exit codes of `ctmux`.
pub mod exit_code {
    /// The command succeeded (also `--help` and `--version`).
    pub const SUCCESS: i32 = 0;
    /// The command failed; the JSON `"kind"` says why.
    pub const ERROR: i32 = 1;
    /// The command line could not be parsed (kind `InvalidInput`).
    pub const USAGE: i32 = 2;
    /// A wait ran out of time (kind `Timeout`), as with coreutils' `timeout`.
    pub const TIMEOUT: i32 = 124;
}

/// Run `ctmux` with `args` (including the program name, as [`std::env::args_os`] gives
/// them), writing the JSON reply (or help text) to `out` and diagnostics to `err`; returns
/// the exit code (see [`exit_code`]). Never panics on bad input and never calls
/// [`std::process::exit`].
pub fn run(args: Vec<OsString>, out: &mut dyn Write, err: &mut dyn Write) -> i32 {
    let parsed = Cli::command().try_get_matches_from(&args).and_then(|m| {
        Ok((
            m.subcommand_name().map(str::to_owned),
            Cli::from_arg_matches(&m)?,
        ))
    });
    let (name, cli) = match parsed {
        Ok((Some(name), cli)) => (name, cli),
        Ok((None, _)) => unreachable!("clap requires a subcommand"),
        Err(e) => return usage(e, &args, out, err),
    };
    if let args::Command::Live(live) = &cli.command {
        return commands::live::run(&cli.global, live, out);
    }
    let outcome = commands::dispatch(&cli.global, &cli.command, err);
    let _ = err.flush();
    output::emit(out, &name, cli.command.session(), outcome)
}

/// Report a clap error: help and version go to `out` (exit 0); anything else is a usage
/// error: JSON on `out`, clap's explanation on `err`, exit 2.
fn usage(e: clap::Error, args: &[OsString], out: &mut dyn Write, err: &mut dyn Write) -> i32 {
    let text = e.render().to_string();
    if matches!(
        e.kind(),
        ClapErrorKind::DisplayHelp | ClapErrorKind::DisplayVersion
    ) {
        let ok = write!(out, "{text}").and_then(|()| out.flush()).is_ok();
        return if ok {
            exit_code::SUCCESS
        } else {
            exit_code::ERROR
        };
    }
    let _ = write!(err, "{text}");
    let _ = err.flush();
    let message = if e.kind() == ClapErrorKind::DisplayHelpOnMissingArgumentOrSubcommand {
        "no command given (see ctmux --help)"
    } else {
        text.lines()
            .find(|l| !l.trim().is_empty())
            .unwrap_or("invalid command line")
            .trim_start_matches("error: ")
    };
    let command = command_name(args).unwrap_or_else(|| "ctmux".to_owned());
    output::emit(
        out,
        &command,
        None,
        Err(Failure::new(ErrorKind::InvalidInput, message.to_owned())),
    );
    exit_code::USAGE
}

/// The subcommand named in `args`, if one is recognisable (for the JSON of a usage error).
fn command_name(args: &[OsString]) -> Option<String> {
    let cmd = Cli::command();
    let mut rest = args.iter().skip(1).filter_map(|a| a.to_str());
    while let Some(arg) = rest.next() {
        if matches!(
            arg,
            "--socket" | "--socket-path" | "--state-dir" | "--ready-timeout"
        ) {
            rest.next();
        } else if !arg.starts_with('-') {
            return cmd.find_subcommand(arg).map(|c| c.get_name().to_owned());
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn call(args: &[&str]) -> (i32, String, String) {
        let mut out = Vec::new();
        let mut err = Vec::new();
        let argv = std::iter::once("ctmux")
            .chain(args.iter().copied())
            .map(OsString::from)
            .collect();
        let code = run(argv, &mut out, &mut err);
        (
            code,
            String::from_utf8(out).unwrap(),
            String::from_utf8(err).unwrap(),
        )
    }

    #[test]
    fn usage_errors_are_json_with_exit_2() {
        for args in [
            &[][..],
            &["no-such-command"],
            &["pane-exec", "s"],
            &["pane-wait", "s", "0", "-1"],
            &["pane-wait", "s", "0", "NaN"],
            &["session-create", "x", "--window-size", "0x0"],
            &["--socket", "a", "--socket-path", "/b", "session-list"],
            &["pane-exec", "s", "0", "true", "--timeout", "1"],
        ] {
            let (code, out, err) = call(args);
            assert_eq!(code, exit_code::USAGE, "{args:?}");
            let v: serde_json::Value = serde_json::from_str(&out).unwrap();
            assert_eq!(v["status"], "error", "{args:?}");
            assert_eq!(v["kind"], "InvalidInput", "{args:?}");
            assert!(!err.is_empty(), "{args:?}");
        }
    }

    #[test]
    fn command_name_is_found_after_globals() {
        let args: Vec<OsString> = ["ctmux", "--socket", "pane-kill", "pane-wait", "x"]
            .into_iter()
            .map(OsString::from)
            .collect();
        assert_eq!(command_name(&args).as_deref(), Some("pane-wait"));
        let args: Vec<OsString> = ["ctmux", "--ready-timeout", "pane-kill", "pane-wait"]
            .into_iter()
            .map(OsString::from)
            .collect();
        assert_eq!(command_name(&args).as_deref(), Some("pane-wait"));
        let args: Vec<OsString> = ["ctmux", "bogus"].into_iter().map(OsString::from).collect();
        assert_eq!(command_name(&args), None);
    }

    #[test]
    fn help_goes_to_stdout() {
        let (code, out, _) = call(&["--help"]);
        assert_eq!(code, 0);
        assert!(out.contains("pane-exec"));
        let (code, out, _) = call(&["pane-watch-timeout", "--help"]);
        assert_eq!(code, 0);
        assert!(out.contains("SECONDS"));
    }
}
