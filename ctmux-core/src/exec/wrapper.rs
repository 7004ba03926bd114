//! The wrapper file the pane's shell sources to run one exec, and what ctmux types to start it.
//!
//! POSIX sh syntax throughout (bash, zsh, dash, ksh parse it); zsh-only parts go through
//! `eval`. Every exec redefines the functions and re-installs the prompt hook, so a command
//! that removed or replaced them (`unset PROMPT_COMMAND`, `exec bash`, a redefined
//! `__ctmux_hook`) is repaired by the next exec. Markers go to `/dev/tty` (so `exec
//! >/dev/null` in a command cannot swallow them) through `\command printf` (so a function or
//! alias named `printf` cannot change them: `builtin printf` in bash and zsh).

use super::sh_quote;
use crate::pane::DONE_OPTION;
use std::path::Path;

/// What one wrapper needs.
pub(crate) struct Wrapper<'a> {
    /// The exec id.
    pub id: &'a str,
    /// The file holding the command text.
    pub cmd_file: &'a Path,
    /// The file the shell writes the exit status to.
    pub rc_file: &'a Path,
    /// The `tmux -S <socket>` prefix of the notifier, or `None` for a quiet exec (the caller
    /// watches the pushed byte stream and records completion itself).
    pub notify: Option<&'a str>,
    /// The pane's target (`%3`).
    pub pane: &'a str,
}

/// The `HISTIGNORE` pattern (bash) that keeps typed wrapper lines out of the history.
const HISTIGNORE_PATTERN: &str = "[ ]. '*/exec/*.sh':[ ]__ctmux_fg";

impl Wrapper<'_> {
    /// The script text.
    pub(crate) fn script(&self) -> String {
        let notify = match self.notify {
            Some(n) => format!(
                "{n} set-option -p -t {pane} {done} \"$__ctmux_pending:$1\" \\; wait-for -S \"ctmux-$__ctmux_pending\" >/dev/null 2>&1",
                pane = sh_quote(self.pane),
                done = DONE_OPTION,
            ),
            None => ":".into(),
        };
        format!(
            r#"__ctmux_pending={id}
__ctmux_rcf={rcf}
__ctmux_stopped=
if [ -n "${{BASH_VERSION-}}${{ZSH_VERSION-}}" ]; then __ctmux_pf() {{ builtin printf "$@"; }}; else __ctmux_pf() {{ \command printf "$@"; }}; fi
__ctmux_mark() {{ {{ __ctmux_pf "$@" >/dev/tty; }} 2>/dev/null || __ctmux_pf "$@"; }}
__ctmux_report() {{
__ctmux_mark '\033]ctmux;e;%s;%s\007' "$__ctmux_pending" "$1"
{{ __ctmux_pf '%s\n' "$1" >|"$__ctmux_rcf"; }} 2>/dev/null
{notify}
__ctmux_pending=
unset -f exit logout 2>/dev/null
}}
__ctmux_end() {{
case $1 in 147|148|149|150) if [ -n "$(jobs -s 2>/dev/null)" ]; then __ctmux_stopped=1; __ctmux_mark '\033]ctmux;p;%s\007' "$__ctmux_pending"; return 0; fi ;; esac
__ctmux_report "$1"
}}
__ctmux_hook() {{
__ctmux_r=$?
if [ -n "${{__ctmux_pending-}}" ]; then
if [ -z "${{__ctmux_stopped-}}" ]; then __ctmux_end "$__ctmux_r"
elif [ -z "$(jobs -s 2>/dev/null)" ]; then __ctmux_stopped=; __ctmux_report "$__ctmux_r"; fi
fi
return $__ctmux_r
}}
__ctmux_fg() {{
__ctmux_stopped=
__ctmux_mark '\033]ctmux;r;%s\007' "$__ctmux_pending"
fg >/dev/null 2>&1
__ctmux_end "$?"
}}
if [ -n "${{BASH_VERSION-}}" ]; then
case ";${{PROMPT_COMMAND-}};" in *";__ctmux_hook;"*) ;; *) PROMPT_COMMAND="__ctmux_hook${{PROMPT_COMMAND:+;$PROMPT_COMMAND}}" ;; esac
case ":${{HISTIGNORE-}}:" in *":{hi}:"*) ;; *) HISTIGNORE="${{HISTIGNORE:+$HISTIGNORE:}}{hi}"
case "$(HISTTIMEFORMAT= builtin history 1 2>/dev/null)" in *"/exec/"{id}".sh'") builtin history -d -1 >/dev/null 2>&1 ;; esac ;;
esac
elif [ -n "${{ZSH_VERSION-}}" ]; then
eval '__ctmux_nohist() {{ [[ $1 != " . "*/exec/*.sh* && $1 != " __ctmux_fg"* ]] }}; (( ${{zshaddhistory_functions[(I)__ctmux_nohist]}} )) || zshaddhistory_functions+=(__ctmux_nohist); precmd_functions=(__ctmux_hook ${{precmd_functions:#__ctmux_hook}})'
fi
if [ -n "${{BASH_VERSION-}}${{ZSH_VERSION-}}" ]; then
eval '__ctmux_exit() {{ if [ "${{BASH_SUBSHELL:-0}}${{ZSH_SUBSHELL:-0}}" != 00 ] || [ -z "${{__ctmux_pending-}}" ]; then unset -f exit logout; builtin exit "$@"; fi; __ctmux_report "${{1-$?}}"; kill -INT $$; }}'
if [ -n "${{BASH_VERSION-}}" ]; then eval 'declare -F exit >/dev/null || {{ exit() {{ __ctmux_exit "$@"; }}; logout() {{ __ctmux_exit "$@"; }}; }}'
else eval '(( ${{+functions[exit]}} )) || {{ exit() {{ __ctmux_exit "$@"; }}; logout() {{ __ctmux_exit "$@"; }}; }}'; fi
fi
__ctmux_mark '\033]ctmux;s;%s\007' "$__ctmux_pending"
. {cmd}
__ctmux_end "$?"
"#,
            id = self.id,
            rcf = sh_quote(&self.rc_file.to_string_lossy()),
            hi = HISTIGNORE_PATTERN,
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
            notify: Some("'/usr/bin/tmux' -S '/tmp/s'"),
            pane: "%3",
        };
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("w.sh");
        std::fs::write(&f, w.script()).unwrap();
        for sh in ["sh", "bash", "zsh"] {
            if std::process::Command::new(sh)
                .arg("-c")
                .arg("true")
                .status()
                .is_err()
            {
                continue;
            }
            let st = std::process::Command::new(sh)
                .arg("-n")
                .arg(&f)
                .status()
                .unwrap();
            assert!(st.success(), "{sh} -n");
        }
    }
}
