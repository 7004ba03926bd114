#!/usr/bin/env bash
# Compare ctmux with its peers on this machine and write benches/RESULTS.md.
#
#   benches/compare/run.sh            # full run (~6 min on 2 cores): writes benches/RESULTS.md
#   benches/compare/run.sh --quick    # few iterations (< 2 min): benches/compare/RESULTS-quick.md
#   benches/compare/run.sh --only exec_true,capture --peers ctmux-rust,libtmux   # a subset
#
# From a fresh clone it: makes sure tmux is installed (scripts/ensure-tmux.sh), builds the Rust
# driver in release (`compare-driver`, ctmux-benches), builds ctmux's Python module (release,
# maturin pinned) into benches/compare/.venv-ctmux, installs libtmux (pinned, from PyPI) into
# benches/compare/.venv-libtmux, then runs compare.py, which gives every run of every peer
# its own tmux server (`-S` socket in a temp dir, removed afterwards). The default tmux server
# is never touched. Runs from any cwd; CARGO_TARGET_DIR is honoured.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
HERE="$ROOT/benches/compare"
cd "$ROOT"

MATURIN_VERSION="1.16.0"
LIBTMUX_VERSION="0.62.0"

step() { printf '\n==> %s\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2 && exit 1; }

OUT="$ROOT/benches/RESULTS.md"
ARGS=()
while [ $# -gt 0 ]; do
    case "$1" in
    --quick) ARGS+=(--quick) && OUT="$HERE/RESULTS-quick.md" ;;
    --only | --peers) ARGS+=("$1" "$2") && OUT="$HERE/RESULTS-partial.md" && shift ;;
    -h | --help) sed -n '2,13p' "${BASH_SOURCE[0]}" && exit 0 ;;
    *) die "unknown argument $1 (see --help)" ;;
    esac
    shift
done

step "setup: tmux, cargo, python3"
for tool in cargo python3; do
    command -v "$tool" >/dev/null 2>&1 || die "'$tool' is not on PATH"
done
# shellcheck source=scripts/ensure-tmux.sh
. "$ROOT/scripts/ensure-tmux.sh"
echo "$(tmux -V) | $(rustc --version) | $(python3 --version)" >&2

# A venv at $1 holding exactly the pinned packages $2...; pip runs only when one is missing.
venv() {
    local dir="$1"
    shift
    if [ ! -x "$dir/bin/python" ]; then
        python3 -m venv "$dir" || die "python3 -m venv failed (Debian: apt-get install python3-venv)"
    fi
    if ! "$dir/bin/python" - "$@" <<'PY' 2>/dev/null; then
import sys
from importlib.metadata import version
sys.exit(any(version(n) != v for n, v in (r.split("==") for r in sys.argv[1:])))
PY
        "$dir/bin/python" -m pip install -q --disable-pip-version-check "$@"
    fi
}

export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"
TRIPLE_DIR="${CARGO_BUILD_TARGET:+$CARGO_BUILD_TARGET/}"
DRIVER="$CARGO_TARGET_DIR/${TRIPLE_DIR}release/compare-driver"

step "build the Rust driver (release): $DRIVER"
cargo build --release --quiet -p ctmux-benches --bin compare-driver

step "ctmux Python module (release, maturin $MATURIN_VERSION) -> benches/compare/.venv-ctmux"
venv "$HERE/.venv-ctmux" "maturin==$MATURIN_VERSION"
(
    cd "$ROOT/ctmux-py"
    export VIRTUAL_ENV="$HERE/.venv-ctmux" PYO3_PYTHON="$HERE/.venv-ctmux/bin/python"
    "$VIRTUAL_ENV/bin/maturin" develop --release --quiet
)

step "libtmux $LIBTMUX_VERSION -> benches/compare/.venv-libtmux"
venv "$HERE/.venv-libtmux" "libtmux==$LIBTMUX_VERSION"

step "compare (each peer on its own tmux server, order rotating per round)"
python3 "$HERE/compare.py" --driver-rust "$DRIVER" \
    --python-ctmux "$HERE/.venv-ctmux/bin/python" \
    --python-libtmux "$HERE/.venv-libtmux/bin/python" \
    --out "$OUT" "${ARGS[@]}" >/dev/null
echo "results: $OUT" >&2
