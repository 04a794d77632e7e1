"""No secret ever reaches a log: what an operator would find in muralist.log and on the terminal."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from io import BytesIO
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from core.config import Settings
from core.logs import secrets_of, setup_logging
from core.runtime import build_runtime
from tests.bots.fake_telegram import TOKEN, FakeTelegram
from tests.bots.test_telegram import accept, run

DISCORD = "MTExMjIyMzMzNDQ0NTU1.GhIjKl.discord-secret-part"
DB_PASSWORD = "pg-s3cr@t"  # written URL-encoded in the URL, as SQLAlchemy wants it
DB_URL = "postgresql+psycopg://muralist:pg-s3cr%40t@db.internal:5432/muralist"
BROKER_PASSWORD = "amqp-hunter2"
EVENTS_PASSWORD = "redis-correct-horse"


@pytest.fixture
def clean_logging() -> Iterator[None]:
    """setup_logging changes process-wide state: put the root logger and the httpx levels back afterwards."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    levels = {name: logging.getLogger(name).level for name in ("httpx", "httpcore")}
    yield
    for handler in root.handlers[:]:
        if handler not in handlers:
            root.removeHandler(handler)
            handler.close()
    root.setLevel(level)
    for name, old in levels.items():
        logging.getLogger(name).setLevel(old)


def operator_settings(data_dir: Path, **extra: Any) -> Settings:
    return Settings(data_dir=data_dir, telegram_token=TOKEN, discord_token=DISCORD, database_url=DB_URL,  # type: ignore[arg-type]
                    broker_url=f"amqp://muralist:{BROKER_PASSWORD}@mq.internal:5672//",
                    events_url=f"redis://:{EVENTS_PASSWORD}@redis.internal:6379/0", **extra)


SECRETS = [TOKEN, TOKEN.split(":")[1], DISCORD, DB_PASSWORD, "pg-s3cr%40t", BROKER_PASSWORD, EVENTS_PASSWORD]


def leaked(text: str) -> list[str]:
    return [s for s in SECRETS if s in text]


# --- the filter ------------------------------------------------------------------------------------------------


