"""C2PA content credentials: with a signing certificate from a local CA, every delivered PNG carries a signed manifest
(made by muralist, trained algorithmic media, the model and the job) on top of the mark, its text chunks intact;
`/verify` reports it and says when the picture was changed after signing; a certificate that cannot sign stops the
worker at start-up with one sentence naming the setting; one picture that fails to sign is still delivered."""

from __future__ import annotations

import io
import logging
import struct
import zlib
from pathlib import Path

import pytest
from PIL import Image

from core.catalogue import render
from core.config import Settings
from core.content_credentials import CredentialsUnusable, load_signer, read_credentials
from core.domain import Requester
from core.events import InMemoryEventBus
from core.generation import JobRunner, RunResult
from core.runtime import StartupError, _content_signer
from core.storage.images import LocalImageStore
from core.storage.moderation_repo import SqlModerationRepository
from core.storage.repositories import SqlJobRepository
from core.verification import Verifier
from tests.certificates import SIGNER_CN, write_signing_files
from tests.fakes import FakeClock, NaturalPipeline, ScriptedChecker
from tests.unit.test_job_runner import submit, world  # noqa: F401 - the fixture is used by name


def signing_runner(repo: SqlJobRepository, root: Path, signer: object) -> JobRunner:
    return JobRunner(repo, NaturalPipeline(), ScriptedChecker(), LocalImageStore(root / "images"),
                     InMemoryEventBus(), FakeClock(), credentials=signer)  # type: ignore[arg-type]


