//! [`Session`]: a handle to one tmux session, addressed by its id (`$3`).

use crate::client::Ctmux;
use crate::error::{Error, Result};
use crate::ids::{Label, PaneRef, SessionName};
use crate::layout::Layout;
use crate::pane::{Pane, PaneInfo, LABEL_OPTION};

/// A tmux session. Holds its id and the name it had when the handle was made.
#[derive(Debug, Clone)]
pub struct Session {
    client: Ctmux,
    id: String,
    name: SessionName,
}

impl Session {
    pub(crate) fn new(client: Ctmux, id: String, name: SessionName) -> Self {
        Session { client, id, name }
    }

    /// tmux's session id (`$3`).
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The session's name.
    pub fn name(&self) -> &SessionName {
        &self.name
    }

    /// The client this handle belongs to.
    pub fn client(&self) -> &Ctmux {
        &self.client
    }

    /// Every pane of the session (all windows), in window then pane order.
    ///
    /// # Errors
    /// [`Error::NotFound`] if the session is gone.
    pub fn panes(&self) -> Result<Vec<PaneInfo>> {
        let out = self.list_panes(&PaneInfo::format())?;
        out.lines().map(PaneInfo::parse).collect()
    }

    /// `list-panes` of every window of the session, printed with `format`.
    fn list_panes(&self, format: &str) -> Result<String> {
        self.client
            .tmux(&["list-panes", "-s", "-t", &self.id, "-F", format])
            .map_err(|e| self.gone(e))
    }

    /// Figures of every pane's process tree and their sum, through the client's sampler for
    /// `interval` ([`Ctmux::metrics_sampler`]): a first reading waits `interval` once for all
    /// panes, later ones return at once.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] for an interval outside 10 ms..=60 s; [`Error::NotFound`] if
    /// the session is gone.
    pub fn metrics(&self, interval: std::time::Duration) -> Result<crate::metrics::SessionMetrics> {
        self.client.metrics_sampler(interval)?.session(self)
    }

    /// Every pane's id and process, without the rest of the listing (one tmux round trip,
    /// no `/proc` reads).
    ///
    /// # Errors
    /// [`Error::NotFound`] if the session is gone.
    pub(crate) fn pane_processes(&self) -> Result<Vec<crate::pane::PaneProcess>> {
        let out = self.list_panes(crate::pane::PROCESS_FORMAT)?;
        out.lines()
            .map(|l| {
                crate::pane::PaneProcess::parse(l).ok_or_else(|| Error::Corrupt {
                    what: "tmux pane listing".into(),
                    reason: format!("unexpected line {l:?}"),
                })
            })
            .collect()
    }

    fn gone(&self, e: Error) -> Error {
        // "no current target": the server is up but has no session left.
        if matches!(
            e.kind(),
            crate::ErrorKind::NotFound | crate::ErrorKind::ServerUnavailable
        ) || crate::client::no_sessions(&e)
        {
            Error::not_found("session", self.name.to_string())
        } else {
            e
        }
    }

    /// Resolve `pane` (index in the active window, `%id`, or label) to a handle.
    ///
    /// # Errors
    /// [`Error::NotFound`] if no pane of this session matches.
    pub fn pane(&self, pane: &PaneRef) -> Result<Pane> {
        let panes = self.panes()?;
        let found = match pane {
            PaneRef::Index(i) => panes.iter().find(|p| p.window_active && p.index == *i),
            PaneRef::Id(id) => panes.iter().find(|p| p.pane_id == id.to_string()),
            PaneRef::Label(l) => panes
                .iter()
                .find(|p| p.label.as_deref() == Some(l.as_str())),
        };
        match found {
            Some(info) => Ok(Pane::new(self.clone(), info.pane_id.parse()?)),
            None => Err(Error::not_found(
                "pane",
                format!("{pane} in session {}", self.name),
            )),
        }
    }

    /// Resolve a pane given as text (see [`PaneRef`]'s parsing).
    ///
    /// # Errors
    /// [`Error::InvalidInput`] for unparsable text, else as [`Session::pane`].
    pub fn pane_str(&self, pane: &str) -> Result<Pane> {
        self.pane(&pane.parse()?)
    }

    /// The pane labelled `label`.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] for a bad label, [`Error::NotFound`] if none has it.
    pub fn pane_find(&self, label: &str) -> Result<Pane> {
        self.pane(&PaneRef::Label(Label::new(label)?))
    }

    /// Number of panes over all windows.
    ///
    /// # Errors
    /// [`Error::NotFound`] if the session is gone.
    pub fn pane_count(&self) -> Result<usize> {
        Ok(self.panes()?.len())
    }

    fn check_label_free(&self, label: &Label) -> Result<()> {
        if self
            .panes()?
            .iter()
            .any(|p| p.label.as_deref() == Some(label.as_str()))
        {
            return Err(Error::AlreadyExists {
                what: "label",
                name: format!("{label} in session {}", self.name),
            });
        }
        Ok(())
    }

    /// Split the active pane to make a new one, optionally labelled.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] for a bad label, [`Error::AlreadyExists`] if the label is taken,
    /// [`Error::Tmux`] if tmux has no room for another pane.
    pub fn pane_create(&self, label: Option<&str>) -> Result<Pane> {
        self.create_pane(label, None)
    }

    /// Create a labelled pane and apply `layout` (`tiled`, `horizontal`, `vertical`,
    /// `main-horizontal`, `main-vertical`, or a tmux layout string) to its window. If the
    /// layout cannot be applied the new pane is removed again.
    ///
    /// # Errors
    /// As [`Session::pane_create`], plus [`Error::InvalidInput`] for a bad layout.
    pub fn pane_create_with_layout(&self, label: &str, layout: &str) -> Result<Pane> {
        let layout: Layout = layout.parse()?;
        self.create_pane(Some(label), Some(layout))
    }

    fn create_pane(&self, label: Option<&str>, layout: Option<Layout>) -> Result<Pane> {
        let label = label.map(Label::new).transpose()?;
        if let Some(l) = &label {
            self.check_label_free(l)?;
        }
        let out = self
            .client
            .tmux(&[
                "split-window",
                "-d",
                "-t",
                &self.id,
                "-P",
                "-F",
                "#{pane_id}",
            ])
            .map_err(|e| self.gone(e))?;
        let id = out.trim().to_owned();
        let pane = Pane::new(self.clone(), id.parse()?);
        let mut argv: Vec<String> = Vec::new();
        if let Some(l) = &label {
            argv.extend(
                ["set-option", "-p", "-t", &id, LABEL_OPTION, l.as_str()].map(String::from),
            );
        }
        if let Some(layout) = &layout {
            if !argv.is_empty() {
                argv.push(";".into());
            }
            argv.extend(["select-layout", "-t", &id, layout.as_tmux()].map(String::from));
        }
        if !argv.is_empty() {
            if let Err(e) = self.client.tmux(&argv) {
                let _ = self.client.tmux(&["kill-pane", "-t", &id]);
                return Err(match e.kind() {
                    crate::ErrorKind::Tmux if layout.is_some() => {
                        Error::invalid("layout", format!("tmux could not apply it: {e}"))
                    }
                    _ => e,
                });
            }
        }
        Ok(pane)
    }

    /// Kill the session.
    ///
    /// # Errors
    /// [`Error::NotFound`] if it is already gone.
    pub fn kill(&self) -> Result<()> {
        self.client
            .tmux(&["kill-session", "-t", &self.id])
            .map_err(|e| self.gone(e))?;
        Ok(())
    }
}
