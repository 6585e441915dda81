# Shared by scripts/*: create .venv with a Python >= 3.11 and install the project with EXTRAS.
# The install is skipped when pyproject.toml has not changed since the last one.
ensure_venv() {
  local extras="$1"
  local python="${PYTHON:-}"
  if [ -z "$python" ]; then
    for candidate in python3.13 python3.12 python3.11 python3; do
      if command -v "$candidate" >/dev/null 2>&1 &&
        "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
        python="$candidate"
        break
      fi
    done
  fi
  if [ -z "$python" ]; then
    echo "Statisfactory needs Python >= 3.11; set PYTHON=/path/to/python3.11" >&2
    exit 2
  fi
  [ -x .venv/bin/python ] || "$python" -m venv .venv
  local stamp=".venv/.installed-$extras"
  if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
    .venv/bin/python -m pip install --quiet --upgrade pip
    # A .venv that holds the package under its former distribution name, `statisfactory`: drop
    # that record first, so that one distribution owns the files and the `statisfactory` command.
    if .venv/bin/python -m pip show --quiet statisfactory >/dev/null 2>&1; then
      .venv/bin/python -m pip uninstall --quiet --yes statisfactory
    fi
    .venv/bin/python -m pip install --quiet -e ".[$extras]"
    touch "$stamp"
  fi
}
