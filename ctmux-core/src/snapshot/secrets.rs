//! Secrets kept out of snapshots by their value, not only by the variable's name.
//!
//! A [`Redactor`] replaces the secret part of a text with [`REDACTED`]: credentials in URLs
//! (`postgres://u:pass@host`, a token as the user of `https://TOKEN@host`), webhook URLs
//! (Slack, Discord), well-known token shapes (GitHub `ghp_`/`github_pat_`, Slack `xox?-`,
//! OpenAI/Anthropic `sk-`, Stripe, AWS access key ids, Google API keys, GitLab, npm, PyPI,
//! Hugging Face, SendGrid, JWTs, private key blocks), `Authorization:` and API-key headers,
//! `--password=`/`--token VALUE` style options, `mysql -pSECRET`, `sshpass -p SECRET`, and
//! shell assignments whose name says secret (`export GITHUB_TOKEN=...`). Callers add their
//! own patterns ([`Redactor::new`]); what was redacted is listed in the snapshot
//! ([`super::Snapshot::redacted`]). The shapes are specific on purpose: ordinary paths, URLs
//! without credentials, hashes, UUIDs and words like `task-runner` or `TOKENIZERS` stay.

use crate::error::{Error, Result};
use regex::{Captures, Regex};
use std::borrow::Cow;
use std::sync::LazyLock;

/// What replaces a secret.
pub const REDACTED: &str = "[REDACTED]";

/// Value shapes: the secret is the group named `s`, or the whole match without one.
static SHAPES: LazyLock<Vec<Regex>> = LazyLock::new(|| {
    [
        // Private key blocks (PEM), to their end or the end of the text.
        r"-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----[\s\S]*?(?:-----END [A-Z0-9 ]*PRIVATE KEY-----|\z)",
        // A password in a URL's user info: scheme://user:PASSWORD@host.
        r"(?i)\b[a-z][a-z0-9+.\-]*://[^\s:/@'\x22]*:(?P<s>[^\s@/'\x22]+)@",
        // A token as a URL's whole user info (Sentry DSNs, https://TOKEN@github.com).
        r"(?i)\b[a-z][a-z0-9+.\-]*://(?P<s>[A-Za-z0-9_\-]{20,})@",
        // Webhook URLs: the path is the credential.
        r"(?i)\bhttps://hooks\.slack\.com/(?:services|workflows|triggers)/(?P<s>[A-Za-z0-9/_\-]+)",
        r"(?i)\bhttps://(?:canary\.|ptb\.)?discord(?:app)?\.com/api/webhooks/(?P<s>[0-9]+/[A-Za-z0-9_\-]+)",
        // Authorization headers, with or without a scheme word.
        r"(?i)\b(?:proxy-)?authorization\s*:\s*(?:(?:bearer|basic|token|digest|negotiate|bot)\s+)?(?P<s>[^\s'\x22]+)",
        r"(?i)\bx-(?:api-key|auth-token|access-token|api-token)\s*:\s*(?P<s>[^\s'\x22]+)",
        r"(?i)\bbearer\s+(?P<s>[A-Za-z0-9._~+/=\-]{16,})",
        // Token shapes.
        r"\bgh[pousr]_[A-Za-z0-9]{36,}\b",
        r"\bgithub_pat_[A-Za-z0-9_]{22,}",
        r"\bxox[a-z]-[A-Za-z0-9\-]{10,}",
        r"\bxapp-[0-9]-[A-Za-z0-9\-]{10,}",
        r"\b[sr]k_(?:live|test)_[A-Za-z0-9]{16,}",
        r"\bwhsec_[A-Za-z0-9]{20,}",
        r"\b(?:AKIA|ASIA|AGPA|AIDA|AROA|ANPA|ANVA|AIPA)[0-9A-Z]{16}\b",
        r"\bAIza[0-9A-Za-z_\-]{35}",
        r"\bglpat-[0-9A-Za-z_\-]{20,}",
        r"\bnpm_[A-Za-z0-9]{36}\b",
        r"\bpypi-AgE[A-Za-z0-9_\-]{50,}",
        r"\bhf_[A-Za-z0-9]{30,}\b",
        r"\bSG\.[A-Za-z0-9_\-]{22}\.[A-Za-z0-9_\-]{43}\b",
        r"\bdop_v1_[a-f0-9]{64}\b",
        r"\bshp(?:at|ss|ca|pa)_[a-fA-F0-9]{32}\b",
        r"\beyJ[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]{8,}",
        // OpenAI / Anthropic keys: checked for randomness below (`sk-learn-…` is a word).
        r"\bsk-(?P<k>[A-Za-z0-9_\-]{20,})",
        // Options that carry a secret: --password=X, --token X, -password X.
        r"(?i)(?:^|\s)--?(?:[a-z0-9]+[\-_])*(?:password|passwd|token|secret|api[\-_]?key|access[\-_]?key)(?:=|\s+)(?P<s>'[^']*'|\x22[^\x22]*\x22|[^\s'\x22\-][^\s'\x22]*)",
        // The MySQL family's attached password, sshpass's -p.
        r"\b(?:mysql|mysqldump|mysqladmin|mariadb|mariadb-dump)\b[^\n;|&]*?\s-p(?P<s>[^\s'\x22]+)",
        r"\bsshpass\b(?:\s+-[a-oq-zA-Z]\S*)*\s+-p\s*(?P<s>'[^']*'|\x22[^\x22]*\x22|[^\s'\x22]+)",
    ]
    .iter()
    .map(|p| Regex::new(p).expect("built-in secret pattern"))
    .collect()
});

