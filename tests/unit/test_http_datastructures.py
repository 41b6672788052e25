"""harness.http.datastructures: MultiDict, RequestHeaders, Cookies and CookieValue."""

from __future__ import annotations

import pytest

from harness.http.datastructures import Cookies, CookieValue, MultiDict, RequestHeaders, as_bytes


@pytest.fixture
def query() -> MultiDict[bytes]:
    return MultiDict([(b"id", b"1"), ("name", b"x"), ("id", b"2"), (b"caf\xc3\xa9", b"u"), (b"empty", b"")])


# -- MultiDict -----------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["id", b"id"])
def test_first_last_get_and_index_accept_str_and_bytes(query: MultiDict[bytes], name: str | bytes) -> None:
    assert query.first(name) == b"1"
    assert query.last(name) == b"2"
    assert query.get(name) == b"1"
    assert query[name] == b"1"
    assert query.get_list(name) == [b"1", b"2"]
    assert name in query


def test_non_ascii_str_names_are_utf8(query: MultiDict[bytes]) -> None:
    assert query["caf\u00e9"] == b"u"
    assert "caf\u00e9" in query


@pytest.mark.parametrize("method", ["first", "last", "__getitem__"])
def test_missing_name_is_key_error(query: MultiDict[bytes], method: str) -> None:
    with pytest.raises(KeyError) as info:
        getattr(query, method)("missing")
    assert info.value.args == ("missing",)


def test_missing_name_with_default(query: MultiDict[bytes]) -> None:
    assert query.first("missing", b"d") == b"d"
    assert query.last(b"missing", None) is None
    assert query.get("missing") is None
    assert query.get("missing", b"d") == b"d"
    assert query.get_list("missing") == []
    assert "missing" not in query


def test_blank_value_is_a_value(query: MultiDict[bytes]) -> None:
    assert query.first("empty") == b""
    assert query.first("empty", b"default") == b""
    assert query.get("empty", b"default") == b""


@pytest.mark.parametrize("thing", [1, None, ("id",), ["id"]])
def test_contains_of_non_names_is_false(query: MultiDict[bytes], thing: object) -> None:
    assert thing not in query


def test_name_of_another_type_is_type_error(query: MultiDict[bytes]) -> None:
    with pytest.raises(TypeError, match="names are str or bytes, not int: 1"):
        query.first(1)  # type: ignore[arg-type]


def test_names_are_case_sensitive(query: MultiDict[bytes]) -> None:
    assert "ID" not in query


def test_views_and_order(query: MultiDict[bytes]) -> None:
    assert query.keys() == [b"id", b"name", b"caf\xc3\xa9", b"empty"]
    assert list(query) == query.keys()
    assert len(query) == 4
    assert query.items()[0] == (b"id", [b"1", b"2"])
    assert query.values()[0] == [b"1", b"2"]
    assert query.multi_items() == [
        (b"id", b"1"),
        (b"id", b"2"),
        (b"name", b"x"),
        (b"caf\xc3\xa9", b"u"),
        (b"empty", b""),
    ]
    assert query.to_dict() == {b"id": b"1", b"name": b"x", b"caf\xc3\xa9": b"u", b"empty": b""}


def test_add_set_and_delete() -> None:
    multi: MultiDict[bytes] = MultiDict()
    multi.add("a", b"1")
    multi.add(b"a", b"2")
    assert multi.get_list("a") == [b"1", b"2"]
    multi["a"] = b"3"
    assert multi.get_list(b"a") == [b"3"]
    del multi["a"]
    assert "a" not in multi
    with pytest.raises(KeyError):
        del multi["a"]


def test_get_list_returns_a_copy(query: MultiDict[bytes]) -> None:
    query.get_list("id").append(b"3")
    assert query.get_list("id") == [b"1", b"2"]


