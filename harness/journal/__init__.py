"""The request journal: every request and WebSocket connection the servers answered.

Each server process appends one JSON line per request or connection to its own file in the
run's journal directory (:mod:`.writer`); any process reads them all (:mod:`.reader`). The
journal is bounded: each process keeps at most two files of :data:`~.writer.MAX_FILE_BYTES`.

>>> journal = RequestJournal(Path(state.run_dir) / "journal")      # doctest: +SKIP
>>> journal.wait_for(path="/beacon.py", method="POST", timeout=5)   # doctest: +SKIP
JournalEntry(scheme='https', method='POST', target='/beacon.py?id=...', status=204, ...)
"""

from .reader import JournalEntry, RequestJournal
from .writer import JOURNAL_ENV_VAR, TEST_COOKIE, TEST_HEADER, journal_directory

__all__ = ["JOURNAL_ENV_VAR", "TEST_COOKIE", "TEST_HEADER", "JournalEntry", "RequestJournal", "journal_directory"]