/// `NAME=value` in a command line (optionally after `export`), the name checked by
/// [`secret_name`].
static ASSIGNMENT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?:^|[\s;&|(])(?P<n>[A-Za-z_][A-Za-z0-9_]*)=(?P<s>'[^']*'|\x22[^\x22]*\x22|[^\s;&|)]+)",
    )
    .expect("built-in assignment pattern")
});

/// Whether a variable (or option) name says its value is a secret: one of its `_`/`-`
/// separated words is, or ends in, a secret word (`PGPASS`, `MY_PAT`, `SENTRY_DSN`,
/// `GITHUBTOKEN`), unless it names where a secret is kept (`..._FILE`, `..._PATH`, `..._DIR`).
/// `PWD`, `TOKENIZERS_PARALLELISM` and `KEYMAP` are not secret names.
pub fn secret_name(name: &str) -> bool {
    let upper = name.to_ascii_uppercase();
    let words: Vec<&str> = upper.split(['_', '-']).filter(|w| !w.is_empty()).collect();
    if words
        .last()
        .is_some_and(|w| matches!(*w, "FILE" | "PATH" | "DIR" | "FILES"))
    {
        return false;
    }
    words.iter().any(|w| {
        matches!(
            *w,
            "KEY" | "PAT" | "DSN" | "PASS" | "PW" | "WEBHOOK" | "COOKIE" | "CREDENTIAL"
        ) || [
            "TOKEN",
            "SECRET",
            "PASSWORD",
            "PASSWD",
            "PASSPHRASE",
            "APIKEY",
            "CREDENTIALS",
        ]
        .iter()
        .any(|s| w.ends_with(s))
            || (w.ends_with("PASS")
                && !matches!(
                    *w,
                    "BYPASS" | "COMPASS" | "SURPASS" | "TRESPASS" | "OVERPASS"
                ))
    })
}

/// An `sk-` body looks random: a run of 16 letters and digits holding a digit.
fn random_looking(body: &str) -> bool {
    body.split(['-', '_'])
        .any(|run| run.len() >= 16 && run.bytes().any(|b| b.is_ascii_digit()))
}

/// Replaces secrets in texts; built-in shapes plus the caller's patterns.
#[derive(Debug, Clone, Default)]
pub struct Redactor {
    extra: Vec<Regex>,
}

impl Redactor {
    /// A redactor with the built-in shapes and `extra` regexes (each match, or its group
    /// named `s`, is replaced).
    ///
    /// # Errors
    /// [`Error::InvalidInput`] naming the pattern that does not compile.
    pub fn new(extra: &[String]) -> Result<Self> {
        let extra = extra
            .iter()
            .map(|p| {
                Regex::new(p).map_err(|e| Error::invalid("secret pattern", format!("{p:?}: {e}")))
            })
            .collect::<Result<_>>()?;
        Ok(Redactor { extra })
    }

