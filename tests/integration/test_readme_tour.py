"""The README's five-minute tour works as written."""

from __future__ import annotations

import shutil
import subprocess
import uuid

import pytest
import requests
from websockets.sync.client import connect

from harness.run.launcher import HarnessProcess
from harness.run.tls import client_context
from tests.support import REPO, readme_block


@pytest.fixture(scope="module")
def tour(tmp_path_factory: pytest.TempPathFactory):
    root = tmp_path_factory.mktemp("tour")
    for name in ("beacon.py", "wait_wsh.py"):
        shutil.copy(REPO / "handlers" / "examples" / name, root / name)
    process = HarnessProcess(doc_root=root, workdir=tmp_path_factory.mktemp("tour-run"))
    try:
        yield process.start()
    finally:
        process.close()


@pytest.mark.parametrize("name", ["beacon.py", "wait_wsh.py"])
def test_the_shipped_handlers_are_the_readme_handlers(name: str) -> None:
    assert readme_block(f"# tour/{name}") == (REPO / "handlers" / "examples" / name).read_text()


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed (the tour uses it)")
def test_curl_put_and_take_over_https(tour) -> None:
    key = str(uuid.uuid4())
    base = tour.urls["https"]
    stored = subprocess.run(
        [
            "curl",
            "-sS",
            "--cacert",
            tour.ca_cert,
            "-X",
            "POST",
            "--data",
            "hello over https",
            f"{base}/beacon.py?id={key}",
        ],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert stored.stdout == "stored"
    taken = subprocess.run(
        ["curl", "-sS", "--cacert", tour.ca_cert, f"{base}/beacon.py?id={key}"],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert taken.stdout == "hello over https"


def test_put_over_https_take_over_wss(tour) -> None:
    key = str(uuid.uuid4())
    with connect(f"{tour.urls['wss']}/wait?id={key}", ssl=client_context(tour.ca_cert)) as ws:
        requests.post(
            f"{tour.urls['https']}/beacon.py?id={key}", data=b"across protocols", verify=tour.ca_cert, timeout=30
        )
        assert ws.recv(timeout=30) == b"across protocols"
