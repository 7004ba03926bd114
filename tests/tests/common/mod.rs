//! Shared helpers: each test gets an [`Env`] with its own isolated server and state dir.

use ctmux_core::{Ctmux, IsolatedServer, Pane, Session, SessionOptions};

/// One isolated server plus a client; both go away on drop.
pub struct Env {
    pub client: Ctmux,
    pub server: IsolatedServer,
}

impl Env {
    pub fn new() -> Env {
        let server = IsolatedServer::start().expect("isolated server");
        let client = server.client().expect("client");
        Env { client, server }
    }

    pub fn session(&self, name: &str) -> Session {
        self.client
            .session_create(name, &SessionOptions { cwd: None, size: Some((120, 40)) })
            .expect("session")
    }

    pub fn pane0(&self, name: &str) -> Pane {
        self.session(name).pane_str("0").expect("pane 0")
    }
}
