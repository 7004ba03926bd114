//! # ctmux-core
//!
//! Drive tmux exactly and fast: create sessions and panes, run a command in a pane and get its
//! real exit status and output, wait for a line to appear, read and write per-pane metadata,
//! send keys and signals, and clean up after yourself.
//!
//! Every call names its tmux server explicitly ([`Server`]); panes are addressed by tmux pane
//! id (`%12`), and an index or label is resolved to an id once ([`PaneRef`]).
//!
//! ```
//! use ctmux_core::{IsolatedServer, SessionOptions};
//! use std::time::Duration;
//!
//! # fn main() -> ctmux_core::Result<()> {
//! let server = IsolatedServer::start()?; // own socket in a temp dir, removed on drop
//! let client = server.client()?;
//! let session = client.session_create("demo", &SessionOptions::default())?;
//! let pane = session.pane(&"0".parse()?)?;
//! let result = pane.run("echo hello; exit_code_is() { return 3; }; exit_code_is", Some(Duration::from_secs(10)))?;
//! assert_eq!(result.exit_code, 3);
//! assert_eq!(result.output, "hello\n");
//! # Ok(()) }
//! ```

#![forbid(unsafe_code)]

pub mod backend;
pub mod client;
pub mod control;
pub mod cpu_cgroup;
pub mod daemon;
pub mod deps;
pub mod error;
pub mod events;
pub mod exec;
pub mod gc;
pub mod group;
pub mod groups_file;
pub mod health;
pub mod health_config;
pub mod ids;
pub mod isolated;
pub mod keys;
pub mod layout;
pub mod leftovers;
pub mod limits;
pub(crate) mod literal;
pub(crate) mod marker;
pub mod metrics;
pub mod metrics_history;
pub mod orchestrate;
pub mod pane;
pub(crate) mod paths;
pub mod procfs;
pub mod query;
pub mod readiness;
pub mod server;
pub mod session;
pub mod snapshot;
pub mod state;
pub mod stream;
pub mod subscribe;
pub mod watch;

pub use backend::BackendKind;
pub use backend::{Backend, ProcessBackend};
pub use client::{Ctmux, CtmuxBuilder, SessionInfo, SessionOptions};
pub use control::ControlBackend;
pub use error::{Error, ErrorKind, Result};
pub use events::{Event, EventBody, EventFilter, EventKind};
pub use exec::{ExecHandle, ExecOptions, ExecResult, PendingText};
pub use group::{GroupInfo, MemberInfo, MemberStatus};
pub use groups_file::StartSpec;
pub use health::{
    HealthChange, HealthConfig, HealthMonitor, HealthReport, HealthState, Readiness, ReadyCheck,
    Reason, ReasonKind,
};
pub use ids::{Label, PaneId, PaneRef, SessionName};
pub use isolated::IsolatedServer;
pub use limits::{
    ActionTaken, Enforcer, EnforcerConfig, LimitAction, LimitKind, LimitMode, PaneLimits,
};
pub use orchestrate::{
    GroupUp, MemberExec, MemberKill, MemberOutcome, UpAction, UpFailure, UpStep,
};
pub use pane::{Pane, PaneInfo, PaneStatus};
pub use query::{Overview, PaneTotals, SessionMatches, SessionOverview};
pub use server::{Server, Socket};
pub use session::Session;
pub use snapshot::{RestoreOptions, RestoreReport, SaveOptions, SaveReport, Snapshot};
pub use stream::{OutputStream, StreamLine};
pub use subscribe::Subscription;
pub use watch::PatternMatch;

/// This crate's version.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
