"""Optional C2PA content credentials: when the operator supplies a signing certificate (``MURALIST_C2PA_CERT``, a PEM
chain of the signing certificate and its CA) and its key (``MURALIST_C2PA_KEY``), every delivered PNG carries a signed
C2PA manifest saying it was made by muralist with a trained model ("trainedAlgorithmicMedia"), which model, and the
job. It is added after the invisible mark, to the encoded PNG, so the PNG text chunks stay.

c2pa-python is loaded only when signing is configured or a picture is read for `/verify`, and only here (never in a
chat adapter). Signing is offline: no timestamp authority unless ``MURALIST_C2PA_TSA_URL`` names one. No thumbnail is
embedded (a second, visible copy of the picture would only grow the file).

A certificate that cannot sign stops the worker at start-up (:func:`load_signer`): an operator who asked for
credentials never gets silently unsigned pictures. One picture that fails to sign is still delivered (it keeps its
mark) and its record says why.
"""

from __future__ import annotations

import io
import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from core import __version__

log = logging.getLogger(__name__)

CERT_SETTING = "MURALIST_C2PA_CERT"
KEY_SETTING = "MURALIST_C2PA_KEY"
GENERATOR = "muralist"
TRAINED_ALGORITHMIC_MEDIA = "http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia"
JOB_ID_PARAMETER = "org.muralist.job_id"
SIGNED = "signed"
# Validation failures that say nothing about this picture: no trust list is configured here, so every signer is
# "untrusted" to the library; the answer names the signer instead and lets the reader judge.
_NOT_A_DEFECT = frozenset({"signingCredential.untrusted"})
_TAMPERED = frozenset({"assertion.dataHash.mismatch", "assertion.boxesHash.mismatch", "assertion.bmffHash.mismatch"})
_FORMATS = ((b"\x89PNG\r\n\x1a\n", "image/png"), (b"\xff\xd8\xff", "image/jpeg"))


class CredentialsUnusable(Exception):
    """The operator's certificate or key cannot sign; the message is one sentence naming the setting to fix."""


def _c2pa() -> Any:
    import c2pa  # lazily: a 23 MB native library that only signing workers and /verify need

    return c2pa


def _key(key_pem: bytes) -> tuple[str, bytes]:
    """C2PA's name for the key's signature algorithm (ES256 for the usual ECDSA P-256 key), and the key as PKCS#8 —
    the only PEM form the library reads, while ``openssl ecparam -genkey`` writes SEC1 ("EC PRIVATE KEY")."""
    from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
    from cryptography.hazmat.primitives.serialization import (
        Encoding,
        NoEncryption,
        PrivateFormat,
        load_pem_private_key,
    )

    try:
        key = load_pem_private_key(key_pem, password=None)
    except (ValueError, TypeError) as exc:
        raise CredentialsUnusable(f"{KEY_SETTING} is not an unencrypted PEM private key ({exc}).") from None
    pkcs8 = key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption())
    if isinstance(key, ec.EllipticCurvePrivateKey):
        curves = {"secp256r1": "es256", "secp384r1": "es384", "secp521r1": "es512"}
        if key.curve.name not in curves:
            raise CredentialsUnusable(f"{KEY_SETTING} uses the curve {key.curve.name}; C2PA signs with P-256, P-384 "
                                      f"or P-521.")
        return curves[key.curve.name], pkcs8
    if isinstance(key, rsa.RSAPrivateKey):
        return "ps256", pkcs8
    if isinstance(key, ed25519.Ed25519PrivateKey):
        return "ed25519", pkcs8
    raise CredentialsUnusable(f"{KEY_SETTING} holds a kind of key C2PA cannot sign with (use ECDSA P-256).")


