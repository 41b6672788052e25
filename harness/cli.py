"""The ``harness`` command.

``harness serve`` starts the stash and the HTTP, HTTPS, WS and WSS servers on the embedded
``config.json`` (or ``--config``), prints their URLs and serves until SIGINT or SIGTERM.
``harness config`` prints the configuration ``serve`` would use (the embedded defaults with
``--config`` and ``--doc-root`` applied), or with ``--embedded`` the embedded file itself.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import logging
import os
import sys
from collections.abc import Sequence

from . import __version__
from .config import ConfigError, config_to_json, default_config_path, load_config
from .stash.url import harness_backend_problem, redact_url

__all__ = ["main"]


class _Formatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        name = record.name.removeprefix("harness.").removeprefix("harness")
        record.short_name = f"harness[{name}]" if name else "harness"
        return super().format(record)


def setup_logging(level: str) -> None:
    """Log to stderr as ``HH:MM:SS harness[https] WARNING: ...``."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(_Formatter("%(asctime)s %(short_name)s %(levelname)s: %(message)s", "%H:%M:%S"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.WARNING)
    logging.getLogger("harness").setLevel(level.upper())


def _live_pid(text: str) -> int:
    """``--exit-with-pid``: a positive pid of a process that exists now."""
    try:
        pid = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a process id") from None
    if pid <= 0:
        raise argparse.ArgumentTypeError(f"{pid} is not a process id (it must be a positive number)")
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        raise argparse.ArgumentTypeError(f"no process {pid} is running") from None
    except PermissionError:
        pass  # it exists, owned by another user: it can still be watched
    return pid


_SERVE_EXAMPLES = """\
examples:
  harness serve                                  serve the embedded config.json and handlers
  harness serve --doc-root=site                  serve handler files from ./site
  harness serve --config=my.json --state-file=run/state.json
                                                 custom ports/limits; tests attach with
                                                 pytest --harness-attach=run/state.json
"""

_CONFIG_EXAMPLES = """\
examples:
  harness config                       the configuration `harness serve` would use
  harness config --config=my.json      ... with my.json's overrides applied
  harness config --embedded > my.json  a copy of the embedded defaults to edit
"""


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="harness",
        description="HTTP, HTTPS, WS and WSS test servers sharing one stash.",
        epilog="Run `harness COMMAND --help` for a command's options and examples.",
    )
    parser.add_argument("--version", action="version", version=f"stash-harness {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    serve = commands.add_parser(
        "serve",
        help="start the harness and serve until SIGINT/SIGTERM",
        description="Start the stash and the HTTP, HTTPS, WS and WSS servers, print their URLs, the "
        "document root and the CA certificate to trust, and serve until SIGINT or SIGTERM.",
        epilog=_SERVE_EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _add_config_options(serve)
    serve.add_argument("--state-file", metavar="PATH", help="write URLs, CA path and stash config here (mode 0600)")
    serve.add_argument(
        "--stash",
        metavar="URL",
        help="stash backend: manager (default), redis://[user:password@]host:port/db, rediss://..., "
        "unix:///path/redis.sock, or env (join the run HARNESS_STASH_CONFIG names)",
    )
    serve.add_argument("--log-level", choices=("debug", "info", "warning", "error"), help="override log_level")
    serve.add_argument(
        "--test-clock",
        action="store_true",
        help="let tests advance the stash clock to expire TTLs at once (sets stash.test_clock)",
    )
    serve.add_argument(
        "--exit-with-pid",
        metavar="PID",
        type=_live_pid,
        help="stop when process PID exits (a test runner that starts the harness passes its own pid)",
    )
    config = commands.add_parser(
        "config",
        help="print the configuration (JSON) that serve would use",
        description="Print, as JSON, the configuration `harness serve` would use with the same options.",
        epilog=_CONFIG_EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _add_config_options(config)
    config.add_argument("--embedded", action="store_true", help="print the embedded config.json as it is")
    return parser


def _add_config_options(command: argparse.ArgumentParser) -> None:
    command.add_argument("--config", metavar="PATH", help="a JSON file overriding the embedded config.json")
    command.add_argument("--doc-root", metavar="DIR", help="serve handlers and files from DIR")
    command.add_argument(
        "--ws-doc-root", metavar="DIR", help="find WebSocket handlers (NAME_wsh.py) in DIR instead of the doc root"
    )
    command.add_argument(
        "--wpt",
        action="store_true",
        help="wpt mode: WebSocket handlers from DOC_ROOT/websockets/handlers, wpt's host names on loopback",
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    parser = _parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 0
    if args.command == "config" and args.embedded:
        sys.stdout.write(default_config_path().read_text(encoding="utf-8"))
        return 0
    try:
        config = load_config(args.config, doc_root=args.doc_root, ws_doc_root=args.ws_doc_root, wpt=args.wpt)
    except ConfigError as exc:
        print(f"harness: error: {exc}", file=sys.stderr)
        return 2
    if args.command == "config":
        data = config_to_json(config)
        stash = data.get("stash")
        if isinstance(stash, dict) and isinstance(stash.get("backend"), str):
            stash["backend"] = redact_url(stash["backend"])  # a Redis password is not printed
        print(json.dumps(data, indent=2))
        return 0
    if args.log_level:
        config = config.replace(log_level=args.log_level)
    if args.stash:
        config = config.replace(stash=dataclasses.replace(config.stash, backend=args.stash))
    problem = harness_backend_problem(config.stash.backend)
    if problem:
        where = "--stash" if args.stash else "stash.backend"
        print(f"harness: error: {where}: {problem}", file=sys.stderr)
        return 2
    if args.test_clock:
        config = config.replace(stash=dataclasses.replace(config.stash, test_clock=True))
    setup_logging(config.log_level)
    from .run.supervisor import Supervisor

    return Supervisor(config, state_file=args.state_file, exit_with_pid=args.exit_with_pid).run()


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
