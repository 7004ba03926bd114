#!/usr/bin/env bash
# Run every test of the workspace from a fresh clone: Rust (fmt, clippy, cargo test, and the
# Rust tests again over the control-mode backend),
# Python (maturin develop, mypy stubtest + --strict, pytest) and Node (napi build + check of
# the committed generated files, tsc on the examples, node --test).
#
# Installs what a fresh Debian machine lacks: tmux (apt), zsh and fish for the field test
# matrix (apt, scripts/ensure-shells.sh), the repo's .venv with pinned maturin,
# pytest and mypy (PyPI), ctmux-node/node_modules (npm ci). Runs from any cwd. Every test
# talks to its own isolated tmux server (`-S` socket in a temp dir), never the default one.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

MATURIN_VERSION="1.16.0"
PYTEST_VERSION="9.2.0"
MYPY_VERSION="2.4.1"

step() {
    printf '\n==> %s\n' "$*"
}

die() {
    printf 'error: %s\n' "$*" >&2
    exit 1
}

# Run a command as root: directly when we are root, else through sudo.
as_root() {
    if [ "$(id -u)" -eq 0 ]; then
        "$@"
    elif command -v sudo >/dev/null 2>&1; then
        sudo "$@"
    else
        die "need root (or sudo) to run: $*"
    fi
}

apt_updated=0
apt_install() {
    if [ "$apt_updated" -eq 0 ]; then
        as_root env DEBIAN_FRONTEND=noninteractive apt-get update -q
        apt_updated=1
    fi
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$@"
}

# ---------------------------------------------------------------------------------------------
step "setup: tools"
for tool in cargo rustc python3 node npm; do
    command -v "$tool" >/dev/null 2>&1 || die "'$tool' is not on PATH"
done
# shellcheck source=scripts/ensure-tmux.sh
. "$ROOT/scripts/ensure-tmux.sh"
# shellcheck source=scripts/ensure-shells.sh
. "$ROOT/scripts/ensure-shells.sh"
echo "tmux: $(tmux -V) | bash $(bash -c 'echo "$BASH_VERSION"') | $(zsh --version) | $(fish --version)"
echo "$(rustc --version) | node $(node --version) | $(python3 --version)"

# ---------------------------------------------------------------------------------------------
step "setup: Python venv (.venv)"
VENV="$ROOT/.venv"
if [ ! -x "$VENV/bin/python" ]; then
    if ! python3 -m venv "$VENV"; then
        # Debian's own python3 ships venv separately.
        rm -rf "$VENV"
        apt_install python3-venv
        python3 -m venv "$VENV"
    fi
fi
PY_REQUIREMENTS=("maturin==$MATURIN_VERSION" "pytest==$PYTEST_VERSION" "mypy==$MYPY_VERSION")
# Ask PyPI only when a pinned version is missing, so a warm rerun needs no network.
if ! "$VENV/bin/python" - "${PY_REQUIREMENTS[@]}" <<'EOF' 2>/dev/null; then
import sys
from importlib.metadata import version
sys.exit(any(version(n) != v for n, v in (r.split("==") for r in sys.argv[1:])))
EOF
    "$VENV/bin/python" -m pip install -q --disable-pip-version-check "${PY_REQUIREMENTS[@]}"
fi
export VIRTUAL_ENV="$VENV"
export PATH="$VENV/bin:$PATH"
# One Python and one target triple for every cargo invocation (cargo, maturin, napi), so
# pyo3 is not reconfigured and nothing is compiled twice (napi always passes --target).
export PYO3_PYTHON="$VENV/bin/python"
CARGO_BUILD_TARGET="$(rustc -vV | sed -n 's/^host: //p')"
export CARGO_BUILD_TARGET
echo "venv: $VENV | PYO3_PYTHON=$PYO3_PYTHON | CARGO_BUILD_TARGET=$CARGO_BUILD_TARGET"

