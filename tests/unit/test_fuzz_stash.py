"""Property-based fuzzing of the Stash API over LocalBackend, and a model-based state machine."""

from __future__ import annotations

import copy
import math
import threading
import uuid

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from harness.stash import LocalBackend, Stash, StashError
from harness.stash.keys import normalize_key, normalize_path

ALLOWED = (ValueError, TypeError, StashError)
FUZZ = settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def uuid_spellings(value: uuid.UUID) -> st.SearchStrategy[object]:
    canonical = str(value)
    return st.sampled_from(
        [
            value,
            canonical,
            canonical.upper(),
            value.hex,
            value.hex.upper(),
            "{" + canonical + "}",
            value.urn,
            "urn:uuid:" + canonical.upper(),
            canonical.encode(),
            canonical.upper().encode(),
        ]
    )


keys = st.one_of(
    st.uuids().flatmap(uuid_spellings),
    st.text(max_size=80),
    st.binary(max_size=80),
    st.text(alphabet="0123456789abcdefABCDEF-{}urn:id", max_size=50),
    st.none(),
    st.integers(),
    st.floats(),
    st.lists(st.integers(), max_size=2),
    st.builds(bytearray, st.binary(max_size=40)),
)
paths = st.one_of(
    st.none(),
    st.text(max_size=30),
    st.binary(max_size=30),
    st.sampled_from(["/a.py", b"/a.py", "/\u00e9", b"\xff\xfe", ""]),
    st.integers(),
    st.floats(),
    st.lists(st.text(max_size=3), max_size=2),
)
plain_values = st.recursive(
    st.one_of(
        st.none(),
        st.booleans(),
        st.integers(),
        st.floats(allow_nan=False),
        st.text(max_size=20),
        st.binary(max_size=20),
    ),
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.tuples(children, children),
        st.dictionaries(st.text(max_size=5), children, max_size=4),
        st.frozensets(st.integers(), max_size=4),
    ),
    max_leaves=12,
)
unpicklable = st.sampled_from([lambda: 1, threading.Lock(), (x for x in ()), [threading.Event()]])
values = st.one_of(plain_values, unpicklable)
timeouts = st.one_of(
    st.none(),
    st.floats(),
    st.integers(min_value=-(10**400), max_value=10**400),
    st.integers(min_value=-5, max_value=5),
    st.booleans(),
    st.text(max_size=3),
    st.sampled_from([math.inf, -math.inf, math.nan, 0, 0.0, -0.0, 1e-300, 1e300]),
)


def normalizes(function, argument) -> bool:
    try:
        function(argument)
    except ALLOWED:
        return False
    return True


@FUZZ
@given(key=keys, value=values, path=paths, timeout=timeouts)
# A timeout too large for a float leaked OverflowError out of take() (normalize_timeout's float()).
@example(key=str(uuid.UUID(int=1)), value=1, path="/a.py", timeout=10**400)
def test_put_and_take_raise_only_documented_errors(key: object, value: object, path: object, timeout: object) -> None:
    stash = Stash("/default.py", backend=LocalBackend())
    try:
        stash.put(key, value, path=path)  # type: ignore[arg-type]
    except ALLOWED:
        stored = False
    else:
        stored = True
    assert len(stash.entries()) == int(stored), "a put that raised stored nothing; one that returned stored one value"
    if not stored:
        # Nothing to take, and a valid timeout would wait: take without one.
        try:
            assert stash.take(key, path=path) is None  # type: ignore[arg-type]
        except ALLOWED:
            pass
        return
    try:
        taken = stash.take(key, path=path, timeout=timeout)  # type: ignore[arg-type]
    except ALLOWED:
        # A bad timeout is refused before anything is taken.
        assert stash.take(key, path=path) == value  # type: ignore[arg-type]
    else:
        assert taken == value
    assert stash.entries() == []


@FUZZ
@given(key=keys, path=paths)
def test_take_of_an_empty_stash_is_none_or_a_documented_error(key: object, path: object) -> None:
    stash = Stash("/default.py", backend=LocalBackend())
    message = None
    try:
        assert stash.take(key, path=path, timeout=0) is None  # type: ignore[arg-type]
    except ALLOWED as error:
        message = str(error)
    assert message is None or message, "errors explain themselves"


@FUZZ
@given(key=st.one_of(keys, st.text(alphabet="*?[]!-abc0123456789", max_size=10)), path=paths)
def test_entries_and_at_raise_only_documented_errors(key: object, path: object) -> None:
    stash = Stash("/default.py", backend=LocalBackend())
    stash.put(uuid.UUID(int=7), "x", path="/a.py")
    try:
        listed = stash.entries(key=key, path="*" if path is None else path)  # type: ignore[arg-type]
    except ALLOWED:
        pass
    else:
        assert all(entry.key == str(uuid.UUID(int=7)) for entry in listed)
    try:
        view = stash.at(path)  # type: ignore[arg-type]
    except ALLOWED:
        pass
    else:
        assert view.default_path == normalize_path(path)
        assert view.backend is stash.backend


