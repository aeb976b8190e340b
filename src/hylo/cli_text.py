"""Text that reaches the terminal: the one place that makes outside text safe to print.

Task names, program texts, file names and error messages come from files we did not write.
Printed raw they can inject Rich markup (`[/bold]` raises inside Rich), terminal escape codes
(which move the cursor, retitle the window or hide text), bidirectional overrides, or lone
surrogates (which cannot be encoded and crash the write). `safe` turns any such text into a
plain, printable, bounded string; every `cli*.py` prints outside text only through it.
"""

from __future__ import annotations

import unicodedata

from rich.markup import escape

#: Longest text printed in one place; the rest is elided (a name can be megabytes long).
MAX_PRINTED = 240

# Format characters that reorder or hide text (bidi overrides and isolates, zero-width ones).
_INVISIBLE = {"Cf", "Cs", "Co", "Cn"}


def _escape_char(ch: str) -> str:
    code = ord(ch)
    if code <= 0xFF:
        return f"\\x{code:02x}"
    if code <= 0xFFFF:
        return f"\\u{code:04x}"
    return f"\\U{code:08x}"


def plain(text: object, limit: int = MAX_PRINTED, lines: bool = True) -> str:
    """`text` with control, format and unencodable characters shown as escapes, bounded to
    `limit` characters; `lines=False` escapes newlines and tabs too."""
    s = text if isinstance(text, str) else str(text)
    out: list[str] = []
    n = 0
    for ch in s:
        if n >= limit:
            out.append(f"... ({len(s) - n} more characters)")
            break
        cat = unicodedata.category(ch)
        if lines and ch in "\n\t":  # layout, harmless; other controls (ESC, CR, C1) are not
            piece = ch
        elif cat == "Cc" or cat in _INVISIBLE:
            piece = _escape_char(ch)
        else:
            piece = ch
        out.append(piece)
        n += 1
    return "".join(out)


def safe(text: object, limit: int = MAX_PRINTED) -> str:
    """`plain(text)` with Rich markup escaped: for Rich `print` calls and table cells."""
    return escape(plain(text, limit))


def one_line(text: object, limit: int = MAX_PRINTED) -> str:
    """`safe`, on one line (newlines and tabs escaped too): for names and table cells."""
    return escape(plain(text, limit, lines=False))
