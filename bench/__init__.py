"""Benchmarks of stash-harness against wptserve and pywebsocket3 (``python3 dev.py bench``)."""
