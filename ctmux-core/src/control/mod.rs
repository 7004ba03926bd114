//! The control-mode engine: one persistent `tmux -C` connection per server instead of one
//! `tmux` process per command.
//!
//! - [`protocol`]: the pure part, a parser of control-mode lines (reply blocks and
//!   notifications, `%output` decoded to bytes) and the quoting of argv for tmux's command
//!   parser;
//! - [`connection`]: a [`Connection`] is one `tmux -C attach-session` client with a reader
//!   thread that matches reply blocks to waiting requests and forwards notifications to
//!   subscribers;
//! - [`backend`]: [`ControlBackend`] implements [`crate::Backend`] over a connection, with a
//!   process fallback while no session exists.
//!
//! See `docs/control-mode.md` for how it works, how a backend is chosen and its limits.

pub mod backend;
pub mod connection;
pub mod protocol;

pub use backend::ControlBackend;
pub use connection::{Connection, SessionTap, Subscription, CONTROL_TERM};
pub use protocol::{Event, Guard, Notification, Parser, Reply};
