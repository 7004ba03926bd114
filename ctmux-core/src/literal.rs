//! User values that tmux reads literally: the one place that knows where tmux expands
//! formats in a command's arguments, and escapes what goes there.
//!
//! tmux runs some arguments through its format engine before using them: `#{...}` is
//! replaced, `#(cmd)` **runs `cmd` through a shell**, `#[...]` is style, `##` is `#`. In tmux
//! 3.3 these are `new-session -s -n -c`, `new-window -n -c`, `split-window -c`,
//! `respawn-pane -c`, `respawn-window -c`, `attach-session -c`, `select-pane -T`, the new
//! name of `rename-session` and `rename-window`, the option name of `set-option` /
//! `show-options` (and their window and hook forms), and the command of `pipe-pane` (which
//! also goes through `strftime`, so `%` is special there). Read from tmux's source at 3.3a and
//! checked again against the development tree (3.7c and later): it adds `split-window -T`
//! (pane title) and `-m` (remain-on-exit format), and `-f` filters on `kill-*` and
//! `wait-for`, which ctmux never passes a user value to; nothing expanded in 3.3a stopped
//! being expanded.
//!
//! ctmux never means a format in any of these places, so [`protect`] escapes every one of
//! them in every command that goes to tmux through [`crate::Ctmux::tmux`] (the domain's door
//! to the backend): `#` becomes `##` (and `%` becomes `%%` for `pipe-pane`), which tmux turns
//! back into the value as given. Call sites pass values as they are. Where ctmux composes a
//! format of its own with a user value inside (`set-option -F`, `display-message`), the
//! user part goes through [`escape_format`]; the format arguments (`-F`, `display-message`'s
//! message) are left alone, being ctmux's own.
//!
//! The other half of reading values literally is the transport: a bare `;` element
//! separates commands and every other element is one argument (the process backend escapes a
//! trailing `;`, the control backend quotes every argument).

/// `s` escaped so tmux's format engine gives it back unchanged: every `#` doubled, except a
/// run of `#` just before `[`, which the engine copies as it is (it leaves styles, `#[...]`
/// and `##[...]`, to the drawing code).
pub(crate) fn escape_format(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    let mut run = 0;
    for c in s.chars() {
        if c == '#' {
            run += 1;
            continue;
        }
        let hashes = if c == '[' { run } else { 2 * run };
        out.extend(std::iter::repeat_n('#', hashes));
        run = 0;
        out.push(c);
    }
    out.extend(std::iter::repeat_n('#', 2 * run));
    out
}

/// `s` escaped for an argument that goes through `strftime` and then the format engine
/// (`pipe-pane`'s command): `%` doubled, then `#` doubled.
fn escape_time_format(s: &str) -> String {
    escape_format(&s.replace('%', "%%"))
}

