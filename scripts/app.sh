#!/usr/bin/env bash
# Set up (first time only) and launch the lab on the offline defaults: http://127.0.0.1:7860
# Host and port: GRADIO_SERVER_NAME / GRADIO_SERVER_PORT. Runs are stored in $LAB_RUNS_DIR (default ./runs).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export GRADIO_ANALYTICS_ENABLED=False TOKENIZERS_PARALLELISM=false
exec .venv/bin/python app.py "$@"
