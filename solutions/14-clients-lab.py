"""Solutions to the exercises of notebooks/14-clients-lab.ipynb."""

from __future__ import annotations

import nocontent

HTTP_CLIENT_ROW = {
    "content-length-zero": "ok",
    "body": "ok",  # null came in the same read as the 204 and went with its buffer
    "body-late": "second fails",  # null came after the second request went out
    "body-late+pause": "second fails",  # null came while idle; http.client does not look
    "chunked": "ok",
    "smuggle": "ok",
}


def spoils_next(url: str) -> bool:
    """True when the 204 at ``url`` spoils the next response on the same connection."""
    _, second = nocontent.exchange_twice(url, then="/status/200")
    got_its_own = (second.response is not None and not second.unrequested
                   and second.response.body == b"200 OK\n")
    return not got_its_own


SOLUTIONS = {
    "14.read-the-matrix": HTTP_CLIENT_ROW,
    "14.spoils-next": spoils_next,
}
