//! The wrapper file the pane's shell sources to run one exec, and what ctmux types to start it.
//!
//! POSIX sh syntax throughout (bash, zsh, dash, ksh parse it); bash- and zsh-only parts go
//! through `eval`. The functions live in a library file each shell sources once per version;
//! every exec redefines the prompt hook and re-installs it, so a command that removed or
//! replaced it (`unset PROMPT_COMMAND`, `exec bash`, a redefined `__ctmux_hook`) is repaired
//! by the next exec. Markers go to `/dev/tty` (so `exec
//! >/dev/null` in a command cannot swallow them) through `\command printf` (so a function or
//! alias named `printf` cannot change them: `builtin printf` in bash and zsh).

use super::sh_quote;
use std::path::Path;

/// What one wrapper needs.
pub(crate) struct Wrapper<'a> {
    /// The exec id.
    pub id: &'a str,
    /// The file holding the command text.
    pub cmd_file: &'a Path,
    /// The file the shell writes the exit status to.
    pub rc_file: &'a Path,
    /// The notifier's `tmux` program and socket, or `None` for a quiet exec (the caller
    /// watches the pushed byte stream and records completion itself).
    pub notify: Option<(&'a str, &'a str)>,
    /// The pane's target (`%3`).
    pub pane: &'a str,
    /// The library file ([`LIB`]), sourced when the shell does not have this version.
    pub lib: &'a Path,
}

/// The `HISTIGNORE` pattern (bash) that keeps typed wrapper lines out of the history.
const HISTIGNORE_PATTERN: &str = "[ ]. '*/exec/*.sh':[ ]__ctmux_fg";

/// ctmux's shell functions, sourced once per shell (and again after `exec bash`, or when
/// this text changes): parsing them costs a shell a few hundred microseconds, so the
/// per-exec wrapper only checks `__ctmux_lib`. Per-exec values come in variables.
const LIB_BODY: &str = r#"if [ -n "${BASH_VERSION-}${ZSH_VERSION-}" ]; then __ctmux_pf() { builtin printf "$@"; }; else __ctmux_pf() { \command printf "$@"; }; fi
__ctmux_mark() { { __ctmux_pf "$@" >/dev/tty; } 2>/dev/null || __ctmux_pf "$@"; }
__ctmux_report() {
{ __ctmux_pf '%s\n' "$1" >|"$__ctmux_rcf"; } 2>/dev/null
__ctmux_mark '\033]ctmux;e;%s;%s\007' "$__ctmux_pending" "$1"
if [ -n "${__ctmux_tmux-}" ]; then "$__ctmux_tmux" -S "$__ctmux_sock" set-option -p -t "$__ctmux_pane" @ctmux-done "$__ctmux_pending:$1" \; wait-for -S "ctmux-$__ctmux_pending" >/dev/null 2>&1; fi
__ctmux_pending=
unset -f exit logout 2>/dev/null
}
__ctmux_end() {
case $1 in 147|148|149|150) if [ -n "$(jobs -s 2>/dev/null)" ]; then __ctmux_stopped=1; __ctmux_mark '\033]ctmux;p;%s\007' "$__ctmux_pending"; return 0; fi ;; esac
__ctmux_report "$1"
}
__ctmux_fg() {
__ctmux_stopped=
__ctmux_mark '\033]ctmux;r;%s\007' "$__ctmux_pending"
fg >/dev/null 2>&1
__ctmux_end "$?"
}
__ctmux_install() {
if [ -n "${BASH_VERSION-}" ]; then
case ";${PROMPT_COMMAND-};" in *";__ctmux_hook;"*) ;; *) PROMPT_COMMAND="__ctmux_hook${PROMPT_COMMAND:+;$PROMPT_COMMAND}" ;; esac
case ":${HISTIGNORE-}:" in *":@HI@:"*) ;; *) HISTIGNORE="${HISTIGNORE:+$HISTIGNORE:}@HI@"
case "$(HISTTIMEFORMAT= builtin history 1 2>/dev/null)" in *"/exec/$__ctmux_pending.sh'") builtin history -d -1 >/dev/null 2>&1 ;; esac ;;
esac
eval 'declare -F exit >/dev/null || { exit() { __ctmux_exit "$@"; }; logout() { __ctmux_exit "$@"; }; }'
elif [ -n "${ZSH_VERSION-}" ]; then
eval '(( ${zshaddhistory_functions[(I)__ctmux_nohist]} )) || zshaddhistory_functions+=(__ctmux_nohist); precmd_functions=(__ctmux_hook ${precmd_functions:#__ctmux_hook}); (( ${+functions[exit]} )) || { exit() { __ctmux_exit "$@"; }; logout() { __ctmux_exit "$@"; }; }'
fi
}
if [ -n "${BASH_VERSION-}${ZSH_VERSION-}" ]; then
eval '__ctmux_exit() { if [ "${BASH_SUBSHELL:-0}${ZSH_SUBSHELL:-0}" != 00 ] || [ -z "${__ctmux_pending-}" ]; then unset -f exit logout; builtin exit "$@"; fi; __ctmux_report "${1-$?}"; kill -INT $$; }'
fi
if [ -n "${ZSH_VERSION-}" ]; then
eval '__ctmux_nohist() { [[ $1 != " . "*/exec/*.sh* && $1 != " __ctmux_fg"* ]] }'
fi
"#;

