# shellcheck shell=bash
# Helpers shared by scripts/demo and scripts/test. Source it (". scripts/lib.sh"); it does nothing by itself.

# pip's "a new release is available" notice is noise in every run.
export PIP_DISABLE_PIP_VERSION_CHECK=1

# shellcheck disable=SC2034  # (colours used by the scripts that source this file)
if [ -t 1 ]; then BOLD=$'\033[1m'; RED=$'\033[31m'; GREEN=$'\033[32m'; YELLOW=$'\033[33m'; RESET=$'\033[0m'
else BOLD=""; RED=""; GREEN=""; YELLOW=""; RESET=""; fi

say() { printf '%s==> %s%s\n' "$BOLD" "$*" "$RESET"; }
warn() { printf '%s%s%s\n' "$YELLOW" "$*" "$RESET" >&2; }
die() { printf '%serror: %s%s\n' "$RED" "$*" "$RESET" >&2; exit 1; }

# python_at_least PYTHON MINOR: does PYTHON run, and is it Python 3.MINOR or newer?
python_at_least() {
    "$1" -c "import sys; sys.exit(sys.version_info < (3, $2))" >/dev/null 2>&1
}

# find_python MINOR CANDIDATE...: print the path of the first candidate that is Python 3.MINOR or newer.
# (A pyenv shim for a version that is not active exists on PATH but fails to run: python_at_least skips it.)
find_python() {
    local minor=$1 candidate path
    shift
    for candidate in "$@"; do
        [ -n "$candidate" ] || continue
        path=$(command -v "$candidate" 2>/dev/null) || continue
        if python_at_least "$path" "$minor"; then
            echo "$path"
            return 0
        fi
    done
    return 1
}

# python_version PYTHON: "3.11.7"
python_version() {
    "$1" -c 'import platform; print(platform.python_version())'
}

# ensure_venv DIR PYTHON MINOR [EXACT]: create the virtual environment DIR with PYTHON unless a usable one
# is there already. A broken one (e.g. its Python was removed), one older than 3.MINOR, or, with EXACT,
# one of another 3.x than PYTHON's, is made anew.
ensure_venv() {
    local dir=$1 python=$2 minor=$3 exact=${4:-}
    if [ -x "$dir/bin/python" ] && python_at_least "$dir/bin/python" "$minor"; then
        if [ -z "$exact" ] || [ "$(venv_minor "$dir/bin/python")" = "$(venv_minor "$python")" ]; then
            return 0
        fi
    fi
    if [ -e "$dir" ]; then
        warn "$dir is unusable or has the wrong Python; making it anew."
        rm -rf "$dir"
    fi
    say "Creating $dir with Python $(python_version "$python") ($python)"
    "$python" -m venv "$dir" || die "could not create $dir (on Debian/Ubuntu: apt-get install python3-venv)"
}

venv_minor() {
    "$1" -c 'import sys; print(f"{sys.version_info[0]}.{sys.version_info[1]}")'
}

# install_project DIR [REQUIREMENT...]: pip install -e ".[dev]" plus REQUIREMENTs into the venv DIR.
# Skipped when nothing changed since the last install, so that re-runs start in a second: the stamp
# file holds a hash of pyproject.toml and one of the REQUIREMENTs. Without REQUIREMENTs (scripts/demo)
# any earlier install of the same pyproject.toml will do, whatever it was pinned to.
# Delete DIR/.imagegen-installed to force a reinstall.
install_project() {
    local dir=$1 stamp project pins
    shift
    stamp="$dir/.imagegen-installed"
    project=$("$dir/bin/python" -c 'import hashlib, pathlib
print(hashlib.sha256(pathlib.Path("pyproject.toml").read_bytes()).hexdigest())') || return 1
    pins=$(printf '%s\n' "$@" | "$dir/bin/python" -c 'import hashlib, sys
print(hashlib.sha256(sys.stdin.buffer.read()).hexdigest())')
    if [ -f "$stamp" ]; then
        if [ "$(cat "$stamp")" = "$project $pins" ]; then return 0; fi
        if [ "$#" -eq 0 ] && [ "$(cut -d' ' -f1 "$stamp")" = "$project" ]; then return 0; fi
    fi
    say "Installing wagtail-imagegen[dev] ${*:+with $* }into $dir (quietly; takes a minute the first time)"
    # (The filter drops one harmless warning that some machines' pip configuration causes for every
    # package: an extra index folder that does not exist there.)
    "$dir/bin/python" -m pip install -q -e ".[dev]" "$@" \
        2> >(grep -v "^WARNING: Location '.*' is ignored: it is neither a file nor a directory\.$" >&2) \
        || return 1  # explicit: callers may run this where `set -e` does not apply
    echo "$project $pins" >"$stamp"
}

# stack_versions DIR: "Python 3.11.7, Django 5.2.19, Wagtail 7.4.4"
stack_versions() {
    "$1/bin/python" -c 'import platform, django, wagtail
print(f"Python {platform.python_version()}, Django {django.get_version()}, Wagtail {wagtail.__version__}")'
}
