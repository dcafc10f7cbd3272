"""CSV that spreadsheets open as data: no text cell is ever run as a formula (OWASP, CSV injection)."""
from __future__ import annotations

import csv
import io
from typing import Any, Iterable, Sequence

# a cell starting with one of these is a formula (or becomes one) in Excel, LibreOffice and Sheets
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def cell(value: Any) -> Any:
    """A text cell a spreadsheet would run (`=HYPERLINK(...)`, `@SUM(...)`, `-2+3`) with a single
    quote in front, so it is shown as the text it is; numbers and other text stay as they are."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def csv_text(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    """A header and rows as CSV text: text cells neutralised by `cell` and in double quotes (so a
    spreadsheet that splits on `;` or tabs keeps them whole), numbers bare."""
    buf = io.StringIO()
    out = csv.writer(buf, lineterminator="\n", quoting=csv.QUOTE_NONNUMERIC)
    out.writerow(list(header))
    for row in rows:
        out.writerow([cell(v) for v in row])
    return buf.getvalue()