    /// `text` with every secret replaced by [`REDACTED`] (borrowed when there was none).
    pub fn text<'a>(&self, text: &'a str) -> Cow<'a, str> {
        let mut out = Cow::Borrowed(text);
        for re in SHAPES.iter().chain(&self.extra) {
            if let Cow::Owned(s) = replace(re, &out) {
                out = Cow::Owned(s);
            }
        }
        if let Cow::Owned(s) = ASSIGNMENT.replace_all(&out, |c: &Captures<'_>| {
            let whole = &c[0];
            if !secret_name(&c["n"]) || c["s"].contains(REDACTED) {
                return whole.to_owned();
            }
            let s = c.name("s").expect("group s");
            let start = s.start() - c.get(0).expect("match").start();
            format!("{}{REDACTED}", &whole[..start])
        }) {
            out = Cow::Owned(s);
        }
        out
    }

    /// The value to save for environment variable `name`: all of it replaced when the name
    /// says secret, else its secret parts; `None` when nothing was redacted.
    pub fn env_value(&self, name: &str, value: &str) -> Option<String> {
        if secret_name(name) && !value.is_empty() {
            return Some(REDACTED.to_owned());
        }
        match self.text(value) {
            Cow::Owned(s) => Some(s),
            Cow::Borrowed(_) => None,
        }
    }

    /// A job's arguments with their secrets replaced; `None` when nothing was redacted.
    /// Beyond [`Redactor::text`] of each argument: the argument after a secret option
    /// (`--password`, `--token`, `sshpass -p`) and `-pSECRET` of the MySQL family.
    pub fn argv(&self, argv: &[String]) -> Option<Vec<String>> {
        let program = argv
            .first()
            .map(|a| a.rsplit('/').next().unwrap_or(a).to_owned())
            .unwrap_or_default();
        let mysql = matches!(
            program.as_str(),
            "mysql" | "mysqldump" | "mysqladmin" | "mariadb" | "mariadb-dump"
        );
        let mut out = argv.to_vec();
        let mut changed = false;
        let mut next_is_secret = false;
        for (i, a) in argv.iter().enumerate() {
            if next_is_secret && !a.starts_with('-') {
                out[i] = REDACTED.to_owned();
                changed = true;
                next_is_secret = false;
                continue;
            }
            next_is_secret = false;
            if i == 0 {
                continue;
            }
            if let Some(opt) = a.strip_prefix('-') {
                let opt = opt.strip_prefix('-').unwrap_or(opt);
                let (name, value) = match opt.split_once('=') {
                    Some((n, v)) => (n, Some(v)),
                    None => (opt, None),
                };
                if secret_option(name) {
                    match value {
                        Some(v) if !v.is_empty() => {
                            out[i] = format!("{}={REDACTED}", &a[..a.len() - v.len() - 1]);
                            changed = true;
                        }
                        Some(_) => {}
                        None => next_is_secret = true,
                    }
                    continue;
                }
                if mysql && a.len() > 2 && a.starts_with("-p") && !a.starts_with("--") {
                    out[i] = format!("-p{REDACTED}");
                    changed = true;
                    continue;
                }
                if program == "sshpass" && a == "-p" {
                    next_is_secret = true;
                    continue;
                }
            }
            if let Cow::Owned(s) = self.text(a) {
                out[i] = s;
                changed = true;
            }
        }
        changed.then_some(out)
    }
}

/// An option name (without dashes) that carries a secret: `password`, `db-password`,
/// `token`, `api-key`, `client_secret`; not `password-file` or `token-endpoint`.
fn secret_option(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    let last = lower.rsplit(['-', '_']).next().unwrap_or(&lower);
    matches!(
        last,
        "password" | "passwd" | "token" | "secret" | "apikey" | "pass"
    ) || lower.ends_with("api-key")
        || lower.ends_with("api_key")
        || lower.ends_with("access-key")
        || lower.ends_with("access_key")
}