def _check_chain(chain_pem: bytes, key_pem: bytes, now: datetime) -> None:
    """The common mistakes, each named in words before the library's terser refusal: a self-signed certificate, one
    outside its validity, a key that is not the certificate's."""
    from cryptography import x509
    from cryptography.hazmat.primitives.serialization import load_pem_private_key

    try:
        chain = x509.load_pem_x509_certificates(chain_pem)
    except ValueError:
        raise CredentialsUnusable(f"{CERT_SETTING} holds no PEM certificate.") from None
    leaf = chain[0]
    if leaf.issuer == leaf.subject:
        raise CredentialsUnusable(f"The certificate in {CERT_SETTING} is self-signed; C2PA refuses that: use one "
                                  f"issued by a CA (a local CA works), followed by the CA's certificate.")
    if not leaf.not_valid_before_utc <= now <= leaf.not_valid_after_utc:
        raise CredentialsUnusable(f"The certificate in {CERT_SETTING} is valid only from "
                                  f"{leaf.not_valid_before_utc:%Y-%m-%d} to {leaf.not_valid_after_utc:%Y-%m-%d}.")
    public = load_pem_private_key(key_pem, password=None).public_key()
    if public != leaf.public_key():
        raise CredentialsUnusable(f"{KEY_SETTING} is not the private key of the first certificate in "
                                  f"{CERT_SETTING}.")


def _probe_png() -> bytes:
    """A tiny PNG to sign once at start-up: the library's own checks (extended key usage and the rest) run only
    when it signs."""
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (8, 8), (90, 120, 150)).save(buf, format="PNG")
    return buf.getvalue()


@dataclass(frozen=True)
class ContentSigner:
    """Signs encoded PNGs. The key stays out of ``repr`` (and so out of any log line that prints this)."""

    chain_pem: bytes = field(repr=False)
    key_pem: bytes = field(repr=False)
    algorithm: str = "es256"
    tsa_url: str | None = None

    def sign_png(self, png: bytes, job_id: str, model: str) -> bytes:
        """The PNG with a signed manifest added; raises on failure (the caller decides what that means)."""
        c2pa = _c2pa()
        signer = c2pa.Signer.from_info(c2pa.C2paSignerInfo(self.algorithm.encode(), self.chain_pem, self.key_pem,
                                                           self.tsa_url))
        settings = c2pa.Settings.from_dict({"builder": {"thumbnail": {"enabled": False}}})
        out = io.BytesIO()
        with signer, c2pa.Context(settings) as context, c2pa.Builder(_manifest(job_id, model), context) as builder:
            builder.sign(signer, "image/png", io.BytesIO(png), out)
        return out.getvalue()


def _manifest(job_id: str, model: str) -> dict[str, Any]:
    agent = {"name": GENERATOR, "version": __version__}
    return {
        "claim_generator_info": [agent],
        "title": f"muralist job {job_id}",
        "assertions": [{"label": "c2pa.actions", "data": {"actions": [{
            "action": "c2pa.created", "digitalSourceType": TRAINED_ALGORITHMIC_MEDIA, "softwareAgent": agent,
            "parameters": {"org.muralist.model": model, JOB_ID_PARAMETER: job_id}}]}}],
    }


def load_signer(cert: Path | None, key: Path | None, tsa_url: str | None = None,
                now: datetime | None = None) -> ContentSigner | None:
    """The worker's signer, or None when signing is not configured. Raises :class:`CredentialsUnusable` (one
    sentence naming the setting) for anything that would not sign — checked by signing a tiny picture once."""
    if cert is None and key is None:
        return None
    if cert is None or key is None:
        missing, given = (CERT_SETTING, KEY_SETTING) if cert is None else (KEY_SETTING, CERT_SETTING)
        raise CredentialsUnusable(f"{given} is set but {missing} is not: content credentials need both.")
    try:
        _c2pa()
    except ImportError:
        raise CredentialsUnusable(f"{CERT_SETTING} is set but c2pa-python is not installed: pip install "
                                  f"'muralist[c2pa]'.") from None
    chain_pem = _read(cert, CERT_SETTING)
    algorithm, key_pem = _key(_read(key, KEY_SETTING))
    _check_chain(chain_pem, key_pem, now or datetime.now(UTC))
    signer = ContentSigner(chain_pem, key_pem, algorithm, tsa_url)
    try:
        signer.sign_png(_probe_png(), "startup-check", "none")
    except Exception as exc:
        raise CredentialsUnusable(f"The certificate in {CERT_SETTING} cannot sign content credentials ({exc}); C2PA "
                                  f"needs a CA-issued ECDSA or RSA certificate with the digitalSignature key usage "
                                  f"and an extended key usage such as emailProtection or documentSigning.") from None
    return signer


