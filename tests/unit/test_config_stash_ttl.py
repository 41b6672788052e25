"""The stash.default_ttl and stash.test_clock settings, and `harness serve --test-clock`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from harness.config import ConfigError, load_config


def write(tmp_path: Path, stash: dict) -> Path:
    path = tmp_path / "config.json"
    path.write_text(json.dumps({"stash": stash}))
    return path


def test_defaults_never_expire_and_keep_the_clock_still() -> None:
    config = load_config()
    assert config.stash.default_ttl is None
    assert config.stash.test_clock is False


def test_a_default_ttl_and_the_test_clock_can_be_set(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, {"default_ttl": 300, "test_clock": True}))
    assert config.stash.default_ttl == 300.0
    assert config.stash.test_clock is True
    assert config.stash.max_value_bytes == load_config().stash.max_value_bytes


@pytest.mark.parametrize(
    ("stash", "fragment"),
    [
        ({"default_ttl": 0}, "stash.default_ttl: must be greater than 0"),
        ({"default_ttl": -5}, "stash.default_ttl: must be greater than 0"),
        ({"default_ttl": "1h"}, "stash.default_ttl: expected a number or null"),
        ({"test_clock": "yes"}, "stash.test_clock: expected true or false"),
    ],
)
def test_bad_settings_name_the_key(tmp_path: Path, stash: dict, fragment: str) -> None:
    with pytest.raises(ConfigError, match=fragment):
        load_config(write(tmp_path, stash))
