"""Running web-platform-tests handler trees: wptserve's and pywebsocket's surfaces, wpt's hosts."""
