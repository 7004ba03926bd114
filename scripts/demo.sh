#!/usr/bin/env bash
# The main job: build the `ctmux` CLI and run its demo against its own isolated tmux server
# (a private `-S` socket in a temp dir, removed afterwards). Installs tmux if it is missing.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
# shellcheck source=scripts/ensure-tmux.sh
. "$ROOT/scripts/ensure-tmux.sh"
exec cargo run --quiet --release -p ctmux-cli -- demo "$@"