# ---------------------------------------------------------------------------------------------
step "setup: ctmux-node dependencies"
NODE_DIR="$ROOT/ctmux-node"
if [ -f "$NODE_DIR/package-lock.json" ]; then
    # npm ci wipes node_modules: only when it is missing or older than the lockfile.
    if [ ! -f "$NODE_DIR/node_modules/.package-lock.json" ] ||
        [ "$NODE_DIR/package-lock.json" -nt "$NODE_DIR/node_modules/.package-lock.json" ]; then
        (cd "$NODE_DIR" && npm ci --no-audit --no-fund --loglevel=error)
    else
        echo "node_modules is up to date"
    fi
else
    (cd "$NODE_DIR" && npm install --no-audit --no-fund --loglevel=error)
fi

# ---------------------------------------------------------------------------------------------
step "cargo fmt --all -- --check"
cargo fmt --all -- --check

step "cargo clippy --workspace --all-targets -- -D warnings"
cargo clippy --workspace --all-targets -- -D warnings

step "cargo build -p ctmux-cli (the daemon tests run the real binary)"
cargo build -p ctmux-cli

step "cargo test --workspace"
cargo test --workspace

step "CTMUX_BACKEND=control cargo test -p ctmux-tests -p ctmux-core (control-mode backend)"
CTMUX_BACKEND=control cargo test -p ctmux-tests -p ctmux-core

step "maturin develop (ctmux-py -> .venv)"
(cd "$ROOT/ctmux-py" && maturin develop --quiet)

step "mypy: stubtest of the .pyi against ctmux._ctmux, --strict on the package and tests"
(cd "$ROOT/ctmux-py" && python -m mypy.stubtest ctmux && python -m mypy --strict python/ctmux tests)

step "pytest ctmux-py/tests"
python -m pytest ctmux-py/tests

step "maturin build: the wheel installs into a fresh venv and works there"
# What a user gets from `pip install`: the abi3 wheel alone, no source tree, no .venv.
WHEEL_TMP="$(mktemp -d)"
(cd "$ROOT/ctmux-py" && maturin build --quiet --out "$WHEEL_TMP/dist")
python3 -m venv "$WHEEL_TMP/venv"
"$WHEEL_TMP/venv/bin/python" -m pip install -q --no-index --disable-pip-version-check "$WHEEL_TMP"/dist/*.whl
(cd "$WHEEL_TMP" && "$WHEEL_TMP/venv/bin/python" - <<'EOF'
import sys
import ctmux
assert ctmux.__file__.startswith(sys.prefix), ctmux.__file__
with ctmux.IsolatedServer() as server:
    session = server.client().session_create("wheel")
    result = session.pane(0).run("echo from the wheel; (exit 4)", timeout=20)
    assert (result.exit_code, result.output) == (4, "from the wheel\n"), result
print("wheel", ctmux.__version__, "works in a fresh venv:", result.exit_code, repr(result.output))
EOF
)
rm -rf "$WHEEL_TMP"

step "napi build (ctmux-node) and generated-file drift check"
# index.d.ts and index.js are generated by the build and committed. Compare the build's
# output with the files as they were before it: in a fresh clone (CI) that is the committed
# version, so a Rust API change without regenerated files fails here. Locally the build has
# then rewritten them: review the diff and commit them.
GENERATED_BEFORE="$(mktemp -d)"
trap 'rm -rf "$GENERATED_BEFORE"' EXIT
cp "$NODE_DIR/index.d.ts" "$NODE_DIR/index.js" "$GENERATED_BEFORE/"
(cd "$NODE_DIR" && npm run --silent build)
for generated in index.d.ts index.js; do
    if ! diff -u "$GENERATED_BEFORE/$generated" "$NODE_DIR/$generated"; then
        die "ctmux-node/$generated was out of date; the build regenerated it (diff above): commit it"
    fi
done

step "tsc --noEmit (ctmux-node/examples against the generated index.d.ts)"
(cd "$NODE_DIR" && npm run --silent typecheck)

step "node --test ctmux-node/__test__/*.test.mjs"
node --test ctmux-node/__test__/*.test.mjs

step "all tests passed"
