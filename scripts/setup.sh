# shellcheck shell=bash
# Shared set-up for scripts/demo, scripts/test and .ci/run: source it, then call ebpfpy_setup.
# Idempotent and silent when there is nothing to do: system packages are installed only when
# missing (apt-get update only then), and the virtualenv is rebuilt only when the packaging
# files changed since the last install.

EBPFPY_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
EBPFPY_VENV="${EBPFPY_VENV:-$EBPFPY_ROOT/.venv}"
EBPFPY_PY="$EBPFPY_VENV/bin/python"

_ebpfpy_log() { echo "setup: $*" >&2; }

# Packages to install, judged by what the code needs rather than by dpkg: a library or tool
# installed some other way counts as present.
_ebpfpy_missing_apt() {
    local missing=()
    command -v python3 >/dev/null 2>&1 || missing+=(python3)
    python3 -c 'import ensurepip, venv' >/dev/null 2>&1 || missing+=(python3-venv)
    { { ldconfig -p || /sbin/ldconfig -p; } 2>/dev/null | grep -q 'libbpf\.so\.1 '; } || missing+=(libbpf1)
    command -v bpftool >/dev/null 2>&1 || [ -x /usr/sbin/bpftool ] || missing+=(bpftool)
    command -v ip >/dev/null 2>&1 || [ -x /usr/sbin/ip ] || missing+=(iproute2)
    echo "${missing[@]}"
}

_ebpfpy_apt() {
    local missing
    missing="$(_ebpfpy_missing_apt)"
    [ -z "$missing" ] && return 0
    if [ "$(id -u)" != 0 ]; then
        _ebpfpy_log "missing system packages: $missing (run as root to install them)"
        return 1
    fi
    _ebpfpy_log "installing $missing"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >/dev/null
    # shellcheck disable=SC2086
    apt-get install -y -qq --no-install-recommends $missing >/dev/null
}

# The stamp records what the venv was built from; a change to the packaging files or to the
# interpreter triggers a reinstall, anything else (source edits) does not: the install is editable.
_ebpfpy_stamp() {
    cat "$EBPFPY_ROOT/pyproject.toml" "$EBPFPY_ROOT/setup.py" 2>/dev/null | sha256sum | cut -d' ' -f1
    python3 -c 'import sys; print(sys.version)'
}

_ebpfpy_venv() {
    local stamp_file="$EBPFPY_VENV/.ebpfpy-stamp" want
    want="$(_ebpfpy_stamp)"
    if [ -x "$EBPFPY_PY" ] && [ -f "$stamp_file" ] && [ "$(cat "$stamp_file")" = "$want" ]; then
        return 0
    fi
    _ebpfpy_log "preparing $EBPFPY_VENV"
    [ -x "$EBPFPY_PY" ] || python3 -m venv "$EBPFPY_VENV"
    "$EBPFPY_PY" -m pip install -q --disable-pip-version-check --upgrade pip
    "$EBPFPY_PY" -m pip install -q --disable-pip-version-check -e "$EBPFPY_ROOT[test]"
    echo "$want" >"$stamp_file"
}

# bpffs (pins) and tracefs (trace_pipe, tracepoint formats) are mounted on most systems, but
# not in many containers.
ebpfpy_mounts() {
    [ "$(id -u)" = 0 ] || return 0
    if ! mountpoint -q /sys/fs/bpf 2>/dev/null; then
        mkdir -p /sys/fs/bpf 2>/dev/null && mount -t bpf bpf /sys/fs/bpf 2>/dev/null \
            || _ebpfpy_log "could not mount bpffs on /sys/fs/bpf"
    fi
    if ! mountpoint -q /sys/kernel/tracing 2>/dev/null; then
        mount -t tracefs nodev /sys/kernel/tracing 2>/dev/null \
            || _ebpfpy_log "could not mount tracefs on /sys/kernel/tracing"
    fi
    return 0
}

ebpfpy_setup() {
    _ebpfpy_apt && _ebpfpy_venv
}
