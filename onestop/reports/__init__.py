"""Leaders' reports: period and scope (`period`), figures counted in SQL (`figures`), tables shown and exported."""
from .figures import (
    COUNT_KEYS,
    ENDINGS,
    JUDGED,
    Figures,
    ProcInfo,
    Report,
    Row,
    aggregate_statements,
    build,
    procedure_infos,
)
from .period import PERIOD_KINDS, Period, Scope, parse_period, resolve_scope, scope_choices
from .tables import (
    FIGURE_COLUMNS,
    TABLES,
    score766_ranking_table,
    score766_table,
    score766_title_lines,
    score766_trend_table,
    table,
    title_lines,
)

__all__ = [
    "COUNT_KEYS", "ENDINGS", "FIGURE_COLUMNS", "JUDGED", "PERIOD_KINDS", "TABLES", "Figures", "Period",
    "ProcInfo", "Report", "Row", "Scope", "aggregate_statements", "build", "parse_period", "procedure_infos",
    "resolve_scope", "scope_choices", "score766_ranking_table", "score766_table", "score766_title_lines",
    "score766_trend_table", "table", "title_lines",
]
