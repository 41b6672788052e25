# Reports the handshake as a pywebsocket handler sees it, and adds a header to the 101.
import json

from mod_pywebsocket import msgutil


def web_socket_do_extra_handshake(request):
    request.extra_headers.append(("X-Handshake", "seen"))


def web_socket_transfer_data(request):
    report = {
        "x_test": request.headers_in.get("x-test"),
        "x_test_upper": request.headers_in["X-TEST"],
        "host": request.headers_in.get("Host"),
        "origin": request.ws_origin,
        "resource": request.ws_resource,
        "uri": request.uri,
        "unparsed_uri": request.unparsed_uri,
        "requested_protocols": request.ws_requested_protocols,
        "version": request.ws_version,
        "https": request.is_https(),
        "close_code": request.ws_close_code,
        "query_a": request.GET.first(b"a", b"").decode(),
    }
    msgutil.send_message(request, json.dumps(report))
    msgutil.receive_message(request)
