"""Signing certificates made at test time (nothing committed): a local CA and a leaf it issues, ECDSA P-256, with the
key usage C2PA demands of a claim signer (digitalSignature, and an extended key usage: emailProtection here) — and
the ways an operator's certificate goes wrong (self-signed, expired, no extended key usage)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

SIGNER_CN = "muralist test signer"


def _name(cn: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn),
                      x509.NameAttribute(NameOID.ORGANIZATION_NAME, "muralist tests")])


def _usage(ca: bool) -> x509.KeyUsage:
    return x509.KeyUsage(digital_signature=not ca, content_commitment=False, key_encipherment=False,
                         data_encipherment=False, key_agreement=False, key_cert_sign=ca, crl_sign=ca,
                         encipher_only=False, decipher_only=False)


def _certificate(key: ec.EllipticCurvePrivateKey, cn: str, issuer: tuple[ec.EllipticCurvePrivateKey, x509.Name] | None,
                 *, ca: bool = False, eku: bool = True, days: tuple[int, int] = (-1, 30)) -> x509.Certificate:
    now = dt.datetime.now(dt.UTC)
    signing_key, issuer_name = issuer or (key, _name(cn))
    builder = (x509.CertificateBuilder().subject_name(_name(cn)).issuer_name(issuer_name)
               .public_key(key.public_key()).serial_number(x509.random_serial_number())
               .not_valid_before(now + dt.timedelta(days=days[0])).not_valid_after(now + dt.timedelta(days=days[1]))
               .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
               .add_extension(_usage(ca), critical=True)
               .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False))
    if eku and not ca:
        builder = builder.add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION]), critical=False)
    if issuer is not None:
        builder = builder.add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(signing_key.public_key()),
                                        critical=False)
    return builder.sign(signing_key, hashes.SHA256())


def _pem(*certs: x509.Certificate) -> bytes:
    return b"".join(c.public_bytes(serialization.Encoding.PEM) for c in certs)


def _key_pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


@dataclass(frozen=True)
class SigningFiles:
    cert: Path
    key: Path


def write_signing_files(directory: Path, kind: str = "good") -> SigningFiles:
    """A chain and key as an operator would supply them. ``kind``: good | self-signed | expired | no-eku |
    wrong-key."""
    directory.mkdir(parents=True, exist_ok=True)
    ca_key, leaf_key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca = _certificate(ca_key, "muralist test CA", None, ca=True)
    issuer = (ca_key, ca.subject)
    if kind == "self-signed":
        chain = _pem(_certificate(leaf_key, SIGNER_CN, None))
    elif kind == "expired":
        chain = _pem(_certificate(leaf_key, SIGNER_CN, issuer, days=(-60, -1)), ca)
    elif kind == "no-eku":
        chain = _pem(_certificate(leaf_key, SIGNER_CN, issuer, eku=False), ca)
    else:
        chain = _pem(_certificate(leaf_key, SIGNER_CN, issuer), ca)
    key = ec.generate_private_key(ec.SECP256R1()) if kind == "wrong-key" else leaf_key
    files = SigningFiles(directory / "chain.pem", directory / "key.pem")
    files.cert.write_bytes(chain)
    files.key.write_bytes(_key_pem(key))
    return files
