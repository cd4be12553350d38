"""CSV files people open in Excel: UTF-8 with a byte order mark (or Excel
reads Swedish letters as Latin-1), and no cell Excel would run as a formula."""

import csv
import io
from collections.abc import Iterable, Iterator

from flask import Response

# A cell starting with one of these is a formula to a spreadsheet: a customer
# who calls themselves "=HYPERLINK(...)" must not get a link into a report.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
BOM = "\ufeff"
BATCH = 500


def safe(value) -> str | int | float:
    """A cell as text Excel shows and never evaluates; numbers stay numbers."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int | float):
        return value
    text = str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def lines(header: list, rows: Iterable[list]) -> Iterator[str]:
    """The file in pieces of BATCH rows, so a long export is not built a
    cell at a time."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    buffer.write(BOM)
    writer.writerow([safe(cell) for cell in header])
    for count, row in enumerate(rows, start=1):
        writer.writerow([safe(cell) for cell in row])
        if count % BATCH == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def response(filename: str, chunks: Iterable[str]) -> Response:
    # Whole before it goes: a streamed body would hold a database connection
    # for as long as a slow download takes. 100,000 sessions are ~10 MB.
    # ASCII file names only: the header needs no RFC 5987 encoding then.
    return Response(
        "".join(chunks),
        mimetype="text/csv",
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            "Cache-Control": "no-store",
        },
    )
