//! Session snapshots: `session-save`, `session-restore`, `session-snapshots`,
//! `session-snapshot-delete`, `session-snapshot-retention`, `session-snapshot-prune`.
//! (Autosave belongs to the daemon and is not a CLI command yet.)

use crate::output::{fields, to_fields, Failure, Outcome};
use clap::{Subcommand, ValueEnum};
use ctmux_core::snapshot::{CaptureOptions, Retention, SaveFormat, SaveOptions};
use ctmux_core::{Ctmux, RestoreOptions};
use serde_json::json;
use std::path::PathBuf;

/// `--format` of `session-save`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FormatArg {
    /// ctmux snapshot (JSON): everything
    Ctmux,
    /// tmuxp workspace (YAML): windows, layouts, directories, commands
    Tmuxp,
}

/// Parse an age: seconds, or a number with `s`, `m`, `h` or `d` (`90`, `12h`, `7d`).
///
/// # Errors
/// A message for clap for anything else.
pub fn parse_age(text: &str) -> Result<u64, String> {
    let t = text.trim();
    let (num, unit) = match t.char_indices().last() {
        Some((i, c)) if c.is_ascii_alphabetic() => (&t[..i], c),
        _ => (t, 's'),
    };
    let mult = match unit {
        's' => 1,
        'm' => 60,
        'h' => 3600,
        'd' => 86_400,
        _ => return Err(format!("{text:?}: unit must be s, m, h or d")),
    };
    num.parse::<u64>()
        .ok()
        .filter(|n| *n > 0)
        .and_then(|n| n.checked_mul(mult))
        .ok_or_else(|| format!("{text:?} is not a positive whole number of {unit}"))
}

