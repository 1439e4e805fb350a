"""Solutions to the exercises of notebooks/15-browser-lab.ipynb."""

from __future__ import annotations

NAVIGATION = {
    "a link to a 204": "stays",  # HTML: 204 and 205 make no new document
    "a form POST answered 205": "stays",
    "location.assign() to an empty 200": "new document",  # empty, but a document
    "the form's fields after its 205": "kept",  # HTML's step for 205 resets nothing
}

FETCH_BODY = {
    "response.ok": True,
    "response.body": "empty stream",  # what every engine tested did; Fetch's text says null
    "await response.text()": "",
    "await response.json()": "SyntaxError",
    "xhr.response": None,  # null
}

CACHE = {  # how many of the two GETs reached the server
    "Chromium": {"heuristic": 2, "max-age/60": 1, "no-store": 2},
    "Firefox ESR": {"heuristic": 1, "max-age/60": 1, "no-store": 2},
}

SOLUTIONS = {
    "15.navigation": NAVIGATION,
    "15.fetch-body": FETCH_BODY,
    "15.cache": CACHE,
}
