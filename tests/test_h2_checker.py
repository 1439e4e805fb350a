"""The checker on HTTP/2 and HTTP/3 exchanges: rules judged on frames made by hand,
then a few live checks through ``nocontent.check(..., http_version=2|3)``.
"""

from __future__ import annotations

import pytest

import nocontent
from nocontent import RULES, Frame, FrameExchange, Level, judge
from nocontent._frames import response_of

DATE = ("date", "Tue, 01 Dec 2026 10:00:00 GMT")
FRAME_RULES = ("no-response-stream", "204-data", "204-trailers", "204-content-length-tolerated",
               "connection-specific-field", "uppercase-field-name")


def received(type_: str, *flags: str, fields=(), data: bytes = b"") -> Frame:
    return Frame(sent=False, type=type_, stream=1, flags=flags, fields=tuple(fields), data=data,
                 length=len(data), raw=b"\x00" * 9 + data)


def exchange(*frames: Frame, method: str = "PUT", version: int = 2,
             request_fields=()) -> FrameExchange:
    end = "END_STREAM" if version == 2 else "FIN"
    frames = tuple(_flag(f, version, end) for f in frames)
    response, error = response_of(frames, 1, version)
    return FrameExchange(version=version, protocol="h2c" if version == 2 else "h3",
                         url="http://x/", method=method, stream=1,
                         request_fields=((":method", method), *request_fields),
                         frames=frames, response=response, error=error)


def _flag(frame: Frame, version: int, end: str) -> Frame:
    """Write the tests with END_STREAM; HTTP/3 marks the same place with FIN."""
    if version == 3 and "END_STREAM" in frame.flags:
        flags = tuple(end if f == "END_STREAM" else f for f in frame.flags if f != "END_HEADERS")
        return Frame(**{**frame.__dict__, "flags": flags})
    return frame


def head(*extra: tuple[str, str], end: bool = True, status: str = "204") -> Frame:
    flags = ("END_STREAM", "END_HEADERS") if end else ("END_HEADERS",)
    return received("HEADERS", *flags, fields=((":status", status), DATE, *extra))


CASES = [
    ("clean 204", (head(),), ()),
    ("DATA after the 204", (head(end=False), received("DATA", "END_STREAM", data=b"null")),
     ("204-data",)),
    ("an empty DATA frame ends the 204", (head(end=False), received("DATA", "END_STREAM")), ()),
    ("trailers after the 204",
     (head(end=False), received("HEADERS", "END_STREAM", "END_HEADERS", fields=(("x", "1"),))),
     ("204-trailers",)),
    ("content-length: 0", (head(("content-length", "0")),), ("204-content-length",)),
    ("content-length: 4, no DATA", (head(("content-length", "4")),),
     ("204-content-length", "204-content-length-tolerated")),
    ("transfer-encoding", (head(("transfer-encoding", "chunked")),),
     ("connection-specific-field",)),
    ("connection", (head(("connection", "keep-alive")),), ("connection-specific-field",)),
    ("keep-alive", (head(("keep-alive", "timeout=5")),), ("connection-specific-field",)),
    ("upgrade", (head(("upgrade", "h2c")),), ("connection-specific-field",)),
    ("proxy-connection", (head(("proxy-connection", "close")),),
     ("connection-specific-field",)),
    ("uppercase name", (head(("ETag", '"x"')),), ("uppercase-field-name", "put-validator")),
    ("stream reset", (head(end=False), Frame(sent=False, type="RST_STREAM", stream=1,
                                             note="PROTOCOL_ERROR (0x1)")),
     ("no-response-stream",)),
    ("stream never ended", (head(end=False),), ("no-response-stream",)),
]


