"""Default path scoping: the handler of /conformance/a.py, served at /conformance/b.py.

Its default stash path is its own URL path, so it does not see what a.py put.
"""

from conformance.a import main  # noqa: F401 - the doc root is on sys.path, as in wptserve
