"""An Autobahn-style RFC 6455 / RFC 7692 conformance catalogue, run over WS, WSS and a reference server."""
