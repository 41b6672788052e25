"""harness.http.returns.apply_return_value: wptserve's conventions for what ``main`` returns."""

from __future__ import annotations

import io

import pytest

from harness.http.response import Response
from harness.http.returns import UnsupportedReturn, apply_return_value


def applied(value: object) -> Response:
    response = Response()
    response.headers.set("X-Before", "kept")
    apply_return_value(response, value)
    return response


def test_none_leaves_the_response_as_the_handler_set_it() -> None:
    response = Response()
    response.status = 202
    response.content = "set by the handler"
    apply_return_value(response, None)
    assert (response.status, response.content) == ((202, None), "set by the handler")


@pytest.mark.parametrize(
    ("value", "content"), [("text", "text"), (b"bytes", b"bytes"), ("", ""), (bytearray(b"ba"), b"ba")]
)
def test_str_or_bytes_is_the_body(value: object, content: object) -> None:
    response = applied(value)
    assert response.content == content
    assert type(response.content) is type(content)
    assert response.status == (200, None)
    assert response.headers.get("X-Before") == [b"kept"]


def test_two_tuple_appends_headers_then_sets_the_body() -> None:
    response = applied(([("X-Before", "again"), ("Content-Type", "text/plain")], "body"))
    assert response.headers.get("x-before") == [b"kept", b"again"]
    assert response.headers.get("content-type") == [b"text/plain"]
    assert response.content == "body"
    assert response.status == (200, None)


def test_two_tuple_with_dict_or_no_headers() -> None:
    assert applied(({"X-A": "1"}, b"b")).headers.get("X-A") == [b"1"]
    response = applied((None, b"b"))
    assert response.headers.items() == [(b"X-Before", b"kept")]
    assert response.content == b"b"


@pytest.mark.parametrize(
    ("status", "expected"),
    [(404, (404, None)), ((404, "Gone"), (404, "Gone")), ((410, b"Really Gone"), (410, b"Really Gone"))],
)
def test_three_tuple_sets_the_status_too(status: object, expected: tuple[int, object]) -> None:
    response = applied((status, [("X-A", "1")], "missing"))
    assert response.status == expected
    assert response.headers.get("X-A") == [b"1"]
    assert response.content == "missing"


def test_three_tuple_with_a_bad_status_is_value_error() -> None:
    with pytest.raises(ValueError, match="out of range"):
        applied((42, [], "x"))


def test_list_and_generator_bodies_are_streamed() -> None:
    listed = applied(["a", b"b"])
    assert list(listed.iter_content()) == [b"a", b"b"]
    generated = applied(part for part in ("x", "y"))
    assert list(generated.iter_content()) == [b"x", b"y"]
    in_tuple = applied((200, [], (chunk for chunk in [b"1", b"2"])))
    assert list(in_tuple.iter_content()) == [b"1", b"2"]


def test_file_body_is_kept_as_a_file() -> None:
    handle = io.BytesIO(b"file body")
    response = applied(handle)
    assert response.content is handle
    assert b"".join(response.iter_content()) == b"file body"


@pytest.mark.parametrize("value", [(), ("only",), (1, 2, 3, 4)], ids=repr)
def test_tuple_of_the_wrong_length_is_unsupported(value: tuple[object, ...]) -> None:
    with pytest.raises(
        UnsupportedReturn, match=f"main returned a tuple of {len(value)} items; expected \\(headers, body\\)"
    ):
        applied(value)


@pytest.mark.parametrize(
    ("value", "type_name"), [(42, "int"), ({"a": 1}, "dict"), (1.5, "float"), (object(), "object")]
)
def test_value_that_is_not_a_response_is_unsupported_with_a_hint(value: object, type_name: str) -> None:
    with pytest.raises(UnsupportedReturn) as info:
        applied(value)
    message = str(info.value)
    assert message.startswith(f"main's return value is {type_name}; ")
    assert "(headers, body), (status, headers, body) or None" in message
    assert isinstance(info.value, TypeError)


@pytest.mark.parametrize(("body", "type_name"), [(5, "int"), ({"a": 1}, "dict"), (None, "NoneType")])
def test_bad_body_inside_a_tuple_is_unsupported(body: object, type_name: str) -> None:
    with pytest.raises(UnsupportedReturn, match=f"the body in main's returned tuple is {type_name}"):
        applied(([], body))
