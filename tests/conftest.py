"""Shared fixtures. The miniature model is built once per test session into a temporary folder."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
# The official licence texts live beside the project (../shared/licenses), never inside it.
SHARED_LICENCES = next((p for p in (Path(os.environ.get("MURALIST_TEST_LICENCE_DIR", "/nonexistent")),
                                    REPO.parent / "shared" / "licenses", Path("/work/shared/licenses"))
                        if p.is_dir()), REPO.parent / "shared" / "licenses")

# Tests never download anything: make any accidental hub call fail fast instead of hanging.
os.environ.setdefault("HF_HUB_OFFLINE", "1")


@pytest.fixture(scope="session")
def models_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("models")


@pytest.fixture(scope="session")
def miniature(models_dir: Path):  # type: ignore[no-untyped-def]
    from core.pipelines import TextToImage

    return TextToImage.load("miniature", models_dir)


@pytest.fixture(scope="session")
def miniature_ip_adapter(models_dir: Path) -> Path:
    """IP-Adapter weights shaped for the miniature's UNet, in the folder layout an operator supplies."""
    from core.model_builders import MINIATURE_VERSION, build_miniature, build_miniature_ip_adapter

    model = build_miniature(models_dir / MINIATURE_VERSION)
    return build_miniature_ip_adapter(models_dir / "ip-adapter", model / "unet" / "config.json")


@pytest.fixture(scope="session")
def prompt_filter():  # type: ignore[no-untyped-def]
    """The real filter, semantic stage included; built once (embedding the concept list takes a moment)."""
    from safety.prompt_filter import PromptFilter

    return PromptFilter()


@pytest.fixture
def bytes_read(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[int]]:
    """Every os.read the opener makes, by the size of what it got."""
    seen: list[int] = []
    real_read = os.read

    def counting_read(fd: int, n: int) -> bytes:
        chunk = real_read(fd, n)
        seen.append(len(chunk))
        return chunk

    monkeypatch.setattr(os, "read", counting_read)
    yield seen
