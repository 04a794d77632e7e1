"""The terminal console speaks the member's language (``LANG=zh_CN.UTF-8``): its help, usage lines, lists and the
sentences it says itself, not only the outcomes core returns."""

from __future__ import annotations

from pathlib import Path

import pytest

from bots.console.bot import ConsoleBot
from core.config import Settings
from core.domain import Requester
from core.runtime import Runtime, build_runtime


@pytest.fixture(scope="module")
def runtime(tmp_path_factory: pytest.TempPathFactory, models_dir: Path):  # type: ignore[no-untyped-def]
    rt = build_runtime(Settings(data_dir=tmp_path_factory.mktemp("console-zh"), models_dir=models_dir))
    yield rt
    rt.close()


def _console(runtime: Runtime, lang: str) -> ConsoleBot:
    return ConsoleBot(runtime.app, Requester("console", f"reader-{lang}", chat_id="console", local=True,
                                             language=lang), job_timeout=120)


def test_a_chinese_reader_gets_help_usage_and_refusals_in_chinese(runtime: Runtime) -> None:
    console = _console(runtime, "zh")
    (help_text,) = console.handle("/help")
    assert help_text.startswith("命令：") and "/imagine <提示词>" in help_text and "Commands" not in help_text
    assert console.handle("a fox") == ["命令以斜杠开头：试试 /imagine 雪地里的红狐狸，或输入 /help。"]
    assert console.handle("/frobnicate") == ["未知命令 /frobnicate；输入 /help 查看命令列表。"]
    assert console.handle("/verify") == ["请说明是哪张图片：/verify 路径。"]
    assert console.handle("/upscale") == ["用法：/upscale 路径|任务 [--factor 2|4]。"]
    assert console.handle("/restore") == ["用法：/restore 路径|任务。"]
    (model,) = console.handle("/models")
    assert model.startswith("miniature") and "步，许可协议" in model


def test_history_says_each_jobs_status_in_the_readers_language(runtime: Runtime) -> None:
    chinese, english = _console(runtime, "zh"), _console(runtime, "en")
    for console in (chinese, english):
        console.handle("/accept")
        assert console.handle("/imagine a lighthouse at dusk --seed 3")[-1].endswith(".png")
    (line,) = chinese.handle("/history")
    assert "已完成" in line and "1 张" in line and "a lighthouse at dusk" in line
    (line,) = english.handle("/history")
    assert "done" in line and "1 pic" in line
    assert english.handle("/help")[0].startswith("Commands:")