@pytest.mark.parametrize("version", [2, 3])
@pytest.mark.parametrize(("frames", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_each_case_fires_exactly_its_rules(frames, expected, version) -> None:
    assert judge(exchange(*frames, version=version)).rule_ids == expected


def test_every_frame_rule_is_exercised() -> None:
    fired = {rule for _, _, expected in CASES for rule in expected}
    assert set(FRAME_RULES) <= fired


def test_the_frame_rules_are_in_rules_with_level_and_section() -> None:
    by_id = {rule.id: rule for rule in RULES}
    assert by_id["204-data"].level is Level.MUST and "RFC 9113 §8.1.1" in by_id["204-data"].rfc
    assert by_id["204-content-length-tolerated"].level is Level.INFO
    assert "RFC 9114 §4.1.2" in by_id["204-content-length-tolerated"].rfc
    assert by_id["connection-specific-field"].rfc == "RFC 9113 §8.2.2, RFC 9114 §4.2"
    assert by_id["uppercase-field-name"].level is Level.MUST


def test_data_on_a_204_is_a_must_with_the_stray_bytes_as_evidence() -> None:
    report = judge(exchange(head(end=False), received("DATA", "END_STREAM", data=b"null")))
    assert not report.passed
    [finding] = report.findings
    assert "b'null'" in finding.detail and "PROTOCOL_ERROR" in finding.detail


def test_a_nonzero_content_length_is_info_beside_the_senders_must_not() -> None:
    report = judge(exchange(head(("content-length", "4"))))
    levels = {f.rule.id: f.rule.level for f in report.findings}
    assert levels == {"204-content-length": Level.MUST,
                      "204-content-length-tolerated": Level.INFO}
    tolerated = next(f for f in report.findings if f.rule.id == "204-content-length-tolerated")
    assert "RFC 9113 §8.1.1" in tolerated.detail and "HTTP/1.1" in tolerated.detail


def test_the_version_neutral_rules_apply_too() -> None:
    no_date = received("HEADERS", "END_STREAM", "END_HEADERS", fields=((":status", "204"),))
    assert "date-missing" in judge(exchange(no_date)).rule_ids
    assert judge(exchange(head(), method="GET")).rule_ids == ("heuristically-cacheable",)
    empty_200 = head(status="200")
    assert judge(exchange(empty_200, method="POST")).rule_ids == ("empty-200",)
    asked = (("prefer", "return=representation"),)
    assert judge(exchange(empty_200, method="POST", request_fields=asked)).rule_ids == ()


def test_the_verdict_names_the_version_and_no_reason_phrase() -> None:
    assert judge(exchange(head(), version=3)).verdict() == (
        "204 to PUT over HTTP/3: 0 MUST, 0 SHOULD, 0 INFO (pass)")


# -- live ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def servers():
    with nocontent.Server() as plain, nocontent.TLSServer() as tls:
        yield plain, tls


@pytest.mark.live
@pytest.mark.parametrize("version", [2, 3])
def test_check_judges_the_compliant_server_and_every_misbehaviour(servers, version) -> None:
    plain, tls = servers
    base = plain.url if version == 2 else tls.url
    assert nocontent.check(base + "/status/204", "PUT", http_version=version).rule_ids == ()
    expected = {
        "body": ("204-data",),
        "content-length-zero": ("204-content-length",),
        "content-length": ("204-content-length", "204-content-length-tolerated"),
        "trailers": ("204-trailers",),
        "transfer-encoding": ("connection-specific-field",),
    }
    assert set(expected) == set(nocontent.FRAME_MISBEHAVIOURS)
    for kind, rule_ids in expected.items():
        report = nocontent.check(f"{base}/misbehave/{kind}", "PUT", http_version=version)
        assert report.rule_ids == rule_ids, report.table()


@pytest.mark.live
def test_exchange_returns_the_frames_over_h2c_h2_and_h3(servers) -> None:
    plain, tls = servers
    for url, version, protocol in [(plain.url, 2, "h2c"), (tls.url, 2, "h2"), (tls.url, 3, "h3")]:
        ex = nocontent.exchange(url + "/status/204", "GET", http_version=version)
        assert (ex.protocol, ex.status, ex.error) == (protocol, 204, None)
        [mine] = [f for f in ex.on_stream() if not f.sent]
        assert mine.type == "HEADERS" and mine.fields[0] == (":status", "204")
        assert ex.sent and ex.received


@pytest.mark.live
def test_a_bad_request_is_refused_before_anything_is_sent(servers) -> None:
    plain, _ = servers
    with pytest.raises(nocontent.LocalProtocolError, match="connection-specific"):
        nocontent.exchange(plain.url + "/", headers=[("Connection", "close")], http_version=2)
    with pytest.raises(nocontent.LocalProtocolError, match="https"):
        nocontent.exchange(plain.url + "/", http_version=3)
