//! Session dependencies: `session-depends`, `session-depends-remove`,
//! `session-depends-list`, `session-start-order`.

use crate::output::{fields, Outcome};
use clap::Subcommand;
use ctmux_core::Ctmux;
use serde_json::json;

/// The dependency commands (flattened into the top-level command list).
#[derive(Debug, Clone, Subcommand)]
// The variants spell the command names (group-create, ...), prefix included.
#[allow(clippy::enum_variant_names)]
pub enum DepsCommand {
    /// Record that SESSION needs NEEDS (A depends on B) -> session, depends_on
    ///
    /// Neither session has to exist yet. InvalidInput for a session depending on itself or an
    /// edge that would close a cycle (the message names the cycle); AlreadyExists if recorded.
    SessionDepends {
        /// The session that needs the other (A)
        session: String,
        /// The session it needs (B)
        needs: String,
    },
    /// Forget that SESSION needs NEEDS -> session, depends_on (NotFound if not recorded)
    SessionDependsRemove {
        /// The session that needs the other
        session: String,
        /// The session it needs
        needs: String,
    },
    /// List dependencies -> dependencies: {A: [B, ...]}; with SESSION: depends_on, needed_by
    SessionDependsList {
        /// Show only this session's direct dependencies and dependents
        session: Option<String>,
    },
    /// Start order (each session after what it needs) -> order
    ///
    /// With GROUP: its members and everything they need, ties in member order; without:
    /// every session named in a dependency, ties by name.
    SessionStartOrder {
        /// Order this group's members
        group: Option<String>,
    },
}

impl DepsCommand {
    /// The session the command names, if any.
    pub fn session(&self) -> Option<&str> {
        match self {
            DepsCommand::SessionDepends { session, .. }
            | DepsCommand::SessionDependsRemove { session, .. } => Some(session),
            DepsCommand::SessionDependsList { session } => session.as_deref(),
            DepsCommand::SessionStartOrder { .. } => None,
        }
    }
}

/// Run a dependency command.
pub fn run(client: &Ctmux, command: &DepsCommand) -> Outcome {
    use DepsCommand as D;
    match command {
        D::SessionDepends { session, needs } => {
            client.session_depends(session, needs)?;
            let graph = client.dependencies()?;
            Ok(fields([("depends_on", json!(graph.needs(session)))]))
        }
        D::SessionDependsRemove { session, needs } => {
            client.session_undepend(session, needs)?;
            let graph = client.dependencies()?;
            Ok(fields([("depends_on", json!(graph.needs(session)))]))
        }
        D::SessionDependsList { session: None } => Ok(fields([(
            "dependencies",
            json!(client.dependencies()?.to_map()),
        )])),
        D::SessionDependsList {
            session: Some(session),
        } => {
            ctmux_core::SessionName::new(session)?;
            let graph = client.dependencies()?;
            Ok(fields([
                ("depends_on", json!(graph.needs(session))),
                ("needed_by", json!(graph.needed_by(session))),
            ]))
        }
        D::SessionStartOrder { group } => Ok(fields([
            ("group", json!(group)),
            ("order", json!(client.start_order(group.as_deref())?)),
        ])),
    }
}