def test_equality_and_repr() -> None:
    assert MultiDict([("a", b"1")]) == MultiDict([(b"a", b"1")])
    assert MultiDict([("a", b"1")]) != MultiDict([("a", b"2")])
    assert MultiDict([("a", b"1")]) != {"a": b"1"}
    assert repr(MultiDict([("a", b"1")])) == "MultiDict([(b'a', b'1')])"


@pytest.mark.parametrize(("name", "expected"), [("a", b"a"), (b"a", b"a"), ("\u00e9", b"\xc3\xa9"), (b"\xe9", b"\xe9")])
def test_as_bytes(name: str | bytes, expected: bytes) -> None:
    assert as_bytes(name) == expected


# -- RequestHeaders ------------------------------------------------------------------------


@pytest.fixture
def headers() -> RequestHeaders:
    return RequestHeaders(
        [(b"Host", b"h"), (b"Accept", b"text/html"), (b"X-Empty", b""), (b"accept", b"*/*"), (b"ACCEPT", b"a/b")]
    )


@pytest.mark.parametrize("name", ["accept", "ACCEPT", "Accept", b"accept", b"aCCePT"])
def test_header_lookup_is_case_insensitive_and_joins_repeats(headers: RequestHeaders, name: str | bytes) -> None:
    assert headers[name] == b"text/html, */*, a/b"
    assert headers.get(name) == b"text/html, */*, a/b"
    assert headers.get_list(name) == [b"text/html", b"*/*", b"a/b"]
    assert name in headers


def test_single_header_value_is_not_joined(headers: RequestHeaders) -> None:
    assert headers["host"] == b"h"
    assert headers.get_list(b"HOST") == [b"h"]


def test_missing_header(headers: RequestHeaders) -> None:
    with pytest.raises(KeyError):
        headers["missing"]
    with pytest.raises(KeyError):
        headers.get_list("missing")
    assert headers.get("missing") is None
    assert headers.get("missing", b"d") == b"d"
    assert headers.get_list("missing", []) == []
    assert "missing" not in headers
    assert 5 not in headers


def test_empty_header_value_is_present(headers: RequestHeaders) -> None:
    assert "x-empty" in headers
    assert headers.get("x-empty", b"default") == b""
    assert headers["X-Empty"] == b""
    assert headers.get_list("x-empty") == [b""]


def test_header_views_keep_raw_and_lower_cased_names(headers: RequestHeaders) -> None:
    assert list(headers.keys()) == [b"host", b"accept", b"x-empty"]
    assert list(headers) == list(headers.keys())
    assert len(headers) == 3
    # items() is wptserve's dict of lists; iteritems() joins repeats.
    assert list(headers.items())[1] == (b"accept", [b"text/html", b"*/*", b"a/b"])
    assert dict(headers)[b"accept"] == [b"text/html", b"*/*", b"a/b"]
    assert list(headers.iteritems())[1] == (b"accept", b"text/html, */*, a/b")
    assert headers.raw[1] == (b"Accept", b"text/html")
    assert "RequestHeaders([(b'Host', b'h')" in repr(headers)


# -- cookies -------------------------------------------------------------------------------


def test_cookie_value_compares_with_bytes_and_other_cookie_values() -> None:
    cookie = CookieValue("session", b"abc")
    assert cookie == b"abc"
    assert cookie != b"abd"
    assert cookie != "abc"
    assert cookie == CookieValue("other-name", b"abc")
    assert hash(cookie) == hash(b"abc")
    assert (cookie.key, cookie.value) == ("session", b"abc")
    assert str(cookie) == "session=abc"
    assert repr(cookie) == "CookieValue('session', b'abc')"


def test_cookies_index_gives_the_last_value() -> None:
    cookies = Cookies()
    cookies.add(b"a", CookieValue("a", b"1"))
    cookies.add("a", CookieValue("a", b"2"))
    assert cookies["a"] == b"2"
    assert cookies[b"a"].value == b"2"
    assert cookies.first("a") == b"1"
    assert cookies.get("a") == b"1"
    assert [value.value for value in cookies.get_list("a")] == [b"1", b"2"]
    with pytest.raises(KeyError):
        cookies["missing"]