/// Replace every match of `re` in `text` (its group `s`, or all of it).
fn replace<'a>(re: &Regex, text: &'a str) -> Cow<'a, str> {
    re.replace_all(text, |c: &Captures<'_>| {
        let whole = c.get(0).expect("match");
        if let Some(k) = c.name("k") {
            if !random_looking(k.as_str()) {
                return whole.as_str().to_owned();
            }
        }
        match c.name("s") {
            Some(s) => {
                let (from, to) = (s.start() - whole.start(), s.end() - whole.start());
                let w = whole.as_str();
                format!("{}{REDACTED}{}", &w[..from], &w[to..])
            }
            None => REDACTED.to_owned(),
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r() -> Redactor {
        Redactor::default()
    }

    /// Texts holding a secret, and the secret itself (which must be gone after).
    const SECRETS: &[(&str, &str)] = &[
        ("postgres://app:hunter2@db.internal:5432/app", "hunter2"),
        ("mysql://root:S3cr3t!x@127.0.0.1/db", "S3cr3t!x"),
        ("redis://:p4ssw0rd@cache:6379/0", "p4ssw0rd"),
        ("https://ghp_0123456789abcdefABCDEF0123456789abcd@github.com/o/r.git", "ghp_0123456789abcdefABCDEF0123456789abcd"),
        ("https://examplePublicKey1234567890ab@o0.ingest.sentry.io/0", "examplePublicKey1234567890ab"),
        ("https://hooks.slack.com/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX", "XXXXXXXXXXXXXXXXXXXXXXXX"),
        ("https://discord.com/api/webhooks/123456789012345678/abcDEF-ghiJKL_mno", "abcDEF-ghiJKL_mno"),
        ("export GITHUB_TOKEN=ghp_abcdefghijklmnopqrstuvwxyz0123456789", "ghp_abcdefghijklmnopqrstuvwxyz0123456789"),
        ("github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz", "github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz"),
        ("gho_16C7e42F292c6912E7710c838347Ae178B4a", "gho_16C7e42F292c6912E7710c838347Ae178B4a"),
        ("SLACK=xoxb-123456789012-1234567890123-AbCdEfGhIjKlMnOp", "xoxb-123456789012-1234567890123-AbCdEfGhIjKlMnOp"),
        ("xoxp-1234567890-abcdefghij", "xoxp-1234567890-abcdefghij"),
        ("OPENAI=sk-proj-Ab3dEf6hIj9kLm2nOp5qRs8tUv1wXy4z", "sk-proj-Ab3dEf6hIj9kLm2nOp5qRs8tUv1wXy4z"),
        ("sk-ant-api03-abcdefghij0123456789ABCDEFGHIJ-xyz", "sk-ant-api03-abcdefghij0123456789ABCDEFGHIJ-xyz"),
        ("stripe sk_live_4eC39HqLyjWDarjtT1zdp7dc", "sk_live_4eC39HqLyjWDarjtT1zdp7dc"),
        ("aws AKIAIOSFODNN7EXAMPLE configure", "AKIAIOSFODNN7EXAMPLE"),
        ("AIzaSyDaGmWKa4JsXZ-HjGw7ISLn_3namBGewQe", "AIzaSyDaGmWKa4JsXZ-HjGw7ISLn_3namBGewQe"),
        ("glpat-abcdefghij0123456789", "glpat-abcdefghij0123456789"),
        ("//registry.npmjs.org/:_authToken=npm_abcdefghijklmnopqrstuvwxyz0123456789", "npm_abcdefghijklmnopqrstuvwxyz0123456789"),
        ("hf_abcdefghijklmnopqrstuvwxyz012345", "hf_abcdefghijklmnopqrstuvwxyz012345"),
        ("jwt eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U", "dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U"),
        ("curl -H 'Authorization: Bearer abc.def.ghi-123' https://api", "abc.def.ghi-123"),
        ("curl -H \"Authorization: Basic dXNlcjpwYXNz\" x", "dXNlcjpwYXNz"),
        ("curl -H 'X-Api-Key: 9f8e7d6c5b4a' https://api", "9f8e7d6c5b4a"),
        ("psql --password=Tr0ub4dor&3 -h db", "Tr0ub4dor&3"),
        ("deploy --api-key 7a7a7a7a7a7a --env prod", "7a7a7a7a7a7a"),
        ("login --token=tok_live_abc123", "tok_live_abc123"),
        ("mysql -u root -pS3cretPw db", "S3cretPw"),
        ("sshpass -p 'letmein' ssh host", "letmein"),
        ("PGPASSWORD=hunter22 psql -h db", "hunter22"),
        ("MY_PAT=abc123def456 ./push.sh", "abc123def456"),
        ("export AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"),
        ("-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEA\n-----END RSA PRIVATE KEY-----", "MIIEpAIBAAKCAQEA"),
        ("SG.abcdefghijklmnopqrstuv.abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG", "SG.abcdefghijklmnopqrstuv.abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"),
    ];

    /// Texts that look close but hold no secret: left exactly as they are.
    const LOOK_ALIKES: &[&str] = &[
        "/usr/local/bin/python3",
        "https://github.com/ctmux/ctmux",
        "git@github.com:org/repo.git",
        "ssh://git@github.com/org/repo",
        "postgres://localhost:5432/app",
        "http://127.0.0.1:8080/health",
        "http://user@proxy.internal:3128",
        "john.doe@example.com",
        "PATH=/usr/bin:/bin",
        "HOME=/home/user",
        "KEYMAP=us",
        "PWD=/tmp OLDPWD=/",
        "TOKENIZERS_PARALLELISM=false",
        "DB_PASSWORD_FILE=/run/secrets/db",
        "--password-file=/run/secrets/db",
        "--token-endpoint=https://auth.example.com/token",
        "mkdir -p build/out",
        "ssh -p 2222 host",
        "docker run -p 8080:80 nginx",
        "task-runner-configuration-manager",
        "pip install sk-learn-model-selection-toolkit",
        "desk-lamp-controller-v2",
        "AKIA",
        "ghp_short",
        "xoxb",
        "see the authorization docs",
        "bearer of bad news",
        "git commit -m 'fix token parsing'",
        "grep -r password src/",
        "sha256 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
        "uuid 123e4567-e89b-12d3-a456-426614174000",
        "python -m pytest -k token_refresh",
        "cargo test --test tests",
        "export EDITOR=vim",
        "tail -f /var/log/auth.log",
    ];

    #[test]
    fn every_secret_shape_is_redacted() {
        for (text, secret) in SECRETS {
            let got = r().text(text);
            assert!(!got.contains(secret), "{text:?} kept its secret: {got:?}");
            assert!(
                got.contains(REDACTED),
                "{text:?}: no placeholder in {got:?}"
            );
        }
        assert!(SECRETS.len() >= 30);
    }

    #[test]
    fn look_alikes_are_left_alone() {
        for text in LOOK_ALIKES {
            assert_eq!(r().text(text), *text, "{text:?} was changed");
        }
        assert!(LOOK_ALIKES.len() >= 30);
    }

    #[test]
    fn only_the_secret_part_goes() {
        assert_eq!(
            r().text("postgres://app:hunter2@db:5432/app"),
            "postgres://app:[REDACTED]@db:5432/app"
        );
        assert_eq!(
            r().text("export GITHUB_TOKEN=abc def"),
            "export GITHUB_TOKEN=[REDACTED] def"
        );
        assert_eq!(
            r().text("a --password 'x y' b"),
            "a --password [REDACTED] b"
        );
    }

    #[test]
    fn environment_by_name_and_by_value() {
        let r = r();
        for name in [
            "PGPASS",
            "MY_PAT",
            "SENTRY_DSN",
            "SLACK_WEBHOOK_URL",
            "API_KEY",
        ] {
            assert_eq!(
                r.env_value(name, "anything").as_deref(),
                Some(REDACTED),
                "{name}"
            );
        }
        assert_eq!(
            r.env_value("DATABASE_URL", "postgres://u:pass@h/db")
                .as_deref(),
            Some("postgres://u:[REDACTED]@h/db")
        );
        for (name, value) in [
            ("PATH", "/usr/bin"),
            ("KEYMAP", "us"),
            ("PWD", "/tmp"),
            ("BYPASS_CACHE", "1"),
            ("TOKENIZERS_PARALLELISM", "false"),
            ("DB_PASSWORD_FILE", "/run/secrets/db"),
        ] {
            assert_eq!(r.env_value(name, value), None, "{name}");
        }
    }

    #[test]
    fn job_arguments() {
        let v = |a: &[&str]| a.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let r = r();
        assert_eq!(
            r.argv(&v(&["psql", "--password=pw", "--host", "db"])),
            Some(v(&["psql", "--password=[REDACTED]", "--host", "db"]))
        );
        assert_eq!(
            r.argv(&v(&["tool", "--token", "abc", "-v"])),
            Some(v(&["tool", "--token", "[REDACTED]", "-v"]))
        );
        assert_eq!(
            r.argv(&v(&["/usr/bin/mysql", "-uroot", "-ps3cret"])),
            Some(v(&["/usr/bin/mysql", "-uroot", "-p[REDACTED]"]))
        );
        assert_eq!(
            r.argv(&v(&["sshpass", "-p", "pw", "ssh", "h"])),
            Some(v(&["sshpass", "-p", "[REDACTED]", "ssh", "h"]))
        );
        assert_eq!(r.argv(&v(&["mkdir", "-p", "build"])), None);
        assert_eq!(r.argv(&v(&["vim", "--password-file", "x"])), None);
        assert_eq!(r.argv(&v(&["sleep", "100"])), None);
    }

    #[test]
    fn extra_patterns() {
        let r = Redactor::new(&["corp-[0-9]{6}".into(), r"id=(?P<s>\w+)".into()]).unwrap();
        assert_eq!(r.text("use corp-123456 now"), "use [REDACTED] now");
        assert_eq!(r.text("x id=abc y"), "x id=[REDACTED] y");
        let e = Redactor::new(&["(".into()]).unwrap_err();
        assert_eq!(e.kind(), crate::ErrorKind::InvalidInput);
    }
}
