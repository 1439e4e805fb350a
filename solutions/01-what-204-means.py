"""Solutions to the exercises of notebooks/01-what-204-means.ipynb."""

from __future__ import annotations

NEIGHBOURS = {
    "autosave": 204,  # done, and the editor already shows what was stored
    "comment": 201,  # a new resource now exists, at a URL the server chose
    "transcode": 202,  # accepted, but the work is not done yet
    "survey": 205,  # done; the form should go back to how it was served
    "echo": 200,  # done, and the client asked for the stored document back
}


def is_no_content(status_line: bytes) -> bool:
    """True when the status line's code is 204, whatever its reason phrase says.

    RFC 9112 §4: status-line = HTTP-version SP status-code SP [ reason-phrase ],
    and "A client SHOULD ignore the reason-phrase content".
    """
    parts = status_line.split(b" ", 2)
    return len(parts) >= 2 and parts[1] == b"204"


SOLUTIONS = {
    "01.neighbours": NEIGHBOURS,
    "01.status-line": is_no_content,
}