/// The snapshot commands (flattened into the top-level command list). The variant names are
/// the command names (`session-save`, ...), hence the shared prefix.
#[allow(clippy::enum_variant_names)]
#[derive(Debug, Clone, Subcommand)]
pub enum SnapshotCommand {
    /// Save a session to a snapshot file -> file, windows, panes, bytes, pruned, ...
    ///
    /// Saves windows (names, layout strings, sizes), panes (index, label, metadata, working
    /// directory, the foreground job's full command line, the commands ctmux ran there) and
    /// the session environment, leaving out names matching --exclude-env (default: names
    /// containing TOKEN, SECRET, PASSWORD, PASSWD, KEY, CREDENTIAL or AUTH; their names are
    /// listed in environment_excluded). Secrets are also redacted by value: credentials in
    /// URLs, token shapes (ghp_, github_pat_, xox?-, sk-, AKIA, JWTs, ...), Authorization
    /// headers, --password=/--token style arguments and NAME=value assignments with a secret
    /// name, in the environment, each job's arguments, the exec history and the contents,
    /// become [REDACTED] (listed in redacted; restore starts no command holding it). See
    /// docs/security.md. Without FILE, writes a new timestamped file in
    /// <state dir>/snapshots/<session>/ and prunes that directory by the retention settings
    /// (see session-snapshot-retention). The write is atomic: a crash or a failed save never
    /// leaves a partial file nor replaces the previous one. Files are mode 0600.
    SessionSave {
        /// Session name
        session: String,
        /// Write here instead of the default directory
        file: Option<PathBuf>,
        /// File format: ctmux (JSON, everything) or tmuxp (YAML workspace)
        #[arg(long, value_enum, default_value = "ctmux")]
        format: FormatArg,
        /// Also save each pane's text (screen and scrollback, with colours), shown again on
        /// restore
        #[arg(long)]
        with_contents: bool,
        /// Lines of scrollback saved with --with-contents (default 2000)
        #[arg(long, value_name = "N", requires = "with_contents")]
        contents_lines: Option<u32>,
        /// Leave out environment names matching REGEX (replaces the default pattern; '^$'
        /// keeps every name)
        #[arg(long, value_name = "REGEX", conflicts_with = "no_env")]
        exclude_env: Option<String>,
        /// Save no environment at all
        #[arg(long)]
        no_env: bool,
        /// Keep secrets: no redaction by value, and no environment name left out unless
        /// --exclude-env is given
        #[arg(long)]
        include_secrets: bool,
        /// Also redact what REGEX matches (its group named s, if it has one); repeatable
        #[arg(long, value_name = "REGEX", conflicts_with = "include_secrets")]
        secret_pattern: Vec<String>,
    },
    /// Restore a session from a snapshot or tmuxp workspace -> session, windows, commands
    ///
    /// Reads FILE (at most 16 MiB; a ctmux snapshot, or a tmuxp workspace in YAML or JSON),
    /// checks all of it before changing anything (Corrupt, InvalidInput or NotFound and
    /// nothing created), then rebuilds windows, panes in their directories, layouts, labels,
    /// metadata and history, shows saved contents, and starts each saved command in its
    /// pane. A session of that name already existing is AlreadyExists unless --replace. A
    /// failure half-way removes the session it created (unless --keep-partial), naming each
    /// pane that failed and why. The shells are waited for together, up to the ready timeout
    /// (--ready-timeout). A missing working directory falls back to $HOME, with a warning.
    SessionRestore {
        /// Snapshot file or tmuxp workspace
        file: PathBuf,
        /// Restore under this session name
        #[arg(long, value_name = "NEW")]
        name: Option<String>,
        /// Print what would be created and every command that would run; change nothing
        #[arg(long)]
        dry_run: bool,
        /// Rebuild the layout without starting any command
        #[arg(long)]
        no_exec: bool,
        /// Replace an existing session of that name (only once the new one is complete)
        #[arg(long)]
        replace: bool,
        /// When some pane's command cannot be started, keep what was built
        #[arg(long)]
        keep_partial: bool,
    },
    /// List saved snapshots, newest first -> snapshots: [{file, session, saved_at, bytes,
    /// windows, panes, error}]
    ///
    /// Lists the default directory (<state dir>/snapshots/), of SESSION or of all sessions.
    /// A file that cannot be restored is listed with its "error".
    SessionSnapshots {
        /// Only this session's snapshots
        session: Option<String>,
    },
    /// Delete a snapshot file -> file
    ///
    /// Deletes a file in the default directory, or a file elsewhere that is a ctmux
    /// snapshot; anything else is refused (InvalidInput).
    SessionSnapshotDelete {
        /// The snapshot file
        file: PathBuf,
    },
    /// Show or change snapshot retention -> keep_last, max_age_seconds
    ///
    /// Applies to each session's default directory after each save there; the newest
    /// snapshot is always kept, and files saved to an explicit path are never pruned.
    /// Default: keep the last 10, no age limit.
    SessionSnapshotRetention {
        /// Keep at most N snapshots per session
        #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
        keep_last: Option<u32>,
        /// No count limit
        #[arg(long, conflicts_with = "keep_last")]
        no_keep_last: bool,
        /// Remove snapshots older than AGE (seconds, or with s, m, h, d: 12h, 7d)
        #[arg(long, value_name = "AGE", value_parser = parse_age)]
        max_age: Option<u64>,
        /// No age limit
        #[arg(long, conflicts_with = "max_age")]
        no_max_age: bool,
    },
    /// Apply retention to a session's snapshots now -> pruned (files removed)
    SessionSnapshotPrune {
        /// Session name
        session: String,
        /// Only list what would be removed
        #[arg(long)]
        dry_run: bool,
    },
}

impl SnapshotCommand {
    /// The session this command names.
    pub fn session(&self) -> Option<&str> {
        match self {
            SnapshotCommand::SessionSave { session, .. }
            | SnapshotCommand::SessionSnapshotPrune { session, .. } => Some(session),
            SnapshotCommand::SessionRestore { name, .. } => name.as_deref(),
            SnapshotCommand::SessionSnapshots { session } => session.as_deref(),
            SnapshotCommand::SessionSnapshotDelete { .. }
            | SnapshotCommand::SessionSnapshotRetention { .. } => None,
        }
    }
}

