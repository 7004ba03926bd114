//! Reading a live session into a [`Snapshot`]: three tmux round trips whatever the number
//! of panes (plus `/proc` reads), one more with contents.
//!
//! 1. `list-panes -s` (windows, layouts, sizes, panes, cwd, label, history) chained with
//!    `show-environment -s` (the session environment, shell-quoted so values with newlines
//!    parse);
//! 2. `show-options -p` of every pane, for the names of its metadata options;
//! 3. one `display-message` per pane with every metadata value (skipped when no pane has
//!    metadata), and with `--with-contents` a `capture-pane -e` per pane.
//!
//! Each pane's foreground job is read from `/proc`: the terminal's foreground process group
//! (`tpgid`) when it is not the shell's, and its leader's full `cmdline`.

use super::history;
use super::schema::{PaneSnapshot, Snapshot, WindowSnapshot};
use super::secrets::Redactor;
use crate::client::{Ctmux, SEP};
use crate::error::{Error, Result};
use crate::ids::SessionName;
use crate::pane::{check_meta_key, foreground_job, META_PREFIX};
use regex::Regex;
use std::collections::BTreeMap;

/// Environment names left out of a snapshot unless told otherwise (case-insensitive).
pub const DEFAULT_EXCLUDE_ENV: &str = "(?i)TOKEN|SECRET|PASSWORD|PASSWD|KEY|CREDENTIAL|AUTH";

/// Default number of scrollback lines saved above the screen with contents.
pub const DEFAULT_CONTENTS_LINES: u32 = 2000;

/// What to read besides the structure.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaptureOptions {
    /// Also save each pane's text (screen plus `contents_lines` of scrollback, with colours).
    pub with_contents: bool,
    /// Lines of scrollback above the screen saved with contents.
    pub contents_lines: u32,
    /// Environment names matching this regex are left out (`None`:
    /// [`DEFAULT_EXCLUDE_ENV`]); their names are listed in `environment_excluded`.
    pub exclude_env: Option<String>,
    /// Save no environment at all.
    pub no_env: bool,
    /// Keep secrets: no redaction by value ([`super::secrets`]), and no names left out
    /// unless `exclude_env` is given.
    pub include_secrets: bool,
    /// More regexes whose matches (or their group named `s`) are redacted, beside the
    /// built-in shapes.
    pub secret_patterns: Vec<String>,
}

impl Default for CaptureOptions {
    fn default() -> Self {
        CaptureOptions {
            with_contents: false,
            contents_lines: DEFAULT_CONTENTS_LINES,
            exclude_env: None,
            no_env: false,
            include_secrets: false,
            secret_patterns: Vec::new(),
        }
    }
}

