"""RFC 6455 / RFC 7692 conformance: each catalogue case over WS, WSS and a websockets reference.

The case id says what is tested; its ``requirement`` (shown on failure) names the RFC section.
The reference run shows the expected outcomes are the ones a widely used implementation
gives: a case that the reference fails would be a wrong case, not a server fault.
"""

from __future__ import annotations

import pytest

from .cases import CASES, Case
from .conftest import Target


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_conformance(target: Target, case: Case) -> None:
    client = target.connect(case.extensions)
    try:
        if target.name == "reference" and case.reference_differs:
            # The reference gives another outcome here, for the reason the case states.
            with pytest.raises((AssertionError, TimeoutError)):
                case.run(client)
            return
        try:
            case.run(client)
        except AssertionError as failure:
            raise AssertionError(f"{case.id} (RFC: {case.requirement}) on {target.name}: {failure}") from None
    finally:
        client.close()


def test_the_catalogue_is_large_enough() -> None:
    assert len(CASES) >= 150
