"""Pure, failsafe builders from events and runs to what the UI shows: DataFrames for line plots and tables,
status text, the plotly scatter for projections. No gradio here; bad or missing data gives an empty result.

One module per kind of view (curves, status, compare, tables, figures); this package re-exports their names.
"""

from __future__ import annotations

from lab.charts import duel
from lab.charts.compare import (
    RELATIVE_LOSS,
    RUN_COLUMNS,
    config_diff,
    legend_label,
    overlay_eval,
    overlay_loss,
    run_label,
    runs_frame,
)
from lab.charts.curves import (
    EVAL_COLUMNS,
    LOSS_COLUMNS,
    MAX_POINTS,
    PALETTE,
    PLAIN_SERIES,
    PLAIN_STAGE,
    color_map,
    eval_axis,
    eval_color_map,
    eval_frame,
    live_eval_frame,
    live_loss_frame,
    lr_frame,
    metrics_of,
    staged_loss_frame,
    sts_table,
)
from lab.charts.figures import scatter_figure, score_histogram
from lab.charts.status import identity_text, progress, source_text, stage_list, status_text
from lab.charts.tables import EVAL_TASK_COLUMNS, chart_frame, evaluation_frame, table_frame, table_text, tables_of

__all__ = [
    "EVAL_COLUMNS",
    "duel",
    "EVAL_TASK_COLUMNS",
    "LOSS_COLUMNS",
    "MAX_POINTS",
    "PALETTE",
    "PLAIN_SERIES",
    "PLAIN_STAGE",
    "RELATIVE_LOSS",
    "RUN_COLUMNS",
    "chart_frame",
    "color_map",
    "config_diff",
    "eval_axis",
    "eval_color_map",
    "eval_frame",
    "legend_label",
    "identity_text",
    "live_eval_frame",
    "live_loss_frame",
    "evaluation_frame",
    "lr_frame",
    "metrics_of",
    "overlay_eval",
    "overlay_loss",
    "progress",
    "run_label",
    "runs_frame",
    "scatter_figure",
    "score_histogram",
    "source_text",
    "stage_list",
    "staged_loss_frame",
    "status_text",
    "sts_table",
    "table_frame",
    "table_text",
    "tables_of",
]
