//! ctmux end-to-end tests: every test drives real tmux on its own isolated server.

mod common;
mod exec;
