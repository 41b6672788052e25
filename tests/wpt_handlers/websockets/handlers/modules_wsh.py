# Reports which modules the pywebsocket names resolve to in the server process.
import json

import mod_pywebsocket
import pywebsocket3
from mod_pywebsocket import common, msgutil, stream, util  # noqa: F401
from mod_pywebsocket.handshake import AbortedByUserException, hybi
from pywebsocket3 import handshake


def web_socket_do_extra_handshake(request):
    pass


def web_socket_transfer_data(request):
    report = {
        "pywebsocket3": pywebsocket3.__name__,
        "same": pywebsocket3 is mod_pywebsocket,
        "msgutil": msgutil.__name__,
        "aborted_is_shared": handshake.AbortedByUserException is AbortedByUserException,
        "accept": hybi.compute_accept(b"dGhlIHNhbXBsZSBub25jZQ==").decode(),
    }
    request.ws_stream.send_message(json.dumps(report))
