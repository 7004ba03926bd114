//! tmuxp workspaces: load one (YAML or JSON) as a [`Snapshot`], and write a snapshot as one.
//!
//! Read as tmuxp reads them (`session_name`, `start_directory`, `environment`,
//! `shell_command_before` at every level, `windows` with `window_name`, `window_index`,
//! `layout`, `focus`, `start_directory`, `panes`): a pane is `null`, `"pane"`, `"blank"` or
//! `""` (blank), a command string, a list of commands, or a mapping with `shell_command`
//! (string, list, or items with `cmd`), `start_directory`, `focus`. `~` and `$VAR` are
//! expanded in names and directories; a relative `start_directory` is relative to the
//! enclosing one (window in session, pane in window), or to the file's directory when there
//! is none, as tmuxp 1.x resolves it. A pane's commands (after every
//! `shell_command_before`) become one command run by its shell. Not carried over, with a
//! warning: `before_script` (never run), `options`, `global_options`, `plugins`, pane
//! `sleep_before`/`sleep_after`, `enter: false`.

use super::schema::{corrupt, Loaded, PaneSnapshot, Snapshot, Source, WindowSnapshot};
use crate::error::Result;
use serde_json::{json, Map, Value};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// Read YAML `text` (the content of `path`) as a tmuxp workspace.
///
/// # Errors
/// [`crate::Error::Corrupt`] if it is not YAML or not a tmuxp workspace.
pub fn parse_yaml(path: &Path, text: &str) -> Result<Loaded> {
    let value: Value = yaml_serde::from_str(text)
        .map_err(|e| corrupt(path, format!("not valid YAML or JSON: {e}")))?;
    match &value {
        Value::Object(o) if o.contains_key("session_name") || o.contains_key("windows") => {
            from_json(path, value)
        }
        _ => Err(corrupt(
            path,
            "neither a ctmux snapshot nor a tmuxp workspace (no session_name and windows)",
        )),
    }
}

/// `~` and `$VAR` / `${VAR}` expanded as tmuxp does (unknown variables stay as written).
fn expand(s: &str) -> String {
    let home = std::env::var("HOME").unwrap_or_default();
    let s = if s == "~" {
        home.clone()
    } else if let Some(rest) = s.strip_prefix("~/") {
        format!("{home}/{rest}")
    } else {
        s.to_owned()
    };
    let mut out = String::new();
    let mut rest = s.as_str();
    while let Some(i) = rest.find('$') {
        out.push_str(&rest[..i]);
        let after = &rest[i + 1..];
        let (name, used) = if let Some(b) = after.strip_prefix('{') {
            match b.find('}') {
                Some(j) => (&b[..j], j + 2),
                None => ("", 0),
            }
        } else {
            let n = after
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(after.len());
            (&after[..n], n)
        };
        match std::env::var(name).ok().filter(|_| !name.is_empty()) {
            Some(v) => out.push_str(&v),
            None => out.push_str(&rest[i..i + 1 + used]),
        }
        rest = &rest[i + 1 + used..];
    }
    out.push_str(rest);
    out
}

fn text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

fn truthy(v: Option<&Value>) -> bool {
    match v {
        Some(Value::Bool(b)) => *b,
        Some(Value::String(s)) => matches!(s.as_str(), "true" | "True" | "yes" | "on" | "1"),
        Some(Value::Number(n)) => n.as_u64() == Some(1),
        _ => false,
    }
}

/// The commands of a `shell_command` / `shell_command_before` value.
fn commands(v: Option<&Value>, at: &str, warnings: &mut Vec<String>) -> Vec<String> {
    let one = |v: &Value, warnings: &mut Vec<String>| -> Option<String> {
        match v {
            Value::String(s) if matches!(s.as_str(), "" | "pane" | "blank") => None,
            Value::String(s) => Some(expand(s)),
            Value::Object(o) => {
                if o.get("enter")
                    .is_some_and(|e| !truthy(Some(e)) && !e.is_null())
                {
                    warnings.push(format!(
                        "{at}: \"enter: false\" is not supported; run anyway"
                    ));
                }
                if o.contains_key("sleep_before") || o.contains_key("sleep_after") {
                    warnings.push(format!("{at}: sleep_before/sleep_after are ignored"));
                }
                o.get("cmd").and_then(text).map(|s| expand(&s))
            }
            Value::Null => None,
            other => text(other),
        }
    };
    match v {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(items)) => items.iter().filter_map(|i| one(i, warnings)).collect(),
        Some(other) => one(other, warnings).into_iter().collect(),
    }
}

