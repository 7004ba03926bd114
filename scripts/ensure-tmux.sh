#!/usr/bin/env bash
# Make sure tmux is on PATH: install it with apt-get (as root, or through sudo) when missing.
# Sourced by scripts/test.sh and scripts/demo.sh.
if ! command -v tmux >/dev/null 2>&1; then
    echo "tmux not found: installing it with apt-get" >&2
    if [ "$(id -u)" -eq 0 ]; then
        SUDO=()
    elif command -v sudo >/dev/null 2>&1; then
        SUDO=(sudo)
    else
        echo "error: tmux is missing and installing it needs root or sudo" >&2
        exit 1
    fi
    "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q
    "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q tmux
fi