def test_every_secret_setting_is_found_including_ones_read_from_the_environment(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MURALIST_TELEGRAM_TOKEN", TOKEN)
    monkeypatch.setenv("MURALIST_DATABASE_URL", DB_URL)
    monkeypatch.setenv("MURALIST_MODELS", '[{"name": "xl", "path": "org/xl", "hub_token": "hf_modeltoken123"}]')
    settings = Settings(data_dir=tmp_path, discord_token=DISCORD,  # type: ignore[arg-type]
                        broker_url=f"amqp://muralist:{BROKER_PASSWORD}@mq:5672//",
                        events_url=f"rediss://:{EVENTS_PASSWORD}@redis:6380/0")
    found = secrets_of(settings)
    assert {TOKEN, DISCORD, DB_PASSWORD, BROKER_PASSWORD, EVENTS_PASSWORD, "hf_modeltoken123"} <= found
    assert "muralist" not in found and "db.internal" not in found  # user and host names are not secrets


def test_a_secret_in_the_message_its_arguments_or_a_traceback_is_redacted(
        tmp_path: Path, clean_logging: None, capsys: pytest.CaptureFixture[str]) -> None:
    log_file = setup_logging(operator_settings(tmp_path))
    log = logging.getLogger("muralist.test")
    log.warning(f"calling https://api.telegram.org/bot{TOKEN}/getUpdates")  # in the message itself
    log.warning("connecting to %s with %r", DB_URL, {"token": DISCORD})  # in the arguments
    log.warning("database said: password authentication failed for %s", DB_PASSWORD)  # decoded form
    try:
        broker = f"amqp://muralist:{BROKER_PASSWORD}@mq.internal:5672//"
        raise ConnectionError(f"cannot reach {broker} (events at redis://:{EVENTS_PASSWORD}@redis.internal)")
    except ConnectionError:
        log.exception("worker start failed")  # in the exception's text, inside the traceback

    text = log_file.read_text(encoding="utf-8")
    terminal = capsys.readouterr().err
    assert leaked(text) == [] and leaked(terminal) == []
    # Redacted, not dropped: the lines still say what happened.
    assert "https://api.telegram.org/bot***/getUpdates" in text
    assert "postgresql+psycopg://muralist:***@db.internal:5432/muralist" in text and "{'token': '***'}" in text
    assert "password authentication failed for ***" in text
    assert "Traceback (most recent call last)" in text and "ConnectionError: cannot reach amqp://muralist:***@" in text
    # The operator's terminal gets one line for the failure and where to read the rest.
    assert "Traceback" not in terminal
    assert f"worker start failed (the traceback is in {log_file})" in terminal


def test_tokens_and_url_passwords_nobody_configured_are_redacted_too(tmp_path: Path, clean_logging: None) -> None:
    log_file = setup_logging(Settings(data_dir=tmp_path))
    other_bot = "987654:AAH-another-bots_secret"
    logging.getLogger("x").warning("GET https://api.telegram.org/file/bot%s/photos/1.jpg", other_bot)
    logging.getLogger("x").warning("replica postgresql://reader:replica-pw@10.0.0.9/db is down")
    logging.getLogger("x").warning("a URL without credentials http://127.0.0.1:8080/a@b stays as it is")
    text = log_file.read_text(encoding="utf-8")
    assert "another-bots_secret" not in text and "replica-pw" not in text
    assert "/file/bot***/photos/1.jpg" in text and "postgresql://reader:***@10.0.0.9/db" in text
    assert "http://127.0.0.1:8080/a@b stays" in text


def test_http_client_request_lines_are_not_logged(tmp_path: Path, clean_logging: None) -> None:
    log_file = setup_logging(Settings(data_dir=tmp_path))
    logging.getLogger("httpx").info("HTTP Request: POST http://127.0.0.1/bot1:x/getUpdates \"HTTP/1.1 200 OK\"")
    logging.getLogger("httpcore.http11").info("send_request_headers.started")
    logging.getLogger("httpx").warning("retrying after a connection reset")
    text = log_file.read_text(encoding="utf-8")
    assert "HTTP Request" not in text and "send_request_headers" not in text
    assert "retrying after a connection reset" in text


def test_odd_records_are_logged_rather_than_raising(tmp_path: Path, clean_logging: None,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    log_file = setup_logging(operator_settings(tmp_path))
    log = logging.getLogger("x")
    log.warning("a format with too few arguments %s %s", TOKEN)  # a bug at a call site must not hide the line
    log.warning("a prompt with a lone surrogate: \ud800 and %s", DISCORD)
    text = log_file.read_text(encoding="utf-8")
    assert "a format with too few arguments" in text and "a prompt with a lone surrogate: \\ud800" in text
    assert leaked(text) == [] and "Logging error" not in capsys.readouterr().err


# --- a whole bot session ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("http_lines", ["default", "httpx at INFO"])
def test_a_telegram_session_never_writes_the_token(tmp_path: Path, clean_logging: None, http_lines: str) -> None:
    """The real python-telegram-bot client polls, answers, sends a photo and downloads an upload; every Bot API URL
    holds the token. "httpx at INFO" is an operator turning request logging back on to debug: the URLs are then
    logged, and must still come out redacted."""
    settings = operator_settings(tmp_path, rate_limit_jobs=1000)
    log_file = setup_logging(settings, verbose=True)
    if http_lines == "httpx at INFO":
        logging.getLogger("httpx").setLevel(logging.INFO)
    runtime = build_runtime(settings.model_copy(update={"database_url": None, "broker_url": None,
                                                        "events_url": None}))
    upload = BytesIO()
    Image.new("RGB", (96, 64), (30, 90, 200)).save(upload, format="JPEG")

    async def scenario(fake: FakeTelegram) -> None:
        await accept(fake, 31)
        fake.say(31, "/imagine a lighthouse at dawn --seed 3")
        await fake.wait_for(lambda: fake.photos(31))
        fake.send_photo(31, upload.getvalue(), "a castle at night --strength 0.7")  # fetched from the file URL
        await fake.wait_for(lambda: len(fake.photos(31)) == 2)
        fake.say(31, "/imagine a n.u.d.e woman")
        await fake.wait_for(lambda: any("blocked" in x for x in fake.texts(31)))

    try:
        run(runtime, scenario)
    finally:
        runtime.close()
    for handler in logging.getLogger().handlers:
        handler.flush()

    text = log_file.read_text(encoding="utf-8")
    assert leaked(text) == []
    assert "Application started" in text  # the session was logged: an empty log would prove nothing
    if http_lines == "httpx at INFO":
        assert "/bot***/getUpdates" in text and "/file/bot***/photos/" in text
    else:
        assert "HTTP Request" not in text