/// A `start_directory` resolved against `parent` (or the workspace file's dir).
fn directory(v: Option<&Value>, parent: Option<&str>, file_dir: &Path) -> Option<String> {
    let raw = expand(&text(v?)?);
    // As tmuxp 1.x resolves it: relative to the enclosing start_directory if there is one,
    // else to the workspace file's directory.
    let p = match parent {
        _ if raw.starts_with('/') => PathBuf::from(&raw),
        Some(parent) => Path::new(parent).join(&raw),
        None => file_dir.join(&raw),
    };
    Some(normalize(&p))
}

/// `p` without `.` and `..` components (lexically, as tmuxp's `resolve(strict=False)`).
fn normalize(p: &Path) -> String {
    let mut out = PathBuf::from("/");
    for c in p.components() {
        match c {
            std::path::Component::ParentDir => {
                out.pop();
            }
            std::path::Component::Normal(n) => out.push(n),
            _ => {}
        }
    }
    out.to_string_lossy().into_owned()
}

/// Convert a tmuxp workspace (already parsed from YAML or JSON) read from `path`.
///
/// # Errors
/// [`crate::Error::Corrupt`] if a required part is missing or has the wrong type.
pub fn from_json(path: &Path, value: Value) -> Result<Loaded> {
    let Value::Object(root) = value else {
        return Err(corrupt(path, "a tmuxp workspace is a mapping"));
    };
    let abs = if path.is_absolute() {
        path.to_path_buf()
    } else {
        std::env::current_dir().unwrap_or_default().join(path)
    };
    let file_dir = abs.parent().unwrap_or(Path::new("/")).to_path_buf();
    let mut warnings = Vec::new();
    let name = root
        .get("session_name")
        .and_then(text)
        .map(|s| expand(&s))
        .ok_or_else(|| {
            corrupt(
                path,
                "tmuxp workspace: session_name is missing or not a string",
            )
        })?;
    for key in [
        "before_script",
        "options",
        "global_options",
        "plugins",
        "options_after",
    ] {
        if root.contains_key(key) {
            warnings.push(format!("tmuxp {key} is not applied"));
        }
    }
    let session_dir = directory(root.get("start_directory"), None, &file_dir);
    let session_before = commands(root.get("shell_command_before"), "session", &mut warnings);
    let mut snap = Snapshot::new(&name);
    snap.saved_at.clear();
    snap.saved_at_ms = 0;
    match root.get("environment") {
        None | Some(Value::Null) => {}
        Some(Value::Object(env)) => {
            for (k, v) in env {
                let v = text(v)
                    .ok_or_else(|| corrupt(path, format!("tmuxp environment.{k}: not a string")))?;
                snap.environment.insert(k.clone(), expand(&v));
            }
        }
        Some(_) => return Err(corrupt(path, "tmuxp environment: not a mapping")),
    }
    let windows = match root.get("windows") {
        Some(Value::Array(w)) => w,
        _ => {
            return Err(corrupt(
                path,
                "tmuxp workspace: windows is missing or not a list",
            ))
        }
    };
    let mut used = BTreeSet::new();
    for w in windows {
        if let Some(i) = w.get("window_index").and_then(Value::as_u64) {
            used.insert(i as u32);
        }
    }
    let mut next = 0u32;
    let any_focus = windows.iter().any(|w| truthy(w.get("focus")));
    for (wi, w) in windows.iter().enumerate() {
        let at = format!("tmuxp windows[{wi}]");
        let Value::Object(w) = w else {
            return Err(corrupt(path, format!("{at}: not a mapping")));
        };
        let index = match w.get("window_index").and_then(Value::as_u64) {
            Some(i) => i as u32,
            None => {
                while used.contains(&next) {
                    next += 1;
                }
                used.insert(next);
                next
            }
        };
        if w.contains_key("options") || w.contains_key("options_after") {
            warnings.push(format!("{at}: window options are not applied"));
        }
        let wdir = directory(w.get("start_directory"), session_dir.as_deref(), &file_dir)
            .or_else(|| session_dir.clone());
        let mut before = session_before.clone();
        before.extend(commands(w.get("shell_command_before"), &at, &mut warnings));
        let layout = match w.get("layout") {
            None | Some(Value::Null) => None,
            Some(v) => {
                Some(text(v).ok_or_else(|| corrupt(path, format!("{at}.layout: not a string")))?)
            }
        };
        let pane_values = match w.get("panes") {
            None | Some(Value::Null) => vec![Value::Null],
            Some(Value::Array(p)) if p.is_empty() => vec![Value::Null],
            Some(Value::Array(p)) => p.clone(),
            Some(_) => return Err(corrupt(path, format!("{at}.panes: not a list"))),
        };
        let any_pane_focus = pane_values.iter().any(|p| truthy(p.get("focus")));
        let mut panes = Vec::new();
        for (pi, p) in pane_values.iter().enumerate() {
            let pat = format!("{at}.panes[{pi}]");
            let (cmds, dir, focus) = match p {
                Value::Object(o) => {
                    let mut c = before.clone();
                    c.extend(commands(o.get("shell_command_before"), &pat, &mut warnings));
                    c.extend(commands(o.get("shell_command"), &pat, &mut warnings));
                    if o.contains_key("sleep_before") || o.contains_key("sleep_after") {
                        warnings.push(format!("{pat}: sleep_before/sleep_after are ignored"));
                    }
                    let dir = directory(o.get("start_directory"), wdir.as_deref(), &file_dir);
                    (c, dir, truthy(o.get("focus")))
                }
                other => {
                    let mut c = before.clone();
                    c.extend(commands(Some(other), &pat, &mut warnings));
                    (c, None, false)
                }
            };
            panes.push(PaneSnapshot {
                index: pi as u32,
                active: if any_pane_focus { focus } else { pi == 0 },
                cwd: dir.or_else(|| wdir.clone()),
                command: (!cmds.is_empty()).then(|| cmds.join("\n")),
                ..PaneSnapshot::default()
            });
        }
        let name = w.get("window_name").and_then(text).map(|n| expand(&n));
        snap.windows.push(WindowSnapshot {
            index,
            automatic_rename: name.is_none(),
            name: name.unwrap_or_default(),
            active: if any_focus {
                truthy(w.get("focus"))
            } else {
                wi == 0
            },
            zoomed: false,
            layout,
            width: None,
            height: None,
            panes,
        });
    }
    snap.update_counts();
    Ok(Loaded {
        snapshot: snap,
        source: Source::Tmuxp,
        warnings,
    })
}

