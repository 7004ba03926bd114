//! ctmux end-to-end tests: every test drives real tmux on its own isolated server.

mod adversarial;
mod budget;
mod cli;
mod cli_live;
mod common;
mod control;
mod daemon;
mod daemon_bounds;
mod deps;
mod exec;
mod field;
mod gc;
mod groups;
mod health;
mod leftovers;
mod limits;
mod metrics;
mod panes;
mod paths;
mod secrets;
mod snapshots;
mod stream;
mod untrusted;
