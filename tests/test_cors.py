"""The Fetch standard's CORS rules as nocontent._cors implements them: pure, no browser."""

from __future__ import annotations

import pytest

from nocontent._cors import (
    cors_check,
    exposed_header_names,
    needs_preflight,
    normalize_method,
    preflight_problems,
    readable_fields,
    unsafe_request_header_names,
)

ORIGIN = "https://editor.example"
GOOD = (
    ("Access-Control-Allow-Origin", ORIGIN),
    ("Access-Control-Allow-Methods", "GET, HEAD, PUT, DELETE"),
    ("Access-Control-Allow-Headers", "Content-Type, If-Match"),
)
WANTED = (("Content-Type", "application/json"), ("If-Match", '"v1"'))


def problems(headers=GOOD, status=204, method="PUT", request_headers=WANTED, **kw) -> list[str]:
    return preflight_problems(status, headers, origin=ORIGIN, method=method,
                              request_headers=request_headers, **kw)


def test_a_good_preflight_answer_has_no_problems_whether_200_or_204() -> None:
    assert problems() == []
    assert problems(status=200) == []  # Fetch: any ok status, 200 to 299


def test_a_non_ok_status_fails() -> None:
    assert any("not an ok status" in p for p in problems(status=301))


def test_allow_methods_compare_case_sensitively() -> None:
    lower = (GOOD[0], ("Access-Control-Allow-Methods", "put"), GOOD[2])
    assert any("PUT is not in Access-Control-Allow-Methods: put" in p for p in problems(lower))


def test_fetch_normalizes_put_but_not_patch() -> None:
    assert normalize_method("put") == "PUT"
    assert normalize_method("patch") == "patch"
    with_patch = (GOOD[0], ("Access-Control-Allow-Methods", "PATCH"), GOOD[2])
    assert any("patch is not in" in p for p in problems(with_patch, method="patch"))
    assert problems(with_patch, method="PATCH") == []


def test_header_names_compare_case_insensitively() -> None:
    upper = (*GOOD[:2], ("Access-Control-Allow-Headers", "CONTENT-TYPE, IF-MATCH"))
    assert problems(upper) == []
    missing = (*GOOD[:2], ("Access-Control-Allow-Headers", "Content-Type"))
    assert problems(missing) == ["if-match is not in Access-Control-Allow-Headers "
                                 "(header names compare case-insensitively)"]


def test_wildcards_work_only_without_credentials() -> None:
    star = (("Access-Control-Allow-Origin", "*"), ("Access-Control-Allow-Methods", "*"),
            ("Access-Control-Allow-Headers", "*"))
    assert problems(star) == []
    found = problems(star, credentials=True)
    assert "Access-Control-Allow-Origin: * is not the page's origin" in found[0]
    assert "PUT is not in Access-Control-Allow-Methods: *" in found[1]
    assert [p.split()[0] for p in found[2:]] == ["content-type", "if-match"]


def test_authorization_is_never_covered_by_a_star() -> None:
    star = (GOOD[0], GOOD[1], ("Access-Control-Allow-Headers", "*"))
    found = problems(star, request_headers=(("Authorization", "Bearer x"),))
    assert found == ["Authorization must be listed by name; * does not cover it"]


def test_cors_check_compares_the_origin_byte_for_byte() -> None:
    assert cors_check((("Access-Control-Allow-Origin", ORIGIN),), ORIGIN) is None
    assert "not the page's origin" in cors_check(
        (("Access-Control-Allow-Origin", ORIGIN + "/"),), ORIGIN)
    assert "no Access-Control-Allow-Origin" in cors_check((), ORIGIN)


def test_which_requests_need_a_preflight() -> None:
    assert not needs_preflight("GET", ())
    assert not needs_preflight("post", (("Content-Type", "text/plain;charset=utf-8"),))
    assert needs_preflight("POST", (("Content-Type", "application/json"),))
    assert needs_preflight("PUT", ())
    assert needs_preflight("GET", (("If-Match", '"v1"'),))
    assert unsafe_request_header_names(WANTED) == ["content-type", "if-match"]


@pytest.mark.parametrize(
    ("expose", "readable"),
    [
        (None, ["content-type", "last-modified"]),
        ("ETag", ["content-type", "etag", "last-modified"]),
        ("etag, Preference-Applied", ["content-type", "etag", "last-modified",
                                      "preference-applied"]),
        ("*", ["date", "content-type", "etag", "last-modified", "preference-applied"]),
    ],
)
def test_a_script_reads_the_etag_of_a_204_only_when_it_is_exposed(expose, readable) -> None:
    response = (("Date", "x"), ("Content-Type", "text/plain"), ("ETag", '"v2"'),
                ("Last-Modified", "y"), ("Preference-Applied", "return=minimal"),
                ("Set-Cookie", "s=1"))
    if expose:
        response = (*response, ("Access-Control-Expose-Headers", expose))
    assert [n for n in exposed_header_names(response) if n != "access-control-expose-headers"] \
        == readable
    assert "set-cookie" not in exposed_header_names(
        (*response, ("Access-Control-Expose-Headers", "Set-Cookie")))


def test_a_star_exposes_nothing_extra_with_credentials() -> None:
    response = (("ETag", '"v2"'), ("Access-Control-Expose-Headers", "*"))
    assert exposed_header_names(response, credentials=True) == []
    assert readable_fields(response) == response
