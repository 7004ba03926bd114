//! ctmux end-to-end tests: every test drives real tmux on its own isolated server.

mod budget;
mod cli;
mod common;
mod exec;
mod panes;
