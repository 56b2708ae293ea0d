# shellcheck shell=bash
# Shared set-up for scripts/demo, scripts/test and .ci/run: source it, then call ebpfpy_setup
# (`ebpfpy_setup test` also installs the tools only tests use).
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
    local missing=() purpose="${1:-}"
    command -v python3 >/dev/null 2>&1 || missing+=(python3)
    python3 -c 'import ensurepip, venv' >/dev/null 2>&1 || missing+=(python3-venv)
    { { ldconfig -p || /sbin/ldconfig -p; } 2>/dev/null | grep -q 'libbpf\.so\.1 '; } || missing+=(libbpf1)
    command -v bpftool >/dev/null 2>&1 || [ -x /usr/sbin/bpftool ] || missing+=(bpftool)
    command -v ip >/dev/null 2>&1 || [ -x /usr/sbin/ip ] || missing+=(iproute2)
    if [ "$purpose" = test ]; then
        # OCI tools that check the bytecode images of `ebpfpy package`
        command -v skopeo >/dev/null 2>&1 || missing+=(skopeo)
        command -v umoci >/dev/null 2>&1 || missing+=(umoci)
    fi
    echo "${missing[@]}"
}

_ebpfpy_apt() {
    local missing
    missing="$(_ebpfpy_missing_apt "${1:-}")"
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
_ebpfpy_stamp() {   # INTERPRETER
    cat "$EBPFPY_ROOT/pyproject.toml" "$EBPFPY_ROOT/setup.py" 2>/dev/null | sha256sum | cut -d' ' -f1
    "$1" -c 'import sys; print(sys.version)'
}

_ebpfpy_venv() {   # VENV INTERPRETER
    local venv="$1" interp="$2" stamp_file="$1/.ebpfpy-stamp" want
    want="$(_ebpfpy_stamp "$interp")"
    if [ -x "$venv/bin/python" ] && [ -f "$stamp_file" ] && [ "$(cat "$stamp_file")" = "$want" ]; then
        return 0
    fi
    _ebpfpy_log "preparing $venv"
    [ -x "$venv/bin/python" ] || "$interp" -m venv "$venv"
    "$venv/bin/python" -m pip install -q --disable-pip-version-check --upgrade pip
    "$venv/bin/python" -m pip install -q --disable-pip-version-check -e "$EBPFPY_ROOT[test]"
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

ebpfpy_setup() {   # [test]
    _ebpfpy_apt "${1:-}" && _ebpfpy_venv "$EBPFPY_VENV" python3
}

# Python versions other than the system's: pyproject's requires-python admits 3.10 to 3.13
# and each has its own virtualenv, .venv-py3.X.  INTERPRETER is a command or path
# (python3.12, ~/.pyenv/versions/3.12.1/bin/python); EBPFPY_PY then points into that venv.
ebpfpy_setup_python() {   # INTERPRETER [test]
    local interp="$1" version
    version="$("$interp" -c 'import sys; print("%d.%d" % sys.version_info[:2])')" || return 1
    EBPFPY_VENV="$EBPFPY_ROOT/.venv-py$version"
    EBPFPY_PY="$EBPFPY_VENV/bin/python"
    _ebpfpy_apt "${2:-}" && _ebpfpy_venv "$EBPFPY_VENV" "$interp"
}

# The interpreters of the other admitted Python versions found on this machine (pyenv's or
# on PATH), one per version, for CI's extra compiler-suite runs.
ebpfpy_other_pythons() {
    local v found
    for v in 3.10 3.12 3.13; do
        found=""
        for p in "$HOME"/.pyenv/versions/"$v".*/bin/python "python$v"; do
            # a pyenv shim exists for every installed version but may refuse to run
            if "$p" -c 'import venv' >/dev/null 2>&1; then found="$(command -v "$p")"; break; fi
        done
        [ -n "$found" ] && echo "$found"
    done
    return 0
}
