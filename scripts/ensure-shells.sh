#!/usr/bin/env bash
# Make sure the shells of the field test matrix (tests/tests/field.rs) are on PATH: zsh (its
# cells fail when it is missing) and fish (its test skips when it is missing). Each one
# missing is installed with apt-get (as root, or through sudo), without recommended
# packages. Sourced by scripts/test.sh.
__ctmux_missing_shells=()
for __ctmux_shell in zsh fish; do
    command -v "$__ctmux_shell" >/dev/null 2>&1 || __ctmux_missing_shells+=("$__ctmux_shell")
done
if [ "${#__ctmux_missing_shells[@]}" -gt 0 ]; then
    echo "${__ctmux_missing_shells[*]} not found: installing with apt-get" >&2
    if [ "$(id -u)" -eq 0 ]; then
        SUDO=()
    elif command -v sudo >/dev/null 2>&1; then
        SUDO=(sudo)
    else
        echo "error: ${__ctmux_missing_shells[*]} missing and installing needs root or sudo" >&2
        exit 1
    fi
    "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q
    "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
        --no-install-recommends "${__ctmux_missing_shells[@]}"
fi
unset __ctmux_missing_shells __ctmux_shell
