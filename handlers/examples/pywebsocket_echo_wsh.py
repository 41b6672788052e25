# examples/pywebsocket_echo_wsh.py: a wpt-style handler at ws[s]://.../examples/pywebsocket_echo
from mod_pywebsocket import common


def web_socket_do_extra_handshake(request):
    if "echo" in (request.ws_requested_protocols or []):
        request.ws_protocol = "echo"  # else leave it None: offering others is then a 400


def web_socket_transfer_data(request):
    while (message := request.ws_stream.receive_message()) is not None:
        request.ws_stream.send_message(message, binary=isinstance(message, bytes))


def web_socket_passive_closing_handshake(request):
    if request.ws_close_code == common.STATUS_NO_STATUS_RECEIVED:
        return None, ""  # an empty close frame gets an empty one back
    return request.ws_close_code, request.ws_close_reason