/// Quote `argv` as one POSIX shell command line (words that need no quoting stay bare).
pub fn shell_join(argv: &[String]) -> String {
    argv.iter()
        .map(|a| {
            let plain = !a.is_empty()
                && a.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"_@%+=:,./-".contains(&b));
            if plain {
                a.clone()
            } else {
                crate::exec::sh_quote(a)
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// The argv of a pane's foreground job, if one runs (not ctmux's own exec notifier). A job
/// leader still showing the shell's own command line is a fork about to exec (given up to
/// 50 ms) or a subshell job `( ... )`, which has no command line to restore.
fn foreground_argv(shell_pid: i32) -> Option<Vec<String>> {
    let pgid = foreground_job(shell_pid)?;
    let shell = crate::procfs::argv(shell_pid);
    let deadline = std::time::Instant::now() + std::time::Duration::from_millis(50);
    let mut argv = crate::procfs::argv(pgid)?;
    while Some(&argv) == shell.as_ref() {
        if std::time::Instant::now() >= deadline {
            return None;
        }
        std::thread::sleep(std::time::Duration::from_micros(500));
        argv = crate::procfs::argv(pgid)?;
    }
    let notifier = argv.first().is_some_and(|a| a.ends_with("tmux"))
        && argv
            .iter()
            .any(|a| a.starts_with("ctmux-") || a == "wait-for");
    (!notifier).then_some(argv)
}

/// Parse `show-environment -s` output: `NAME="v"; export NAME;` or `unset NAME;` entries,
/// values escaped with `\` before `$`, backtick, `"` and `\`.
pub(crate) fn parse_env(text: &str) -> BTreeMap<String, String> {
    let mut env = BTreeMap::new();
    let mut rest = text;
    while !rest.is_empty() {
        if let Some(r) = rest.strip_prefix("unset ") {
            rest = r.find('\n').map_or("", |i| &r[i + 1..]);
            continue;
        }
        let Some(eq) = rest.find("=\"") else { break };
        let name = rest[..eq].trim().to_owned();
        let mut value = String::new();
        let mut chars = rest[eq + 2..].char_indices();
        let mut end = None;
        while let Some((i, c)) = chars.next() {
            match c {
                '\\' => {
                    if let Some((_, n)) = chars.next() {
                        value.push(n);
                    }
                }
                '"' => {
                    end = Some(eq + 2 + i + 1);
                    break;
                }
                c => value.push(c),
            }
        }
        let Some(end) = end else { break };
        if !name.is_empty() && !name.contains(char::is_whitespace) {
            env.insert(name, value);
        }
        rest = rest[end..].find('\n').map_or("", |i| &rest[end + i + 1..]);
    }
    env
}

const PANE_FIELDS: [&str; 18] = [
    "#{session_id}",
    "#{window_index}",
    "#{window_id}",
    "#{window_active}",
    "#{window_layout}",
    "#{window_width}",
    "#{window_height}",
    "#{automatic-rename}",
    "#{window_zoomed_flag}",
    "#{pane_index}",
    "#{pane_id}",
    "#{pane_active}",
    "#{pane_pid}",
    "#{pane_dead}",
    "#{@ctmux-label}",
    "#{window_name}",
    "#{pane_current_path}",
    "#{@ctmux-history}",
];

struct Row {
    window_index: u32,
    window_active: bool,
    layout: String,
    width: u16,
    height: u16,
    auto_rename: bool,
    zoomed: bool,
    window_name: String,
    pane: PaneSnapshot,
    pane_id: String,
    pid: i32,
    dead: bool,
}

fn parse_row(rec: &str) -> Result<Row> {
    let body = rec.strip_prefix(&format!("{SEP}P{SEP}")).unwrap_or(rec);
    let f: Vec<&str> = body.splitn(PANE_FIELDS.len(), SEP).collect();
    if f.len() != PANE_FIELDS.len() {
        return Err(Error::Corrupt {
            what: "tmux pane listing".into(),
            reason: format!("expected {} fields: {rec:?}", PANE_FIELDS.len()),
        });
    }
    let num = |s: &str| s.parse::<u32>().unwrap_or(0);
    let side = |s: &str| s.parse::<u16>().ok().filter(|v| *v > 0).unwrap_or(1);
    Ok(Row {
        window_index: num(f[1]),
        window_active: f[3] == "1",
        layout: f[4].to_owned(),
        width: side(f[5]),
        height: side(f[6]),
        auto_rename: f[7] == "1",
        zoomed: f[8] == "1",
        pane_id: f[10].to_owned(),
        pid: f[12].parse().unwrap_or(0),
        dead: f[13] == "1",
        window_name: f[15].to_owned(),
        pane: PaneSnapshot {
            index: num(f[9]),
            active: f[11] == "1",
            label: (!f[14].is_empty()).then(|| f[14].to_owned()),
            cwd: (!f[16].is_empty()).then(|| f[16].to_owned()),
            history: history::decode(f[17]),
            ..PaneSnapshot::default()
        },
    })
}

/// Read session `name` into a snapshot (not written anywhere).
///
/// # Errors
/// [`Error::InvalidInput`] for a bad name or exclusion regex; [`Error::NotFound`] if there
/// is no such session.
pub fn capture(client: &Ctmux, name: &str, opts: &CaptureOptions) -> Result<Snapshot> {
    let name = SessionName::new(name)?;
    let exclude = match (&opts.exclude_env, opts.no_env, opts.include_secrets) {
        (_, true, _) | (None, false, true) => None,
        (pattern, false, _) => {
            let pattern = pattern.as_deref().unwrap_or(DEFAULT_EXCLUDE_ENV);
            Some(
                Regex::new(pattern)
                    .map_err(|e| Error::invalid("exclude-env regex", e.to_string()))?,
            )
        }
    };
    let redactor = (!opts.include_secrets)
        .then(|| Redactor::new(&opts.secret_patterns))
        .transpose()?;
    let target = format!("={name}");
    let fmt = format!("{SEP}P{SEP}{}{SEP}E", PANE_FIELDS.join(&SEP.to_string()));
    let out = client
        .tmux(&[
            "list-panes",
            "-s",
            "-t",
            &target,
            "-F",
            &fmt,
            ";",
            "show-environment",
            "-s",
            "-t",
            &target,
        ])
        .map_err(|e| match e.kind() {
            crate::ErrorKind::NotFound | crate::ErrorKind::ServerUnavailable => {
                Error::not_found("session", name.to_string())
            }
            _ => e,
        })?;
    let end = format!("{SEP}E\n");
    let (listing, env_text) = match out.rfind(&end) {
        Some(i) => (&out[..i + end.len()], &out[i + end.len()..]),
        None => return Err(Error::not_found("session", name.to_string())),
    };
    let mut rows: Vec<Row> = listing
        .split(&end)
        .filter(|r| !r.is_empty())
        .map(parse_row)
        .collect::<Result<_>>()?;
    for r in &mut rows {
        if !r.dead && r.pid > 0 {
            if let Some(argv) = foreground_argv(r.pid) {
                r.pane.command = Some(shell_join(&argv));
                r.pane.argv = argv;
            }
        }
    }
    read_options(client, &mut rows, opts)?;

    let mut snap = Snapshot::new(name.as_str());
    if !opts.no_env {
        for (k, v) in parse_env(env_text) {
            if exclude.as_ref().is_some_and(|x| x.is_match(&k)) {
                snap.environment_excluded.push(k);
                continue;
            }
            let v = match redactor.as_ref().and_then(|r| r.env_value(&k, &v)) {
                Some(redacted) => {
                    snap.redacted.push(format!("environment.{k}"));
                    redacted
                }
                None => v,
            };
            snap.environment.insert(k, v);
        }
    }
    if let Some(r) = &redactor {
        for row in &mut rows {
            redact_pane(r, row, &mut snap.redacted);
        }
    }
    for r in rows {
        if snap
            .windows
            .last()
            .is_none_or(|w| w.index != r.window_index)
        {
            snap.windows.push(WindowSnapshot {
                index: r.window_index,
                name: r.window_name,
                automatic_rename: r.auto_rename,
                active: r.window_active,
                zoomed: r.zoomed,
                layout: Some(r.layout),
                width: Some(r.width),
                height: Some(r.height),
                panes: Vec::new(),
            });
        }
        if let Some(w) = snap.windows.last_mut() {
            w.panes.push(r.pane);
        }
    }
    snap.update_counts();
    Ok(snap)
}

/// Replace the secrets of one pane's job arguments, history and contents, noting where.
fn redact_pane(r: &Redactor, row: &mut Row, redacted: &mut Vec<String>) {
    let at = format!("window {} pane {}", row.window_index, row.pane.index);
    let p = &mut row.pane;
    if let Some(argv) = r.argv(&p.argv) {
        p.command = Some(shell_join(&argv));
        p.argv = argv;
        redacted.push(format!("{at} command"));
    }
    let mut history = false;
    for entry in &mut p.history {
        if let std::borrow::Cow::Owned(s) = r.text(entry) {
            *entry = s;
            history = true;
        }
    }
    if history {
        redacted.push(format!("{at} history"));
    }
    if let Some(c) = &mut p.contents {
        if let std::borrow::Cow::Owned(s) = r.text(c) {
            *c = s;
            redacted.push(format!("{at} contents"));
        }
    }
}

/// Rounds 2 and 3: metadata names, then metadata values and contents. (Markers name the
/// pane with `#{pane_id}`, never a literal `%N`: `display-message` runs its format through
/// strftime first, which mangles a literal `%`.)
fn read_options(client: &Ctmux, rows: &mut [Row], opts: &CaptureOptions) -> Result<()> {
    let mut argv: Vec<String> = Vec::new();
    for r in rows.iter() {
        if !argv.is_empty() {
            argv.push(";".into());
        }
        argv.extend(
            [
                "display-message",
                "-p",
                "-t",
                &r.pane_id,
                &format!("{SEP}O{SEP}#{{pane_id}}"),
                ";",
                "show-options",
                "-p",
                "-t",
                &r.pane_id,
            ]
            .map(String::from),
        );
    }
    let out = client.tmux(&argv)?;
    let mut keys: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut current = String::new();
    for line in out.lines() {
        if let Some(id) = line.strip_prefix(&format!("{SEP}O{SEP}")) {
            current = id.to_owned();
        } else if let Some(key) = line
            .split(' ')
            .next()
            .and_then(|n| n.strip_prefix(META_PREFIX))
        {
            keys.entry(current.clone())
                .or_default()
                .push(key.to_owned());
        }
    }
    if keys.is_empty() && !opts.with_contents {
        return Ok(());
    }
    let mut argv: Vec<String> = Vec::new();
    for r in rows.iter() {
        let names = keys.get(&r.pane_id).cloned().unwrap_or_default();
        if !names.is_empty() {
            let fmt: Vec<String> = names
                .iter()
                .map(|k| format!("#{{{META_PREFIX}{k}}}"))
                .collect();
            if !argv.is_empty() {
                argv.push(";".into());
            }
            argv.extend(
                [
                    "display-message",
                    "-p",
                    "-t",
                    &r.pane_id,
                    &format!(
                        "{SEP}V{SEP}#{{pane_id}}{SEP}{}{SEP}E",
                        fmt.join(&SEP.to_string())
                    ),
                ]
                .map(String::from),
            );
        }
        if opts.with_contents {
            if !argv.is_empty() {
                argv.push(";".into());
            }
            let start = format!("-{}", opts.contents_lines);
            argv.extend(
                [
                    "display-message",
                    "-p",
                    "-t",
                    &r.pane_id,
                    &format!("{SEP}C{SEP}#{{pane_id}}"),
                    ";",
                    "capture-pane",
                    "-p",
                    "-e",
                    "-J",
                    "-t",
                    &r.pane_id,
                    "-S",
                    &start,
                ]
                .map(String::from),
            );
        }
    }
    if argv.is_empty() {
        return Ok(());
    }
    let out = client.tmux(&argv)?;
    let by_id: BTreeMap<String, usize> = rows
        .iter()
        .enumerate()
        .map(|(i, r)| (r.pane_id.clone(), i))
        .collect();
    let v_start = format!("{SEP}V{SEP}");
    let c_start = format!("{SEP}C{SEP}");
    let v_end = format!("{SEP}E\n");
    let mut rest = out.as_str();
    let mut contents_of: Option<(usize, String)> = None;
    let finish = |c: Option<(usize, String)>, rows: &mut [Row]| {
        if let Some((i, text)) = c {
            rows[i].pane.contents = Some(crate::pane::trim_trailing_blank_lines(&text));
        }
    };
    while !rest.is_empty() {
        if let Some(r) = rest.strip_prefix(&v_start) {
            finish(contents_of.take(), rows);
            let end = r.find(&v_end).unwrap_or(r.len());
            let mut fields = r[..end].split(SEP);
            let id = fields.next().unwrap_or("");
            if let (Some(&i), Some(names)) = (by_id.get(id), keys.get(id)) {
                let values: Vec<&str> = fields.collect();
                if values.len() == names.len() {
                    for (k, v) in names.iter().zip(values) {
                        rows[i].pane.metadata.insert(k.clone(), v.to_owned());
                    }
                }
            }
            rest = r.get(end + v_end.len()..).unwrap_or("");
        } else if let Some(r) = rest.strip_prefix(&c_start) {
            finish(contents_of.take(), rows);
            let nl = r.find('\n').unwrap_or(r.len());
            if let Some(&i) = by_id.get(&r[..nl]) {
                contents_of = Some((i, String::new()));
            }
            rest = r.get(nl + 1..).unwrap_or("");
        } else {
            let nl = rest.find('\n').map_or(rest.len(), |i| i + 1);
            if let Some((_, text)) = contents_of.as_mut() {
                text.push_str(&rest[..nl]);
            }
            rest = &rest[nl..];
        }
    }
    finish(contents_of.take(), rows);
    Ok(())
}

/// [`capture`], then drop what a restore would refuse (a label or metadata key set on the
/// pane by something other than ctmux), with a warning for each.
pub(crate) fn capture_checked(
    client: &Ctmux,
    name: &str,
    opts: &CaptureOptions,
) -> Result<(Snapshot, Vec<String>)> {
    let mut snap = capture(client, name, opts)?;
    let mut warnings = Vec::new();
    let mut labels = std::collections::HashSet::new();
    for w in &mut snap.windows {
        for p in &mut w.panes {
            let at = format!("window {} pane {}", w.index, p.index);
            if let Some(l) = p.label.take() {
                if crate::ids::Label::new(&l).is_ok() && labels.insert(l.clone()) {
                    p.label = Some(l);
                } else {
                    warnings.push(format!(
                        "{at}: label {l:?} is not a valid unique label; not saved"
                    ));
                }
            }
            p.metadata.retain(|k, _| {
                let ok = check_meta_key(k).is_ok();
                if !ok {
                    warnings.push(format!("{at}: metadata key {k:?} is not valid; not saved"));
                }
                ok
            });
        }
    }
    Ok((snap, warnings))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn joins_argv_for_the_shell() {
        let v = |a: &[&str]| a.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(shell_join(&v(&["sleep", "100"])), "sleep 100");
        assert_eq!(
            shell_join(&v(&["tail", "-f", "/tmp/a b.log", "it's", ""])),
            r"tail -f '/tmp/a b.log' 'it'\''s' ''"
        );
    }

    #[test]
    fn parses_shell_quoted_environment() {
        let text = "unset DISPLAY;\nFOO=\"bar\"; export FOO;\nML=\"line1\nline2 \\\"q\\\" \\$x\"; \
                    export ML;\nunset X;\n";
        let env = parse_env(text);
        assert_eq!(env.len(), 2);
        assert_eq!(env["FOO"], "bar");
        assert_eq!(env["ML"], "line1\nline2 \"q\" $x");
    }
}
