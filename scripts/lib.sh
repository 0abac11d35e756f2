# shellcheck shell=bash
# Shared set-up helpers for scripts/test, scripts/demo, scripts/ensure-docker and
# scripts/build-images. Source it; it defines functions and a few variables only.

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${COMPOSER_VENV:-$REPO_ROOT/.venv}"
SCRIPT_NAME="$(basename "$0")"
_APT_UPDATED=0

# Print a section header that stands out in a long CI log.
section() {
    printf '\n==== %s ====\n' "$*"
}

# Print a progress message on stderr, prefixed with the script's name.
info() {
    printf '%s: %s\n' "$SCRIPT_NAME" "$*" >&2
}

# Print an error on stderr and exit non-zero.
die() {
    printf '%s: error: %s\n' "$SCRIPT_NAME" "$*" >&2
    exit 1
}

# Run a command as root: directly when we are root, else through sudo.
as_root() {
    if [ "$(id -u)" -eq 0 ]; then
        "$@"
    elif command -v sudo >/dev/null 2>&1; then
        sudo "$@"
    else
        die "need root to run '$*' (run as root or install sudo)"
    fi
}

# Succeed when every named Debian package is installed.
packages_installed() {
    local pkg status
    for pkg in "$@"; do
        status="$(dpkg-query -W -f '${db:Status-Status}' "$pkg" 2>/dev/null || true)"
        [ "$status" = "installed" ] || return 1
    done
}

# Install Debian packages that are missing; refresh the package lists first,
# because a new machine's lists may be empty. Never reads stdin.
apt_install() {
    local missing=() pkg
    for pkg in "$@"; do
        packages_installed "$pkg" || missing+=("$pkg")
    done
    [ "${#missing[@]}" -eq 0 ] && return 0
    command -v apt-get >/dev/null 2>&1 ||
        die "cannot install ${missing[*]}: apt-get not found (Debian or Ubuntu needed)"
    if [ "$_APT_UPDATED" -eq 0 ]; then
        info "apt-get update"
        as_root env DEBIAN_FRONTEND=noninteractive apt-get update -q </dev/null ||
            die "apt-get update failed"
        _APT_UPDATED=1
    fi
    info "installing ${missing[*]}"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
        --no-install-recommends "${missing[@]}" </dev/null ||
        die "apt-get install ${missing[*]} failed"
}

# Create the virtual environment if missing and install composer with its test
# extra; skip the install when pyproject.toml has not changed since the last one.
ensure_venv() {
    if ! command -v python3 >/dev/null 2>&1; then
        apt_install python3 python3-venv
    fi
    if [ ! -x "$VENV/bin/python" ]; then
        if ! python3 -c 'import ensurepip, venv' >/dev/null 2>&1; then
            apt_install python3-venv
        fi
        info "creating virtual environment $VENV"
        python3 -m venv "$VENV" || die "python3 -m venv $VENV failed"
    fi

    local stamp="$VENV/.composer-install-stamp" want have=""
    want="$(sha256sum "$REPO_ROOT/pyproject.toml" | cut -d' ' -f1)"
    [ -f "$stamp" ] && have="$(cat "$stamp")"
    if [ "$want" = "$have" ] && [ -x "$VENV/bin/composer" ]; then
        info "virtual environment is up to date"
        return 0
    fi
    info "installing composer and its test tools into $VENV"
    "$VENV/bin/python" -m pip install -q -e "${REPO_ROOT}[test]" </dev/null ||
        die "pip install -e '.[test]' failed"
    printf '%s\n' "$want" >"$stamp"
}

# The common set-up of scripts/test and scripts/demo: venv, engine, images.
setup_all() {
    section "Python environment"
    ensure_venv
    section "Docker engine"
    "$REPO_ROOT/scripts/ensure-docker"
    section "Test images"
    "$REPO_ROOT/scripts/build-images"
}
