"""harness.config.load_config: embedded defaults, user overrides, and one-line errors naming file and key."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from harness.config import Config, ConfigError, TLSFiles, default_config_path, load_config


@pytest.fixture
def doc_root(tmp_path: Path) -> Path:
    root = tmp_path / "docs"
    root.mkdir()
    return root


@pytest.fixture
def write(tmp_path: Path, doc_root: Path):
    """Write a user config (with a doc_root that exists unless given) and return its path."""

    def write_config(data: object, name: str = "config.json", with_doc_root: bool = True) -> Path:
        if with_doc_root and isinstance(data, dict) and "doc_root" not in data:
            data = {"doc_root": str(doc_root), **data}
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(data if isinstance(data, str) else json.dumps(data))
        return path

    return write_config


def error_of(path: Path) -> str:
    with pytest.raises(ConfigError) as info:
        load_config(path)
    message = str(info.value)
    assert "\n" not in message, "errors are one line"
    return message


# -- defaults ------------------------------------------------------------------------------


def test_defaults() -> None:
    config = load_config()
    assert config.bind_address == "127.0.0.1"
    assert config.host == "localhost"
    assert config.hostnames == ("localhost", "127.0.0.1", "::1")
    assert config.doc_root == default_config_path().parent / "handlers"
    assert config.doc_root.is_dir()
    assert (config.ports.http, config.ports.https, config.ports.ws, config.ports.wss) == (0, 0, 0, 0)
    assert config.tls == "auto"
    assert config.stash.address == "auto"
    assert config.stash.max_value_bytes == 16 * 1024 * 1024
    assert config.http.max_connections == 512
    assert config.http.header_timeout == 10.0
    assert config.http.keep_alive_timeout == 75.0
    assert config.http.handler_timeout == 60.0
    assert config.http.max_header_bytes == 65536
    assert config.http.max_headers == 100
    assert config.http.max_body_bytes == 64 * 1024 * 1024
    assert config.ws.max_connections == 512
    assert config.ws.open_timeout == 10.0
    assert config.ws.close_timeout == 2.0
    assert config.ws.max_message_bytes == 16 * 1024 * 1024
    assert config.ws.compression is True
    assert config.on_server_exit == "stop"
    assert config.shutdown_timeout == 1.0
    assert config.run_dir is None
    assert config.log_level == "info"
    assert config.access_log is False


def test_config_is_frozen_and_dict_like() -> None:
    config = load_config()
    with pytest.raises(dataclasses.FrozenInstanceError):
        config.host = "other"  # type: ignore[misc]
    assert config["host"] == "localhost"
    assert config.ports["https"] == 0
    with pytest.raises(KeyError):
        config["no_such_key"]
    changed = config.replace(host="example.test")
    assert (changed.host, config.host) == ("example.test", "localhost")
    assert isinstance(changed, Config)


# -- overrides -----------------------------------------------------------------------------


def test_user_file_overrides_some_keys_and_keeps_the_rest(write, doc_root: Path) -> None:
    path = write(
        {
            "ports": {"https": 8443},
            "http": {"max_body_bytes": 10, "handler_timeout": None},
            "ws": {"open_timeout": 5},
            "hostnames": ["example.test"],
            "log_level": "debug",
            "access_log": True,
            "on_server_exit": "restart",
        }
    )
    config = load_config(path)
    assert (config.ports.http, config.ports.https, config.ports.ws, config.ports.wss) == (0, 8443, 0, 0)
    assert config.http.max_body_bytes == 10
    assert config.http.handler_timeout is None
    assert config.http.max_connections == 512
    assert config.ws.open_timeout == 5.0
    assert isinstance(config.ws.open_timeout, float)
    assert config.ws.close_timeout == 2.0
    assert config.hostnames == ("example.test",)
    assert (config.log_level, config.access_log, config.on_server_exit) == ("debug", True, "restart")
    assert config.doc_root == doc_root.resolve()


def test_empty_user_file_gives_the_defaults(write) -> None:
    config = load_config(write({}, with_doc_root=False))
    assert config == load_config()


def test_relative_paths_are_resolved_against_the_config_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "site").mkdir()
    conf_dir = tmp_path / "conf"
    conf_dir.mkdir()
    for name in ("cert.pem", "key.pem", "ca.pem"):
        (conf_dir / name).write_text("not checked here")
    path = conf_dir / "config.json"
    path.write_text(
        json.dumps(
            {
                "doc_root": "../site",
                "run_dir": "run",
                "stash": {"address": "stash.sock"},
                "tls": {"cert": "cert.pem", "key": "./key.pem", "ca_cert": "ca.pem"},
            }
        )
    )
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    config = load_config("../conf/config.json")
    assert config.doc_root == (tmp_path / "site").resolve()
    assert config.run_dir == (conf_dir / "run").resolve()
    assert config.stash.address == (conf_dir / "stash.sock").resolve()
    assert config.tls == TLSFiles(
        cert=(conf_dir / "cert.pem").resolve(),
        key=(conf_dir / "key.pem").resolve(),
        ca_cert=(conf_dir / "ca.pem").resolve(),
    )


def test_home_is_expanded_in_paths(write, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    (tmp_path / "home-docs").mkdir()
    assert load_config(write({"doc_root": "~/home-docs"})).doc_root == (tmp_path / "home-docs").resolve()


def test_stash_address_host_port(write) -> None:
    assert load_config(write({"stash": {"address": ["127.0.0.1", 4000]}})).stash.address == ("127.0.0.1", 4000)


@pytest.mark.parametrize("address", ["0.0.0.0", "::", "::1", "localhost", "192.168.0.1"])
def test_bind_address_ip_or_localhost(write, address: str) -> None:
    assert load_config(write({"bind_address": address})).bind_address == address


@pytest.mark.parametrize("host", ["example.test", "::1", "10.0.0.1", "web-platform.test"])
def test_valid_hosts(write, host: str) -> None:
    assert load_config(write({"host": host})).host == host


def test_distinct_fixed_ports_and_repeated_zero_ports(write) -> None:
    config = load_config(write({"ports": {"http": 8000, "https": 8443, "ws": 0, "wss": 0}}))
    assert (config.ports.http, config.ports.https) == (8000, 8443)


def test_doc_root_argument_overrides_the_file(write, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "cli-docs").mkdir()
    monkeypatch.chdir(tmp_path)
    assert load_config(write({}), doc_root="cli-docs").doc_root == (tmp_path / "cli-docs").resolve()


def test_missing_doc_root_argument_is_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"^--doc-root: the document root .* is not a directory$"):
        load_config(doc_root=tmp_path / "missing")


# -- every field, wrong -------------------------------------------------------------------

WRONG_VALUES = [
    # (user config, dotted key, message fragment)
    ({"bind_address": 5}, "bind_address", "expected a string, got 5"),
    ({"bind_address": ""}, "bind_address", 'expected a string, got ""'),
    ({"bind_address": "example.test"}, "bind_address", "expected an IP address or 'localhost'"),
    ({"host": None}, "host", "expected a string, got null"),
    ({"host": "a b"}, "host", "invalid host name 'a b'"),
    ({"host": "a/b"}, "host", "invalid host name"),
    ({"host": "example.test:80"}, "host", "invalid host name"),
    ({"hostnames": "localhost"}, "hostnames", 'expected a list of strings, got "localhost"'),
    ({"hostnames": []}, "hostnames", "expected at least one item"),
    ({"hostnames": ["ok", 5]}, "hostnames[1]", "expected a string, got 5"),
    ({"hostnames": ["ok", "a b"]}, "hostnames[1]", "invalid host name 'a b'"),
    ({"hostnames": ["a/b"]}, "hostnames[0]", "invalid host name"),
    ({"doc_root": 5}, "doc_root", "expected a path string, got 5"),
    ({"doc_root": ""}, "doc_root", "expected a path string"),
    ({"doc_root": "  "}, "doc_root", "expected a path string"),
    ({"doc_root": "missing-dir"}, "doc_root", "is not a directory"),
    ({"doc_root": "config.json"}, "doc_root", "is not a directory"),
    ({"ports": 5}, "ports", "expected an object, got 5"),
    ({"ports": [80]}, "ports", "expected an object"),
    ({"ports": {"http": "80"}}, "ports.http", 'expected an integer, got "80"'),
    ({"ports": {"https": 443.0}}, "ports.https", "expected an integer, got 443.0"),
    ({"ports": {"ws": True}}, "ports.ws", "expected an integer, got true"),
    ({"ports": {"wss": None}}, "ports.wss", "expected an integer, got null"),
    ({"ports": {"http": -1}}, "ports.http", "must be at least 0, got -1"),
    ({"ports": {"https": 65536}}, "ports.https", "must be at most 65535, got 65536"),
    ({"ports": {"ws": 70000}}, "ports.ws", "must be at most 65535"),
    ({"ports": {"wss": -80}}, "ports.wss", "must be at least 0"),
    ({"ports": {"http": 8000, "https": 8000}}, "ports.https", "port 8000 is also configured for ports.http"),
    ({"ports": {"ws": 9000, "wss": 9000}}, "ports.wss", "port 9000 is also configured for ports.ws"),
    ({"tls": "manual"}, "tls", 'expected "auto" or an object, got "manual"'),
    ({"tls": 5}, "tls", 'expected "auto" or an object'),
    ({"tls": {"cert": "c.pem", "key": "k.pem", "ca_cert": "ca.pem"}}, "tls.cert", "no such file"),
    ({"stash": 5}, "stash", "expected an object, got 5"),
    ({"stash": {"address": 5}}, "stash.address", 'expected "auto" or a path string or [a string, an integer], got 5'),
    ({"stash": {"address": ""}}, "stash.address", "expected"),
    ({"stash": {"address": ["h", "x"]}}, "stash.address", 'got ["h", "x"]'),
    ({"stash": {"address": ["h"]}}, "stash.address", "expected"),
    ({"stash": {"address": ["h", 1, 2]}}, "stash.address", "expected"),
    ({"stash": {"address": ["h", 70000]}}, "stash.address", "port must be 0-65535, got 70000"),
    ({"stash": {"address": ["h", -1]}}, "stash.address", "port must be 0-65535, got -1"),
    ({"stash": {"max_value_bytes": 0}}, "stash.max_value_bytes", "must be at least 1, got 0"),
    ({"stash": {"max_value_bytes": "16M"}}, "stash.max_value_bytes", "expected an integer"),
    ({"http": 5}, "http", "expected an object"),
    ({"http": {"max_connections": 0}}, "http.max_connections", "must be at least 1, got 0"),
    ({"http": {"max_connections": 100_001}}, "http.max_connections", "must be at most 100000"),
    ({"http": {"max_connections": "many"}}, "http.max_connections", "expected an integer"),
    ({"http": {"header_timeout": 0}}, "http.header_timeout", "must be greater than 0, got 0"),
    ({"http": {"header_timeout": -1.5}}, "http.header_timeout", "must be greater than 0, got -1.5"),
    ({"http": {"header_timeout": "10s"}}, "http.header_timeout", 'expected a number, got "10s"'),
    ({"http": {"header_timeout": None}}, "http.header_timeout", "expected a number, got null"),
    ({"http": {"keep_alive_timeout": 0}}, "http.keep_alive_timeout", "must be greater than 0"),
    ({"http": {"keep_alive_timeout": False}}, "http.keep_alive_timeout", "expected a number, got false"),
    ({"http": {"handler_timeout": 0}}, "http.handler_timeout", "must be greater than 0"),
    ({"http": {"handler_timeout": "never"}}, "http.handler_timeout", "expected a number or null"),
    ({"http": {"max_header_bytes": 1023}}, "http.max_header_bytes", "must be at least 1024, got 1023"),
    ({"http": {"max_header_bytes": 2048.5}}, "http.max_header_bytes", "expected an integer"),
    ({"http": {"max_headers": 0}}, "http.max_headers", "must be at least 1"),
    ({"http": {"max_headers": 10_001}}, "http.max_headers", "must be at most 10000"),
    ({"http": {"max_headers": "100"}}, "http.max_headers", 'expected an integer, got "100"'),
    ({"http": {"max_body_bytes": -1}}, "http.max_body_bytes", "must be at least 0, got -1"),
    ({"http": {"max_body_bytes": 1.5}}, "http.max_body_bytes", "expected an integer, got 1.5"),
    ({"http": {"max_body_bytes": "64M"}}, "http.max_body_bytes", "expected an integer"),
    ({"ws": []}, "ws", "expected an object"),
    ({"ws": {"max_connections": 0}}, "ws.max_connections", "must be at least 1"),
    ({"ws": {"max_connections": 100_001}}, "ws.max_connections", "must be at most 100000"),
    ({"ws": {"max_connections": 1.5}}, "ws.max_connections", "expected an integer, got 1.5"),
    ({"ws": {"open_timeout": 0}}, "ws.open_timeout", "must be greater than 0"),
    ({"ws": {"open_timeout": "1"}}, "ws.open_timeout", "expected a number"),
    ({"ws": {"close_timeout": -1}}, "ws.close_timeout", "must be greater than 0"),
    ({"ws": {"close_timeout": [1]}}, "ws.close_timeout", "expected a number, got [1]"),
    ({"http": {"handler_timeout": -5}}, "http.handler_timeout", "must be greater than 0"),
    ({"http": {"handler_timeout": "5"}}, "http.handler_timeout", 'expected a number or null, got "5"'),
    ({"ws": {"max_message_bytes": 0}}, "ws.max_message_bytes", "must be at least 1"),
    ({"ws": {"max_message_bytes": None}}, "ws.max_message_bytes", "expected an integer, got null"),
    ({"ws": {"compression": "yes"}}, "ws.compression", "true or false"),
    ({"on_server_exit": "explode"}, "on_server_exit", 'expected "stop" or "restart", got "explode"'),
    ({"on_server_exit": 1}, "on_server_exit", 'expected "stop" or "restart"'),
    ({"shutdown_timeout": 0}, "shutdown_timeout", "must be greater than 0"),
    ({"shutdown_timeout": 61}, "shutdown_timeout", "must be at most 60, got 61"),
    ({"shutdown_timeout": "1"}, "shutdown_timeout", "expected a number"),
    ({"shutdown_timeout": -1}, "shutdown_timeout", "must be greater than 0, got -1"),
    ({"run_dir": 5}, "run_dir", "expected a path string or null, got 5"),
    ({"run_dir": ""}, "run_dir", "expected a path string or null"),
    ({"log_level": "verbose"}, "log_level", 'expected "debug" or "info" or "warning" or "error", got "verbose"'),
    ({"log_level": "DEBUG"}, "log_level", "expected"),
    ({"access_log": "yes"}, "access_log", 'expected true or false, got "yes"'),
    ({"access_log": 1}, "access_log", "expected true or false, got 1"),
    ({"prots": {}}, "prots", "unknown key (did you mean 'ports'?)"),
    ({"zzzz": 1}, "zzzz", "unknown key (known keys: bind_address, host, hostnames, doc_root, ports"),
    ({"ports": {"htps": 1}}, "ports.htps", "unknown key (did you mean 'https'?)"),
    ({"http": {"max_conections": 1}}, "http.max_conections", "unknown key (did you mean 'max_connections'?)"),
    ({"ws": {"ping": 1}}, "ws.ping", "unknown key"),
    ({"stash": {"adress": "auto"}}, "stash.adress", "unknown key (did you mean 'address'?)"),
]


@pytest.mark.parametrize(
    ("data", "key", "fragment"), WRONG_VALUES, ids=[key + ":" + json.dumps(d) for d, key, _ in WRONG_VALUES]
)
def test_wrong_value_is_config_error_naming_file_and_key(write, data: dict, key: str, fragment: str) -> None:
    path = write(data)
    message = error_of(path)
    assert message.startswith(f"{path}: {key}: "), message
    assert fragment in message


NESTED_TLS_ERRORS = [
    ({"cert": 5, "key": "k.pem", "ca_cert": "ca.pem"}, "tls.cert", "expected a path string, got 5"),
    ({"cert": "c.pem", "key": None, "ca_cert": "ca.pem"}, "tls.key", "expected a path string, got null"),
    ({"cert": "c.pem", "key": "k.pem"}, "tls.ca_cert", "missing key"),
    ({"cert": "c.pem", "key": "k.pem", "ca_cert": "ca.pem", "ca": "x"}, "tls.ca", "unknown key"),
]


@pytest.mark.parametrize(("tls", "key", "fragment"), NESTED_TLS_ERRORS, ids=[key for _, key, _ in NESTED_TLS_ERRORS])
def test_wrong_tls_file_setting_names_the_tls_key(write, tls: dict, key: str, fragment: str) -> None:
    """A mistake inside the tls object must be reported at its own key, not as 'tls: expected "auto"'."""
    path = write({"tls": tls})
    message = error_of(path)
    assert message.startswith(f"{path}: {key}: "), message
    assert fragment in message


@pytest.mark.parametrize("missing", ["cert", "key", "ca_cert"])
def test_tls_file_that_does_not_exist_is_named(write, tmp_path: Path, missing: str) -> None:
    files = {"cert": "cert.pem", "key": "key.pem", "ca_cert": "ca.pem"}
    for name, file_name in files.items():
        if name != missing:
            (tmp_path / file_name).write_text("x")
    path = write({"tls": files})
    message = error_of(path)
    assert message == f"{path}: tls.{missing}: no such file {str((tmp_path / files[missing]).resolve())!r}"


def test_long_wrong_values_are_shortened_in_messages(write) -> None:
    path = write({"host": ["x" * 200]})
    message = error_of(path)
    assert message.startswith(f'{path}: host: expected a string, got ["xxx')
    assert message.endswith("...")
    assert len(message) <= len(f"{path}: host: expected a string, got ") + 60


def test_nan_is_not_a_number(write) -> None:
    message = error_of(write('{"http": {"header_timeout": NaN}}', with_doc_root=False))
    assert ": http.header_timeout: expected a number, got NaN" in message


# -- whole-file problems -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "line", "column"),
    [("{", 1, 2), ('{\n  "host": ,\n}', 2, 11), ('{"a": 1,}', 1, 9), ("", 1, 1), ('{"a": 1} x', 1, 10)],
    ids=repr,
)
def test_invalid_json_names_line_and_column(write, text: str, line: int, column: int) -> None:
    path = write(text)
    message = error_of(path)
    assert message.startswith(f"{path}: invalid JSON at line {line} column {column}: ")


@pytest.mark.parametrize("text", ["[]", '"text"', "5", "null", "true"])
def test_top_level_that_is_not_an_object_is_config_error(write, text: str) -> None:
    path = write(text)
    assert error_of(path) == f"{path}: the configuration must be a JSON object"


def test_missing_file_is_config_error(tmp_path: Path) -> None:
    path = tmp_path / "nope.json"
    assert error_of(path) == f"{path}: no such configuration file"


def test_file_that_is_not_utf8_is_config_error(tmp_path: Path) -> None:
    path = tmp_path / "latin1.json"
    path.write_bytes(b'{"host": "caf\xe9"}')
    assert error_of(path).startswith(f"{path}: cannot read the configuration: ")


def test_directory_instead_of_a_file_is_config_error(tmp_path: Path) -> None:
    assert error_of(tmp_path).startswith(f"{tmp_path}: cannot read the configuration: ")


def test_config_round_trips_through_json(tmp_path) -> None:
    from harness.config import config_from_json, config_to_json

    user = tmp_path / "user.json"
    tls = {"cert": "c.pem", "key": "k.pem", "ca_cert": "ca.pem"}
    user.write_text(json.dumps({"ports": {"http": 8123}, "tls": tls}))
    for name in ("c.pem", "k.pem", "ca.pem"):
        (tmp_path / name).write_text("x")
    config = load_config(user)
    data = json.loads(json.dumps(config_to_json(config)))
    assert config_from_json(data) == config
