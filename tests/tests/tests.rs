//! ctmux end-to-end tests: every test drives real tmux on its own isolated server.

mod budget;
mod cli;
mod common;
mod control;
mod deps;
mod exec;
mod gc;
mod groups;
mod health;
mod limits;
mod metrics;
mod panes;
mod snapshots;
