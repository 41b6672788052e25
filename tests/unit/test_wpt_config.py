"""``ws_doc_root`` and the ``wpt`` settings: defaults, what wpt mode implies, and one-line errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from harness.cli import main as cli_main
from harness.config import ConfigError, config_from_json, config_to_json, load_config
from harness.wpt.hosts import HostLayout, apply_wpt_settings, hosts_enabled


@pytest.fixture
def wpt_root(tmp_path: Path) -> Path:
    root = tmp_path / "wpt"
    (root / "websockets" / "handlers").mkdir(parents=True)
    return root


def settled(*args: object, **kwargs: object):
    """The config as a run sees it: loaded, then what wpt mode implies filled in (as the Supervisor does)."""
    return apply_wpt_settings(load_config(*args, **kwargs))


def write(tmp_path: Path, data: dict) -> Path:
    path = tmp_path / "config.json"
    path.write_text(json.dumps(data))
    return path


def test_defaults_are_off() -> None:
    config = load_config()
    assert config.ws_doc_root is None
    assert not config.wpt.enabled and config.wpt.hosts is None
    assert (config.wpt.browser_host, config.wpt.alt_host) == ("web-platform.test", "not-web-platform.test")
    assert not hosts_enabled(config)
    assert config.host == "localhost"


def test_wpt_mode_defaults_ws_doc_root_and_turns_hosts_on(wpt_root: Path) -> None:
    assert load_config(doc_root=wpt_root, wpt=True).host == "localhost"  # filled in when the run starts
    config = settled(doc_root=wpt_root, wpt=True)
    assert config.ws_doc_root == wpt_root / "websockets" / "handlers"
    assert hosts_enabled(config)
    assert config.host == "web-platform.test"
    assert config.hostnames[0] == "web-platform.test"
    assert "localhost" in config.hostnames
    assert {"xn--lve-6lad.web-platform.test", "www.www2.not-web-platform.test"} <= set(config.hostnames)
    assert "nonexistent.web-platform.test" not in config.hostnames
    assert len(config.hostnames) == len(set(config.hostnames))


def test_wpt_mode_without_websockets_handlers_keeps_the_doc_root(tmp_path: Path) -> None:
    config = settled(doc_root=tmp_path, wpt=True)
    assert config.ws_doc_root is None


def test_hosts_can_be_turned_off_in_wpt_mode_and_on_without_it(tmp_path: Path, wpt_root: Path) -> None:
    off = settled(write(tmp_path, {"doc_root": str(wpt_root), "wpt": {"enabled": True, "hosts": False}}))
    assert not hosts_enabled(off) and off.host == "localhost"
    assert off.ws_doc_root == wpt_root / "websockets" / "handlers"
    on = settled(write(tmp_path, {"doc_root": str(wpt_root), "wpt": {"hosts": True, "browser_host": "wpt.test"}}))
    assert on.host == "wpt.test" and on.ws_doc_root is None
    assert "www1.not-web-platform.test" in on.hostnames


def test_settings_are_idempotent_and_survive_the_state_file(wpt_root: Path) -> None:
    config = settled(doc_root=wpt_root, wpt=True)
    assert apply_wpt_settings(config) == config
    assert config_from_json(config_to_json(config)) == config


def test_ws_doc_root_from_file_and_argument(tmp_path: Path, wpt_root: Path) -> None:
    handlers = wpt_root / "websockets" / "handlers"
    assert load_config(write(tmp_path, {"ws_doc_root": str(handlers)})).ws_doc_root == handlers
    assert load_config(ws_doc_root=handlers).ws_doc_root == handlers


@pytest.mark.parametrize(
    ("data", "fragment"),
    [
        ({"ws_doc_root": "missing"}, "ws_doc_root: the WebSocket document root"),
        ({"ws_doc_root": 5}, "ws_doc_root: expected a path string or null, got 5"),
        ({"wpt": {"enabled": "yes"}}, 'wpt.enabled: expected true or false, got "yes"'),
        ({"wpt": {"hosts": 1}}, "wpt.hosts: expected true or false or null, got 1"),
        ({"wpt": {"browser_host": "a b"}}, "wpt.browser_host: invalid host name 'a b'"),
        ({"wpt": {"alt_host": "x:80"}}, "wpt.alt_host: invalid host name"),
        ({"wpt": {"alt_host": "Web-Platform.test"}}, "wpt.alt_host: the alt host must differ"),
        ({"wpt": {"hostz": True}}, "wpt.hostz: unknown key (did you mean 'hosts'?)"),
    ],
)
def test_bad_settings_are_one_line_errors_naming_the_key(tmp_path: Path, data: dict, fragment: str) -> None:
    with pytest.raises(ConfigError) as info:
        load_config(write(tmp_path, data))
    assert fragment in str(info.value)
    assert "\n" not in str(info.value)


def test_missing_ws_doc_root_argument(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="--ws-doc-root: the WebSocket document root"):
        load_config(ws_doc_root=tmp_path / "missing")


def test_cli_reports_a_bad_ws_doc_root(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli_main(["serve", "--ws-doc-root", str(tmp_path / "missing")]) == 2
    assert "--ws-doc-root" in capsys.readouterr().err


def test_host_layout_shapes_follow_wptserve() -> None:
    layout = HostLayout.wpt()
    domains = layout.domains()
    assert set(domains) == {"", "alt"}
    assert domains[""][""] == "web-platform.test"
    assert domains[""]["天気の良い日"] == "xn--n8j6ds53lwwkrqhv28a.web-platform.test"
    assert domains["alt"]["élève.www"] == "xn--lve-6lad.www.not-web-platform.test"
    assert len(domains[""]) == 1 + 5 + 25
    assert layout.all_domains()[""]["nonexistent.nonexistent"] == "nonexistent.nonexistent.web-platform.test"
    assert len(layout.domains_set()) == 2 * 31


def test_host_layout_without_wpt_is_just_the_host() -> None:
    layout = HostLayout.from_config(load_config())
    assert layout.domains() == {"": {"": "localhost"}}
    assert layout.not_domains() == {"": {}}
    assert layout.resolves("localhost") and not layout.resolves("www.localhost")
    assert not layout.resolves("\udcff.invalid")