/// Run a snapshot command.
pub fn run(client: &Ctmux, command: &SnapshotCommand) -> Outcome {
    use SnapshotCommand as S;
    match command {
        S::SessionSave {
            session,
            file,
            format,
            with_contents,
            contents_lines,
            exclude_env,
            no_env,
            include_secrets,
            secret_pattern,
        } => {
            let opts = SaveOptions {
                file: file.clone(),
                format: match format {
                    FormatArg::Ctmux => SaveFormat::Ctmux,
                    FormatArg::Tmuxp => SaveFormat::Tmuxp,
                },
                capture: CaptureOptions {
                    with_contents: *with_contents,
                    contents_lines: contents_lines
                        .unwrap_or(ctmux_core::snapshot::capture::DEFAULT_CONTENTS_LINES),
                    exclude_env: exclude_env.clone(),
                    no_env: *no_env,
                    include_secrets: *include_secrets,
                    secret_patterns: secret_pattern.clone(),
                },
            };
            to_fields(&client.snapshot_save(session, &opts)?)
        }
        S::SessionRestore {
            file,
            name,
            dry_run,
            no_exec,
            replace,
            keep_partial,
        } => {
            let opts = RestoreOptions {
                name: name.clone(),
                dry_run: *dry_run,
                no_exec: *no_exec,
                replace: *replace,
                keep_partial: *keep_partial,
            };
            restore_fields(client.snapshot_restore(file, &opts)?)
        }
        S::SessionSnapshots { session } => {
            let list = client.snapshot_list(session.as_deref())?;
            Ok(fields([
                ("count", json!(list.len())),
                ("snapshots", json!(list)),
            ]))
        }
        S::SessionSnapshotDelete { file } => {
            client.snapshot_delete(file)?;
            Ok(fields([("file", json!(file))]))
        }
        S::SessionSnapshotRetention {
            keep_last,
            no_keep_last,
            max_age,
            no_max_age,
        } => {
            let mut r: Retention = client.snapshot_retention()?;
            let change = keep_last.is_some() || *no_keep_last || max_age.is_some() || *no_max_age;
            if keep_last.is_some() || *no_keep_last {
                r.keep_last = *keep_last;
            }
            if max_age.is_some() || *no_max_age {
                r.max_age_seconds = *max_age;
            }
            if change {
                client.set_snapshot_retention(&r)?;
            }
            to_fields(&r)
        }
        S::SessionSnapshotPrune { session, dry_run } => {
            let pruned = client.snapshot_prune(session, *dry_run)?;
            Ok(fields([
                ("dry_run", json!(dry_run)),
                ("pruned", json!(pruned)),
            ]))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ages() {
        assert_eq!(parse_age("90"), Ok(90));
        assert_eq!(parse_age("12h"), Ok(43_200));
        assert_eq!(parse_age("7d"), Ok(604_800));
        for bad in ["", "0", "-1", "7w", "d", "1.5h", "99999999999999999999d"] {
            assert!(parse_age(bad).is_err(), "{bad:?}");
        }
    }
}

/// The fields of a restore report, converted a window and a command at a time, each freed
/// once converted: a dry run of a large snapshot (16 MiB of commands) never holds the report
/// and all of its JSON at once. The same JSON as [`to_fields`] gives (tested).
fn restore_fields(report: ctmux_core::RestoreReport) -> Outcome {
    fn each<T: serde::Serialize>(items: Vec<T>) -> Result<serde_json::Value, Failure> {
        let mut out = Vec::with_capacity(items.len());
        for item in items {
            out.push(serde_json::Value::Object(to_fields(&item)?));
        }
        Ok(serde_json::Value::Array(out))
    }
    let ctmux_core::RestoreReport {
        session,
        session_id,
        file,
        source,
        dry_run,
        replaced,
        windows,
        environment,
        commands,
        warnings,
    } = report;
    let mut fields = to_fields(&serde_json::json!({
        "session": session,
        "session_id": session_id,
        "file": file,
        "source": source,
        "dry_run": dry_run,
        "replaced": replaced,
        "environment": environment,
        "warnings": warnings,
    }))?;
    fields.insert("windows".into(), each(windows)?);
    fields.insert("commands".into(), each(commands)?);
    Ok(fields)
}

#[cfg(test)]
mod restore_tests {
    use super::*;
    use ctmux_core::snapshot::{PlannedCommand, RestoredPane, RestoredWindow, Source};

    #[test]
    fn restore_fields_are_the_reports_json() {
        let report = ctmux_core::RestoreReport {
            session: "s".into(),
            session_id: None,
            file: Some("/f.json".into()),
            source: Source::Ctmux,
            dry_run: true,
            replaced: false,
            windows: vec![RestoredWindow {
                index: 0,
                name: "w".into(),
                layout: Some("tiled".into()),
                panes: vec![RestoredPane {
                    index: 0,
                    pane_id: None,
                    label: Some("l".into()),
                    cwd: Some("/".into()),
                    command: Some("echo".into()),
                    contents: false,
                    metadata: [("k".to_owned(), "v".to_owned())].into(),
                    history: vec!["h".into()],
                }],
            }],
            environment: [("E".to_owned(), "1".to_owned())].into(),
            commands: vec![PlannedCommand {
                window: 0,
                pane: 0,
                label: None,
                command: "echo".into(),
            }],
            warnings: vec!["w".into()],
        };
        assert_eq!(
            restore_fields(report.clone()).unwrap(),
            to_fields(&report).unwrap()
        );
    }
}