/// The library's text, ending with the line that records its version in the shell.
pub(crate) fn lib_script() -> String {
    let body = LIB_BODY.replace("@HI@", HISTIGNORE_PATTERN);
    format!("{body}__ctmux_lib={}\n", lib_version(&body))
}

fn lib_version(body: &str) -> String {
    format!("{:012x}", crate::server::fnv1a(body) & 0xffff_ffff_ffff)
}

/// The library's file name in the exec dir (its version in it, so a changed library is a new
/// file and shells with an older one source the new one).
pub(crate) fn lib_file_name() -> String {
    let body = LIB_BODY.replace("@HI@", HISTIGNORE_PATTERN);
    format!("lib-{}.sh", lib_version(&body))
}

impl Wrapper<'_> {
    /// The script text. The prompt hook is defined here, by every exec (it is short), so a
    /// command that redefined it is repaired by the next exec; the hook's installation
    /// (`PROMPT_COMMAND`, `precmd_functions`) is checked by every exec too.
    pub(crate) fn script(&self) -> String {
        let body = LIB_BODY.replace("@HI@", HISTIGNORE_PATTERN);
        let (tmux, sock) = self.notify.unwrap_or(("", ""));
        format!(
            r#"__ctmux_pending={id}
__ctmux_rcf={rcf}
__ctmux_tmux={tmux}
__ctmux_sock={sock}
__ctmux_pane={pane}
__ctmux_stopped=
[ "${{__ctmux_lib-}}" = {version} ] || . {lib}
__ctmux_hook() {{
__ctmux_r=$?
if [ -n "${{__ctmux_pending-}}" ]; then
if [ -z "${{__ctmux_stopped-}}" ]; then __ctmux_end "$__ctmux_r"
elif [ -z "$(jobs -s 2>/dev/null)" ]; then __ctmux_stopped=; __ctmux_report "$__ctmux_r"; fi
fi
return $__ctmux_r
}}
__ctmux_install
__ctmux_mark '\033]ctmux;s;%s\007' "$__ctmux_pending"
. {cmd}
__ctmux_end "$?"
"#,
            id = self.id,
            rcf = sh_quote(&self.rc_file.to_string_lossy()),
            tmux = sh_quote(tmux),
            sock = sh_quote(sock),
            pane = sh_quote(self.pane),
            version = lib_version(&body),
            lib = sh_quote(&self.lib.to_string_lossy()),
            cmd = sh_quote(&self.cmd_file.to_string_lossy()),
        )
    }
}

/// The line typed into the shell to run the wrapper at `path`.
pub(crate) fn typed_line(path: &Path) -> String {
    format!(" . {}", sh_quote(&path.to_string_lossy()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_script_parses_in_sh_bash_and_zsh() {
        let w = Wrapper {
            id: "3x1",
            cmd_file: Path::new("/tmp/x y/3x1.cmd"),
            rc_file: Path::new("/tmp/x'y/3x1.rc"),
            notify: Some(("/usr/bin/tmux", "/tmp/s")),
            pane: "%3",
            lib: Path::new("/tmp/lib.sh"),
        };
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("w.sh");
        let lib = dir.path().join("lib.sh");
        std::fs::write(&f, w.script()).unwrap();
        std::fs::write(&lib, lib_script()).unwrap();
        for sh in ["sh", "bash", "zsh"] {
            if std::process::Command::new(sh)
                .arg("-c")
                .arg("true")
                .status()
                .is_err()
            {
                continue;
            }
            for file in [&f, &lib] {
                let st = std::process::Command::new(sh)
                    .arg("-n")
                    .arg(file)
                    .status()
                    .unwrap();
                assert!(st.success(), "{sh} -n {}", file.display());
            }
        }
    }
}