def change_pixels(png: bytes) -> bytes:
    """The same PNG, manifest and all, with one byte of its pixels changed (what an editor leaves behind). An 8-bit
    RGB PNG's rows are a filter byte and 3 bytes a pixel; the byte changed is a pixel's, never a filter's."""
    (width,) = struct.unpack(">I", png[16:20])
    stride = 1 + 3 * width
    out, at = bytearray(png[:8]), 8
    while at < len(png):
        (length,) = struct.unpack(">I", png[at:at + 4])
        kind, body = png[at + 4:at + 8], png[at + 8:at + 8 + length]
        if kind == b"IDAT":
            raw = bytearray(zlib.decompress(body))
            raw[stride * (len(raw) // stride // 2) + 1 + 3 * (width // 2)] ^= 0x5A
            body = zlib.compress(bytes(raw))
        out += struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
        at += 12 + length
    return bytes(out)


def test_a_signed_job_carries_credentials_and_verify_reports_them_then_sees_tampering(
        world, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    repo, service, root, _engine = world
    files = write_signing_files(tmp_path / "pki")
    signer = load_signer(files.cert, files.key)
    job_id = submit(service)
    assert signing_runner(repo, root, signer).run(job_id) is RunResult.DONE
    job = repo.get_job(job_id)
    assert job is not None
    (picture,) = job.images
    assert (picture.mark_status, picture.credentials) == ("robust", "signed")
    signed = Path(picture.path or "").read_bytes()
    with Image.open(io.BytesIO(signed)) as opened:
        assert opened.text["JobId"] == job_id and opened.text["Prompt"] == "a red fox"  # the text chunks stay

    events = SqlModerationRepository(repo.sessions)
    verifier = Verifier(repo, events, FakeClock())
    answer = verifier.verify(Requester("console", "alice"), signed)
    said = render(answer.reply, "en")
    assert said.startswith(f"Made here: job {job_id}, picture 1, ")
    assert said.endswith(f"Content credentials: signed by CN={SIGNER_CN}, made by muralist, job {job_id}.")
    assert "内容凭证" in render(answer.reply, "zh")

    tampered = verifier.verify(Requester("console", "alice"), change_pixels(signed))
    said = render(tampered.reply, "en")
    assert said.startswith(f"Made here: job {job_id}")  # the mark survives one changed byte
    assert said.endswith("no longer match it: the picture was changed after signing.")
    recorded = [e.details["content_credentials"] for e in events.all_events(("verify",))]
    assert recorded[0]["job_id"] == job_id and recorded[0]["problems"] == []  # type: ignore[index]
    assert recorded[1]["problems"]  # type: ignore[index]


def test_a_picture_without_credentials_is_answered_as_before(world) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    repo, service, root, _engine = world
    job_id = submit(service)
    assert JobRunner(repo, NaturalPipeline(), ScriptedChecker(), LocalImageStore(root / "images"), InMemoryEventBus(),
                     FakeClock()).run(job_id) is RunResult.DONE
    job = repo.get_job(job_id)
    assert job is not None and job.images[0].credentials is None  # signing not configured: nothing claimed
    data = Path(job.images[0].path or "").read_bytes()
    assert read_credentials(data) is None
    said = render(Verifier(repo, SqlModerationRepository(repo.sessions), FakeClock())
                  .verify(Requester("console", "alice"), data).reply, "en")
    assert said.startswith(f"Made here: job {job_id}, picture 1, ") and said.endswith(" UTC, by ?.")  # as before


def test_a_picture_that_fails_to_sign_is_delivered_with_its_mark_and_the_reason(
        world, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    repo, service, root, _engine = world
    files = write_signing_files(tmp_path / "pki")
    signer = load_signer(files.cert, files.key)
    assert signer is not None

    class Broken(type(signer)):  # type: ignore[misc]
        def sign_png(self, png: bytes, job_id: str, model: str) -> bytes:
            raise RuntimeError("the signing service hung up")

    job_id = submit(service)
    with caplog.at_level(logging.WARNING):
        result = signing_runner(repo, root, Broken(signer.chain_pem, signer.key_pem)).run(job_id)
    assert result is RunResult.DONE
    job = repo.get_job(job_id)
    assert job is not None
    (picture,) = job.images
    assert picture.credentials == "no content credentials: RuntimeError: the signing service hung up"
    assert picture.mark_status == "robust" and Path(picture.path or "").is_file()
    assert "no content credentials" in caplog.text and "PRIVATE KEY" not in caplog.text


@pytest.mark.parametrize(("kind", "says"), [
    ("self-signed", "The certificate in MURALIST_C2PA_CERT is self-signed"),
    ("expired", "The certificate in MURALIST_C2PA_CERT is valid only from"),
    ("wrong-key", "MURALIST_C2PA_KEY is not the private key of the first certificate in MURALIST_C2PA_CERT"),
    ("no-eku", "The certificate in MURALIST_C2PA_CERT cannot sign content credentials"),
])
def test_a_certificate_that_cannot_sign_stops_the_worker_at_start_up(tmp_path: Path, kind: str, says: str) -> None:
    files = write_signing_files(tmp_path, kind)
    with pytest.raises(StartupError) as stopped:
        _content_signer(Settings(data_dir=tmp_path, c2pa_cert=files.cert, c2pa_key=files.key))
    sentence = str(stopped.value)
    assert sentence.startswith("Refusing to start: " + says)
    assert sentence.count(". ") == 0 and "BEGIN" not in sentence  # one sentence, no key material


def test_half_the_settings_or_an_unreadable_file_is_refused_by_name(tmp_path: Path) -> None:
    files = write_signing_files(tmp_path)
    with pytest.raises(CredentialsUnusable, match="MURALIST_C2PA_CERT is set but MURALIST_C2PA_KEY is not"):
        load_signer(files.cert, None)
    with pytest.raises(CredentialsUnusable, match="MURALIST_C2PA_KEY names a file that cannot be read"):
        load_signer(files.cert, tmp_path / "missing.pem")
    assert load_signer(None, None) is None  # not configured: no credentials, and no complaint


def test_a_key_in_openssls_own_ec_form_is_accepted(tmp_path: Path) -> None:
    """`openssl ecparam -genkey` writes "EC PRIVATE KEY" (SEC1), which the C2PA library cannot read by itself."""
    from cryptography.hazmat.primitives import serialization

    files = write_signing_files(tmp_path)
    key = serialization.load_pem_private_key(files.key.read_bytes(), password=None)
    files.key.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL,
                                            serialization.NoEncryption()))
    assert b"BEGIN EC PRIVATE KEY" in files.key.read_bytes()
    signer = load_signer(files.cert, files.key)
    assert signer is not None
    buf = io.BytesIO()
    Image.effect_noise((64, 64), 40).convert("RGB").save(buf, format="PNG")
    credentials = read_credentials(signer.sign_png(buf.getvalue(), "job1", "miniature"))
    assert credentials is not None and credentials.valid and credentials.job_id == "job1"
