"""Text a person typed, without what only a script sends: control characters
(a NUL is refused by PostgreSQL's text columns, an escape sequence reaches a
log reader's terminal) and bidi controls (which make a name read backwards,
as files.checked_name already knows of file names)."""

import unicodedata

BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def is_control(ch: str) -> bool:
    return unicodedata.category(ch) == "Cc" or ch in BIDI_CONTROLS


def one_line(text: str) -> str:
    """A name: every run of whitespace, line breaks too, becomes one space,
    and other control characters go."""
    return " ".join("".join(ch for ch in text if ch.isspace() or not is_control(ch)).split())


def lines(text: str) -> str:
    """A message from a textarea: line breaks stay (a browser's CRLF as one
    \\n, as the page's counter counts it), other control characters go."""
    return "".join(ch for ch in text.replace("\r\n", "\n") if ch in "\n\t" or not is_control(ch))
