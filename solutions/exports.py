"""Files that leave the server to be opened in a spreadsheet.

CSV injection: Excel, LibreOffice and Google Sheets evaluate a cell that starts with `=`, `+`,
`-` or `@` as a formula (`=HYPERLINK(...)` exfiltrates the row, `=cmd|...` ran programs in old
Excel), and a leading tab or carriage return can hide such a start. Ticket titles and bodies
are written by anyone who can file a ticket, and the export is opened by someone else. So,
as OWASP's CSV-injection advice says, a text cell with such a first character gets a leading
apostrophe, which spreadsheets read as "this is text" and do not show. Numbers and dates are
written as they are: a negative number stays a number."""

from __future__ import annotations

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_cell(value: object) -> object:
    """`value` as a CSV cell that a spreadsheet shows and never evaluates."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return f"'{value}"
    return value
