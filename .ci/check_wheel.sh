#!/usr/bin/env bash
# Packaging check: `python -m build` makes an sdist and a wheel; the wheel installs into a fresh
# virtual environment (its dependencies from requirements.txt) and the installed commands run
# from outside the source tree, headless.
set -euo pipefail
cd "$(dirname "$0")/.."
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

python3 -m pip install -q build
python3 -m build --outdir "$work/dist" . >"$work/build.log" 2>&1 || { cat "$work/build.log"; exit 1; }
python3 -m venv "$work/venv"
"$work/venv/bin/python" -m pip install -q "$work"/dist/mesmerize-*.whl
cd "$work"
"$work/venv/bin/mesmerize" --help >/dev/null
"$work/venv/bin/mesmerize-batch-runner" --help >/dev/null
"$work/venv/bin/python" - <<'PY'
import mesmerize, pathlib, sys
location = pathlib.Path(mesmerize.__file__).resolve()
assert str(location).startswith(sys.prefix), f"mesmerize imported from {location}, not the wheel"
print("wheel installed at", location.parent)
PY
env -u DISPLAY -u WAYLAND_DISPLAY -u QT_QPA_PLATFORM "$work/venv/bin/mesmerize" exec --window welcome \
  -c "print('welcome window:', type(this).__name__)"