@FUZZ
@given(st.uuids(), st.data())
def test_every_spelling_reaches_the_same_entry(value: uuid.UUID, data: st.DataObject) -> None:
    stash = Stash("/a.py", backend=LocalBackend())
    put_as = data.draw(uuid_spellings(value))
    take_as = data.draw(uuid_spellings(value))
    stash.put(put_as, "v")
    with pytest.raises(StashError):
        stash.put(take_as, "again")
    assert stash.take(take_as) == "v"
    assert stash.take(put_as) is None


# -- the stash against a dict --------------------------------------------------------------

MODEL_KEYS = [uuid.UUID(int=n) for n in (1, 2, 3)]
MODEL_PATHS = ["/a.py", b"/a.py", "/b.py", "/\u00e9.py", "/\u00e9.py".encode()]
model_values = st.one_of(
    st.sampled_from([0, 0.0, False, "", b"", [], {}, ()]),
    plain_values.filter(lambda value: value is not None),
)


class StashModel(RuleBasedStateMachine):
    """Stash put/take/entries/lock compared with a dict and a flag, over one LocalBackend."""

    @initialize()
    def start(self) -> None:
        self.stash = Stash("/a.py", backend=LocalBackend())
        self.model: dict[tuple[str, str], object] = {}
        self.lock_held = False

    @staticmethod
    def slot(key: uuid.UUID, path: object) -> tuple[str, str]:
        return (normalize_path("/a.py" if path is None else path), normalize_key(key))

    @rule(
        key=st.sampled_from(MODEL_KEYS).flatmap(uuid_spellings),
        path=st.sampled_from([None, *MODEL_PATHS]),
        value=model_values,
    )
    def put(self, key: object, path: object, value: object) -> None:
        slot = self.slot(uuid.UUID(normalize_key(key)), path)
        original = copy.deepcopy(value)
        if slot in self.model:
            with pytest.raises(StashError, match="already holds a value"):
                self.stash.put(key, value, path=path)  # type: ignore[arg-type]
        else:
            self.stash.put(key, value, path=path)  # type: ignore[arg-type]
            self.model[slot] = original
        if isinstance(value, list):
            value.append("mutated after put")  # the stash keeps a copy

    @rule(key=st.sampled_from(MODEL_KEYS).flatmap(uuid_spellings), path=st.sampled_from(MODEL_PATHS))
    def put_none(self, key: object, path: object) -> None:
        with pytest.raises(ValueError, match="cannot stash None"):
            self.stash.put(key, None, path=path)  # type: ignore[arg-type]

    @rule(
        key=st.sampled_from(MODEL_KEYS).flatmap(uuid_spellings),
        path=st.sampled_from([None, *MODEL_PATHS]),
        timeout=st.sampled_from([None, 0, 0.0]),
    )
    def take(self, key: object, path: object, timeout: float | None) -> None:
        slot = self.slot(uuid.UUID(normalize_key(key)), path)
        taken = self.stash.take(key, path=path, timeout=timeout)  # type: ignore[arg-type]
        expected = self.model.pop(slot, None)
        assert taken == expected
        assert type(taken) is type(expected)

    @rule(key=st.sampled_from(MODEL_KEYS), path=st.sampled_from(MODEL_PATHS))
    def take_through_a_view(self, key: uuid.UUID, path: object) -> None:
        taken = self.stash.at(path).take(key.hex.upper())  # type: ignore[arg-type]
        assert taken == self.model.pop(self.slot(key, path), None)

    @rule(path=st.sampled_from(["*", "/a.py", "/b.py", "/\u00e9.py", "/[ab].py", "/nope"]))
    def entries_by_path(self, path: str) -> None:
        import fnmatch

        listed = {(entry.path, entry.key) for entry in self.stash.entries(path=path)}
        assert listed == {slot for slot in self.model if fnmatch.fnmatchcase(slot[0], path)}

    @rule(key=st.sampled_from(MODEL_KEYS))
    def entries_by_key(self, key: uuid.UUID) -> None:
        listed = {(entry.path, entry.key) for entry in self.stash.entries(key=str(key).upper())}
        assert listed == {slot for slot in self.model if slot[1] == str(key)}

    @precondition(lambda self: not self.lock_held)
    @rule()
    def acquire(self) -> None:
        assert self.stash.lock.acquire(blocking=False) is True
        self.lock_held = True

    @precondition(lambda self: self.lock_held)
    @rule()
    def acquire_again(self) -> None:
        with pytest.raises(StashError, match="not reentrant"):
            self.stash.lock.acquire(timeout=0)

    @rule()
    def release(self) -> None:
        if self.lock_held:
            self.stash.lock.release()
            self.lock_held = False
        else:
            with pytest.raises(StashError, match="not held"):
                self.stash.lock.release()

    @invariant()
    def listing_matches_the_model(self) -> None:
        assert {(entry.path, entry.key) for entry in self.stash.entries()} == set(self.model)

    @invariant()
    def lock_holder_matches_the_model(self) -> None:
        holder = self.stash.backend.store.lock_holder()  # type: ignore[attr-defined]
        assert (holder is not None) == self.lock_held


StashModel.TestCase.settings = settings(
    max_examples=60, stateful_step_count=30, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
TestStashModel = StashModel.TestCase
