"""TLS for HTTPS and WSS: a CA and server certificate per run, SSL contexts, the SPKI pin.

With ``"tls": "auto"`` each run makes a fresh CA (trustme) and a certificate for the
configured host names, written to the run directory; clients trust ``ca.pem`` (the pytest
plugin gives Chromium the CA as a root). :func:`spki_pin` is the base64 SHA-256 of the server
certificate's SubjectPublicKeyInfo, for Chromium's ``--ignore-certificate-errors-spki-list``
where a CA cannot be installed.

>>> import pathlib, tempfile
>>> material = generate_tls(pathlib.Path(tempfile.mkdtemp()), ["localhost", "127.0.0.1"])
>>> server = server_ssl_context(material)                # what the HTTPS and WSS servers use
>>> client = client_context(material.ca_cert)            # what their clients trust
>>> client.verify_mode.name, client.check_hostname
('CERT_REQUIRED', True)
>>> len(spki_pin(material.cert_chain.read_bytes()))      # base64 of a SHA-256
44
"""

from __future__ import annotations

import base64
import hashlib
import os
import ssl
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from ..config import ConfigError, TLSFiles

__all__ = ["TLSMaterial", "client_context", "generate_tls", "load_tls", "server_ssl_context", "spki_pin"]


@dataclass(frozen=True)
class TLSMaterial:
    """Files for one run's TLS: the server's chain and key, and the CA clients trust."""

    cert_chain: Path
    key: Path
    ca_cert: Path


def generate_tls(directory: Path, hostnames: Sequence[str]) -> TLSMaterial:
    """Make a new CA and a server certificate for ``hostnames`` in ``directory``."""
    import trustme  # imported here: only runs with "tls": "auto" pay for it

    authority = trustme.CA(organization_name="stash-harness run CA")
    issued = authority.issue_cert(*hostnames, common_name=hostnames[0])
    material = TLSMaterial(directory / "server.pem", directory / "server.key", directory / "ca.pem")
    _write(material.cert_chain, b"".join(blob.bytes() for blob in issued.cert_chain_pems), 0o644)
    _write(material.key, issued.private_key_pem.bytes(), 0o600)
    _write(material.ca_cert, authority.cert_pem.bytes(), 0o644)
    return material


def _write(path: Path, data: bytes, mode: int) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, mode)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)


def load_tls(files: TLSFiles) -> TLSMaterial:
    """Check a user's certificate, key and CA; :class:`ConfigError` names the bad one."""
    material = TLSMaterial(files.cert, files.key, files.ca_cert)
    try:
        server_ssl_context(material)
    except (ssl.SSLError, OSError) as exc:
        raise ConfigError(f"tls.cert / tls.key: cannot load the certificate and key: {exc}") from None
    try:
        client_context(files.ca_cert)
    except (ssl.SSLError, OSError) as exc:
        raise ConfigError(f"tls.ca_cert: cannot load the CA certificate: {exc}") from None
    return material


def server_ssl_context(material: TLSMaterial) -> ssl.SSLContext:
    """An SSL context serving the run's certificate (TLS 1.2 and later)."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.load_cert_chain(material.cert_chain, material.key)
    # No TLS 1.3 session tickets. A ticket arrives after the handshake; a client whose reader
    # thread processes it while another thread writes (websockets' sync client does this)
    # races inside OpenSSL, and about 1% of its WSS handshakes stalled until timeout.
    # Resumption buys nothing on loopback.
    context.num_tickets = 0
    return context


def client_context(ca_cert: str | os.PathLike[str]) -> ssl.SSLContext:
    """An SSL context for clients that trusts only the run's CA (hostnames checked).

    For example ``websockets.sync.client.connect(url, ssl=client_context(ca_path))``.
    """
    return ssl.create_default_context(cafile=os.fspath(ca_cert))


def spki_pin(cert_pem: bytes) -> str:
    """Base64 SHA-256 of a certificate's SubjectPublicKeyInfo (the first in ``cert_pem``)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization

    certificate = x509.load_pem_x509_certificate(cert_pem)
    spki = certificate.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return base64.b64encode(hashlib.sha256(spki).digest()).decode("ascii")
