"""The HTTP application: a :class:`Request` in, a filled :class:`Response` out.

It knows the document root and the handler conventions, and nothing of sockets: the
transport (:mod:`harness.http.server`) parses bytes into the request and writes the response.
"""

from __future__ import annotations

import logging

from ..http.request import HTTPException, Request
from ..http.response import ClientDisconnected, Response
from ..http.returns import UnsupportedReturn, apply_return_value
from ..http.server import HandlerTimeout
from ..wpt.asis import serve_asis
from ..wpt.pipes import PipeError, apply_pipes, pipe_string_for
from ..wpt.routes import default_script, is_script_route
from ..wpt.sub import SubstitutionError, template
from .context import ServerContext, handling
from .docroot import DocRoot, PathRefused, Target
from .loader import HandlerCache, HandlerLoadError, format_exception
from .locals import responding
from .stash_endpoint import serve_stash_endpoint
from .static import serve_directory, serve_file

__all__ = ["HTTPApp"]


class HTTPApp:
    """Routes a request to a handler file, a static file or a directory."""

    def __init__(
        self, context: ServerContext, docroot: DocRoot, handlers: HandlerCache, logger: logging.Logger
    ) -> None:
        self.context = context
        self.docroot = docroot
        self.handlers = handlers
        self.logger = logger

    def handle(self, request: Request, response: Response) -> None:
        """Fill ``response`` for ``request``. Never raises for a handler's fault."""
        self.context.attach(request)
        if request.url_parts.path.startswith("/harness/") and serve_stash_endpoint(request, response, self.context):
            return
        try:
            target = self.docroot.resolve_http(request.url_parts.path)
        except PathRefused as refused:
            if refused.suspicious:
                self.logger.warning(
                    "refused %s %s from %s: %s", request.method, request.request_path, request.client_address, refused
                )
            response.set_error(refused.status, refused.message)
            return
        response.request = request
        if target.kind != "handler" and is_script_route(target.url_path):
            target = self._script_target(target)
        if target.kind == "handler":
            self._run_handler(target, request, response)
        elif target.kind == "directory":
            serve_directory(request.method, target.url_path, target.fs_path, response)
        elif target.fs_path.endswith(".asis"):
            serve_asis(request.method, target.fs_path, response)
        else:
            self._serve_file(target, request, response)

    def _script_target(self, target: Target) -> Target:
        """A wpt script route: the file runs as Python; a directory runs its ``default*.py``."""
        if target.kind == "file":
            return Target("handler", target.fs_path, target.url_path, target.stat)
        if target.kind == "directory":
            script = default_script(target.fs_path)
            if script is not None:
                return Target("handler", script, target.url_path)
        return target

    def _serve_file(self, target: Target, request: Request, response: Response) -> None:
        def substitute(data: bytes) -> bytes:
            return template(request, data, escape_type="none")

        try:
            serve_file(
                request.method,
                request.headers.get(b"range"),
                target.fs_path,
                response,
                target.stat,
                substitute=substitute,
            )
            if response.status[0] < 400:
                self._pipes(target.fs_path, request, response)
        except (PipeError, SubstitutionError) as exc:
            self._fail(request, response, f"{target.url_path}: {exc}", "")

    def _pipes(self, path: str, request: Request, response: Response) -> None:
        """Apply ``.sub.`` (for ``path``) and ``?pipe=``, as wptserve does after a handler or file."""
        pipes = pipe_string_for(path, request.url_parts.query)
        if pipes and not response.writer_used:
            apply_pipes(pipes, request, response)

    def _fail(self, request: Request, response: Response, summary: str, details: str) -> None:
        self.logger.error("%s %s: %s\n%s", request.method, request.url, summary, details.rstrip())
        if response.writer_used:
            response.close_connection = True
            return
        response.set_error(500, f"Internal server error loading {request.url}:\n{summary}\n{details}")

    def _run_handler(self, target: Target, request: Request, response: Response) -> None:
        try:
            main = self.handlers.load_main(target.fs_path, st=target.stat)
        except HandlerLoadError as exc:
            self._fail(request, response, exc.message, exc.details)
            return
        try:
            with handling(request), responding(response):
                value = main(request, response)
                if not response.writer_used:
                    if value is not None:
                        apply_return_value(response, value)
                        # wptserve's function handler pipes a returned response once, and its
                        # script handler pipes every response again: both are kept.
                        self._pipes("", request, response)
                    self._pipes(target.fs_path, request, response)
        except HTTPException as exc:
            if response.writer_used:
                response.close_connection = True
            else:
                response.set_error(exc.code, exc.message if exc.message is not None else "")
        except (UnsupportedReturn, PipeError) as exc:
            self._fail(request, response, f"handler {target.url_path}: {exc}", "")
        except (ClientDisconnected, HandlerTimeout):
            raise
        except SystemExit as exc:
            self._fail(
                request, response, f"handler {target.url_path} called sys.exit({exc.code!r}); the server goes on", ""
            )
        except Exception as exc:  # noqa: BLE001 - any handler fault becomes a 500
            self._fail(
                request,
                response,
                f"handler {target.url_path} raised {type(exc).__name__}: {exc}",
                format_exception(exc),
            )