def _read(path: Path, setting: str) -> bytes:
    try:
        return path.expanduser().read_bytes()
    except OSError as exc:
        raise CredentialsUnusable(f"{setting} names a file that cannot be read ({exc.strerror or exc}).") from None


@dataclass(frozen=True)
class Credentials:
    """A picture's C2PA manifest, as `/verify` reports it."""

    signer: str  # "CN=…" of the signing certificate
    generator: str | None  # the claim generator's name ("muralist" for pictures made here)
    job_id: str | None  # the muralist job, when the manifest names one
    problems: tuple[str, ...] = ()  # validation failure codes; empty when the manifest verifies

    @property
    def valid(self) -> bool:
        return not self.problems

    @property
    def tampered(self) -> bool:
        """The picture's bytes changed after signing (the manifest itself is intact)."""
        return any(code in _TAMPERED for code in self.problems)

    def summary(self) -> dict[str, object]:
        return {"signer": self.signer, "generator": self.generator, "job_id": self.job_id,
                "problems": list(self.problems)}


def read_credentials(data: bytes) -> Credentials | None:
    """The C2PA manifest a picture carries, validated; None when it carries none (or c2pa-python is missing — then
    `/verify` reads the mark alone)."""
    mime = next((m for magic, m in _FORMATS if data.startswith(magic)), None)
    if mime is None:
        return None
    try:
        c2pa = _c2pa()
    except ImportError:
        return None
    try:
        with c2pa.Reader(mime, io.BytesIO(data)) as reader:
            manifest = reader.get_active_manifest() or {}
            results = reader.get_validation_results() or {}
            state = reader.get_validation_state()
    except c2pa.C2paError as exc:
        if "ManifestNotFound" in type(exc).__name__ or "ManifestNotFound" in str(exc):
            return None
        return Credentials("?", None, None, (f"unreadable: {str(exc)[:120]}",))
    return _credentials(manifest, results, state)


def _credentials(manifest: dict[str, Any], results: dict[str, Any], state: str | None) -> Credentials:
    signature = manifest.get("signature_info") or {}
    generators = manifest.get("claim_generator_info") or [{}]
    job_id = None
    for assertion in manifest.get("assertions") or []:
        if str(assertion.get("label", "")).startswith("c2pa.actions"):
            for action in (assertion.get("data") or {}).get("actions") or []:
                job_id = job_id or (action.get("parameters") or {}).get(JOB_ID_PARAMETER)
    failures = [str(f.get("code")) for f in (results.get("activeManifest") or {}).get("failure") or []]
    problems = tuple(code for code in failures if code not in _NOT_A_DEFECT)
    if not problems and state == "Invalid":
        problems = ("invalid",)
    return Credentials(f"CN={signature.get('common_name') or '?'}", generators[0].get("name"),
                       str(job_id) if job_id else None, problems)


def describe(credentials: Credentials | None) -> tuple[str, dict[str, object]] | None:
    """The catalogue sentence (code, values) that `/verify` adds after the mark's answer."""
    if credentials is None:
        return None
    if credentials.tampered:
        return "verify_credentials_tampered", {"signer": credentials.signer}
    if not credentials.valid:
        return "verify_credentials_invalid", {"problems": ", ".join(credentials.problems)}
    if credentials.job_id:
        return "verify_credentials", {"signer": credentials.signer, "generator": credentials.generator or "?",
                                      "job_id": credentials.job_id}
    return "verify_credentials_other", {"signer": credentials.signer, "generator": credentials.generator or "?"}