/// `snap` as a tmuxp workspace (YAML). Labels, metadata, history and contents have no place
/// in tmuxp and are left out; each pane gets its `start_directory` and, if a job ran, that
/// command as its `shell_command`.
pub fn to_yaml(snap: &Snapshot) -> String {
    let mut root = Map::new();
    root.insert("session_name".into(), json!(snap.session_name));
    if !snap.environment.is_empty() {
        root.insert("environment".into(), json!(snap.environment));
    }
    let windows: Vec<Value> = snap
        .windows
        .iter()
        .map(|w| {
            let mut o = Map::new();
            o.insert("window_name".into(), json!(w.name));
            o.insert("window_index".into(), json!(w.index));
            if let Some(l) = &w.layout {
                o.insert("layout".into(), json!(l));
            }
            if w.automatic_rename {
                o.insert("options".into(), json!({"automatic-rename": "on"}));
            }
            if w.active {
                o.insert("focus".into(), json!(true));
            }
            let panes: Vec<Value> = w
                .panes
                .iter()
                .map(|p| {
                    let mut po = Map::new();
                    let cmds: Vec<&String> = p.command.iter().collect();
                    po.insert("shell_command".into(), json!(cmds));
                    if let Some(d) = &p.cwd {
                        po.insert("start_directory".into(), json!(d));
                    }
                    if p.active {
                        po.insert("focus".into(), json!(true));
                    }
                    Value::Object(po)
                })
                .collect();
            o.insert("panes".into(), json!(panes));
            Value::Object(o)
        })
        .collect();
    root.insert("windows".into(), json!(windows));
    yaml_serde::to_string(&Value::Object(root)).expect("a JSON value serializes as YAML")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(text: &str) -> Loaded {
        parse_yaml(Path::new("/ws/dev.yaml"), text).unwrap()
    }

    #[test]
    fn shorthands_and_before_commands() {
        let l = load(
            "session_name: 4-pane-split\nwindows:\n- window_name: dev window\n  layout: tiled\n  \
             shell_command_before:\n    - cd ~/\n  panes:\n    - shell_command:\n        - cd \
             /var/log\n        - ls -al | grep \\.log\n    - echo second pane\n    - pane\n    -\n",
        );
        let w = &l.snapshot.windows[0];
        assert_eq!(w.name, "dev window");
        assert_eq!(w.layout.as_deref(), Some("tiled"));
        assert_eq!(w.panes.len(), 4);
        // As tmuxp's expanduser: `~` only at the start of a value (the shell expands the rest).
        assert_eq!(
            w.panes[0].command.as_deref(),
            Some("cd ~/\ncd /var/log\nls -al | grep \\.log")
        );
        assert_eq!(w.panes[2].command.as_deref(), Some("cd ~/"));
        assert!(w.panes[0].active && !w.panes[1].active);
    }

    #[test]
    fn directories_trickle_down() {
        let l = load(
            "session_name: dirs\nstart_directory: /var/\nwindows:\n- window_name: a\n  panes: \
             [pwd]\n- window_name: b\n  start_directory: log\n  panes:\n  - start_directory: \
             /tmp\n  - null\n- window_name: c\n  start_directory: ./sub\n  panes: [pwd]\n",
        );
        let d = |w: usize, p: usize| l.snapshot.windows[w].panes[p].cwd.clone().unwrap();
        assert_eq!(d(0, 0), "/var");
        assert_eq!(d(1, 0), "/tmp");
        assert_eq!(d(1, 1), "/var/log");
        assert_eq!(d(2, 0), "/var/sub");
        assert_eq!(l.snapshot.windows[1].panes[1].command, None);
    }

    #[test]
    fn relative_to_the_file_without_a_session_directory() {
        let l = load("session_name: f\nwindows:\n- panes:\n  - start_directory: ./a/../b\n");
        assert_eq!(l.snapshot.windows[0].panes[0].cwd.as_deref(), Some("/ws/b"));
        assert!(l.snapshot.windows[0].automatic_rename);
    }

    #[test]
    fn round_trips_through_yaml() {
        let l = load(
            "session_name: rt\nenvironment:\n  EDITOR: vim\nwindows:\n- window_name: one\n  \
             focus: true\n  panes:\n  - shell_command: [sleep 100]\n    start_directory: /tmp\n",
        );
        let yaml = to_yaml(&l.snapshot);
        let again = load(&yaml);
        assert_eq!(again.snapshot.windows, l.snapshot.windows);
        assert_eq!(again.snapshot.environment["EDITOR"], "vim");
    }

    #[test]
    fn bad_workspaces_are_corrupt() {
        for bad in [
            "windows: []\n",
            "session_name: x\n",
            "session_name: x\nwindows: 3\n",
            "session_name: x\nwindows: [3]\n",
            "- a\n- b\n",
            "session_name: [unclosed\n",
        ] {
            let e = parse_yaml(Path::new("/x.yaml"), bad).unwrap_err();
            assert_eq!(e.kind(), crate::ErrorKind::Corrupt, "{bad:?}: {e}");
        }
    }
}
