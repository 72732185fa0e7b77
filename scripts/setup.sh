#!/usr/bin/env bash
# Create or update .venv with everything the lab needs. Idempotent: a second run with an unchanged
# pyproject.toml does nothing. torch is installed first, pinned, so that pip keeps that build:
# on these machines `torch==2.13.0` is the local CPU build; on a GPU host set TORCH_SPEC (e.g.
# TORCH_SPEC="torch==2.13.0 --index-url https://download.pytorch.org/whl/cu128") or preinstall torch.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
VENV=.venv
EXTRAS=${1:-}
if [ ! -x "$VENV/bin/python" ]; then
  echo "setup: creating $VENV" >&2
  "$PY" -m venv "$VENV"
fi
stamp="$VENV/.lab-installed$EXTRAS"
want=$(cat pyproject.toml scripts/setup.sh | sha256sum | cut -c1-16)
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
  exit 0
fi
pip_install() { "$VENV/bin/python" -m pip install --disable-pip-version-check --progress-bar off -q "$@" 2>&1 \
  | grep -v "is ignored: it is neither a file nor a directory" || true; }
if ! "$VENV/bin/python" -c "import torch" 2>/dev/null; then
  echo "setup: installing torch (${TORCH_SPEC:-torch==2.13.0})" >&2
  # shellcheck disable=SC2086
  pip_install ${TORCH_SPEC:-torch==2.13.0}
fi
echo "setup: installing the lab and its dependencies" >&2
pip_install -e ".${EXTRAS:+[$EXTRAS]}"
"$VENV/bin/python" -c "import lab, sentence_transformers, gradio, torch" \
  || { echo "setup: the install is incomplete (see the pip output above)" >&2; exit 1; }
echo "$want" > "$stamp"
