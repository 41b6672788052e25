"""``wptserve.pipes``: ``template`` (``.sub.`` substitution) and the pipe functions."""

from __future__ import annotations

from harness.wpt.pipes import PIPES, PipeError, apply_pipes, parse_pipes, resolve_content
from harness.wpt.sub import SubstitutionError, template

__all__ = ["PIPES", "PipeError", "SubstitutionError", "apply_pipes", "parse_pipes", "resolve_content", "template"]