/// What of one tmux command's arguments tmux expands as a format.
struct Spec {
    /// The command's name and alias.
    names: [&'static str; 2],
    /// tmux's getopt string for the command (a letter followed by `:` takes a value).
    getopt: &'static str,
    /// The flags whose value is expanded.
    flags: &'static str,
    /// The positional arguments (0-based, after the flags) that are expanded.
    args: &'static [usize],
    /// Whether the expansion also runs `strftime` (`%` is special).
    time: bool,
}

const SPECS: &[Spec] = &[
    spec(
        ["new-session", "new"],
        "Ac:dDe:EF:f:n:Ps:t:x:Xy:",
        "cns",
        &[],
    ),
    spec(["new-window", "neww"], "abc:de:F:kn:PSt:", "cn", &[]),
    // tmux 3.3a's flags and the development tree's (3.7+: -T title and -m
    // remain-on-exit-format are expanded too, -s/-S/-R styles take values).
    spec(
        ["split-window", "splitw"],
        "AbB:Cc:de:EfF:hIkl:KLMm:Op:PR:s:S:t:T:vWx:X:y:Y:Z",
        "cmT",
        &[],
    ),
    spec(["respawn-pane", "respawnp"], "c:e:Ekt:", "c", &[]),
    spec(["respawn-window", "respawnw"], "c:e:kt:", "c", &[]),
    spec(["attach-session", "attach"], "c:dEf:rt:x", "c", &[]),
    spec(["select-pane", "selectp"], "DdegLlMmP:RT:t:UZ", "T", &[]),
    spec(["rename-session", "rename"], "t:", "", &[0]),
    spec(["rename-window", "renamew"], "t:", "", &[0]),
    spec(["set-option", "set"], "aFgopqst:uUw", "", &[0]),
    spec(["set-window-option", "setw"], "aFgoqt:u", "", &[0]),
    spec(["set-hook", "set-hook"], "agpRt:uw", "", &[0]),
    spec(["show-options", "show"], "AgHpqst:vw", "", &[0]),
    spec(["show-window-options", "showw"], "gvt:", "", &[0]),
    spec(["show-hooks", "show-hooks"], "gpt:w", "", &[0]),
    Spec {
        names: ["pipe-pane", "pipep"],
        getopt: "IOot:",
        flags: "",
        args: &[0],
        time: true,
    },
];

const fn spec(
    names: [&'static str; 2],
    getopt: &'static str,
    flags: &'static str,
    args: &'static [usize],
) -> Spec {
    Spec {
        names,
        getopt,
        flags,
        args,
        time: false,
    }
}

impl Spec {
    fn find(name: &str) -> Option<&'static Spec> {
        SPECS.iter().find(|s| s.names.contains(&name))
    }

    fn takes_value(&self, flag: char) -> bool {
        let mut chars = self.getopt.chars().peekable();
        while let Some(c) = chars.next() {
            let has_value = chars.peek() == Some(&':');
            if has_value {
                chars.next();
            }
            if c == flag {
                return has_value;
            }
        }
        false
    }

    fn escape(&self, value: &str) -> String {
        if self.time {
            escape_time_format(value)
        } else {
            escape_format(value)
        }
    }
}

/// `argv` (one or more commands separated by bare `;` elements) with every argument that
/// tmux would expand as a format escaped, so tmux uses it exactly as given. Commands other
/// than those listed in the module docs are passed unchanged.
pub(crate) fn protect(argv: &[String]) -> Vec<String> {
    let mut out: Vec<String> = argv.to_vec();
    let mut start = 0;
    while start < out.len() {
        let end = out[start..]
            .iter()
            .position(|a| a == ";")
            .map_or(out.len(), |p| start + p);
        protect_command(&mut out[start..end]);
        start = end + 1;
    }
    out
}

fn protect_command(cmd: &mut [String]) {
    let Some(spec) = cmd.first().and_then(|n| Spec::find(n)) else {
        return;
    };
    let mut i = 1;
    // Flags, as tmux's getopt reads them: grouped (`-dP`), a value attached (`-c/x`) or in
    // the next element, `--` ending them, the first non-flag element starting the arguments.
    while i < cmd.len() {
        let arg = cmd[i].clone();
        if arg == "--" {
            i += 1;
            break;
        }
        if !arg.starts_with('-') || arg == "-" {
            break;
        }
        for (at, flag) in arg.char_indices().skip(1) {
            if !spec.takes_value(flag) {
                continue;
            }
            let rest = &arg[at + flag.len_utf8()..];
            let expands = spec.flags.contains(flag);
            if !rest.is_empty() {
                if expands {
                    cmd[i] = format!("{}{}", &arg[..at + flag.len_utf8()], spec.escape(rest));
                }
            } else if i + 1 < cmd.len() {
                i += 1;
                if expands {
                    cmd[i] = spec.escape(&cmd[i]);
                }
            }
            break;
        }
        i += 1;
    }
    for (n, value) in cmd.iter_mut().skip(i).enumerate() {
        if spec.args.contains(&n) {
            *value = spec.escape(value);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(argv: &[&str]) -> Vec<String> {
        protect(&argv.iter().map(|s| s.to_string()).collect::<Vec<_>>())
    }

    #[test]
    fn expanded_flags_and_arguments_are_escaped() {
        assert_eq!(
            p(&[
                "new-session",
                "-d",
                "-s",
                "x#(touch y)",
                "-P",
                "-F",
                "#{session_id}",
                "-c",
                "/tmp/#{pane_pid}",
                "-n",
                "##",
                "-e",
                "A=#x",
            ]),
            [
                "new-session",
                "-d",
                "-s",
                "x##(touch y)",
                "-P",
                "-F",
                "#{session_id}",
                "-c",
                "/tmp/##{pane_pid}",
                "-n",
                "####",
                "-e",
                "A=#x",
            ]
        );
        assert_eq!(
            p(&["rename-window", "-t", "@1", "#[fg=red]##[x]#(y)#"]),
            ["rename-window", "-t", "@1", "#[fg=red]##[x]##(y)##"],
            "the format engine copies a run of # before [ as it is"
        );
        assert_eq!(
            p(&["set-option", "-p", "-t", "%1", "@ctmux-meta-a#b", "v#{x}"]),
            ["set-option", "-p", "-t", "%1", "@ctmux-meta-a##b", "v#{x}"],
            "the option name is expanded, a value without -F is not"
        );
        assert_eq!(
            p(&["pipe-pane", "-O", "-t", "%1", "exec cat >> '/a%d/#b'"]),
            ["pipe-pane", "-O", "-t", "%1", "exec cat >> '/a%%d/##b'"]
        );
    }

    #[test]
    fn grouped_and_attached_flags_every_command_of_a_batch() {
        assert_eq!(
            p(&["new-window", "-dPc/x#y", "-n#", "--", "#cmd"]),
            ["new-window", "-dPc/x##y", "-n##", "--", "#cmd"]
        );
        assert_eq!(
            p(&[
                "split-window",
                "-c",
                "#a",
                ";",
                "respawn-pane",
                "-k",
                "-c",
                "#b",
                "sh #"
            ]),
            [
                "split-window",
                "-c",
                "##a",
                ";",
                "respawn-pane",
                "-k",
                "-c",
                "##b",
                "sh #"
            ]
        );
        assert_eq!(
            p(&["display-message", "-p", "#{pane_id}"]),
            ["display-message", "-p", "#{pane_id}"],
            "ctmux's own formats are left alone"
        );
        assert_eq!(
            p(&["select-pane", "-T", "#x"]),
            ["select-pane", "-T", "##x"]
        );
    }
}
