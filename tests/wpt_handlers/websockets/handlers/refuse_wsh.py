# ?how=handshake raises HandshakeException, ?how=error a ValueError, ?how=abort drops the
# connection with no response; anything else is accepted.
from urllib.parse import parse_qs, urlsplit

from mod_pywebsocket import handshake
from mod_pywebsocket.handshake import AbortedByUserException


def web_socket_do_extra_handshake(request):
    how = parse_qs(urlsplit(request.ws_resource).query).get("how", [""])[0]
    if how == "handshake":
        raise handshake.HandshakeException("not today", 404)
    if how == "error":
        raise ValueError("the handler refuses")
    if how == "abort":
        raise AbortedByUserException("dropped on purpose")


def web_socket_transfer_data(request):
    request.ws_stream.send_message("accepted")
