"""The counters an operator watches move when jobs move: read back from the Prometheus registry, before and after."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from core import metrics
from core.config import Settings
from core.domain import Accepted, Decision, GenerationParams, GenerationRequest, QuotaSettings, Rejected, Requester
from core.events import InMemoryEventBus
from core.generation import JobRunner, RunResult
from core.models_registry import model_spec
from core.reconciler import Reconciler
from core.service import GenerationService
from core.storage.db import build_engine, ensure_schema, session_factory
from core.storage.images import LocalImageStore
from core.storage.leases import SqlJobLeases
from core.storage.repositories import SqlJobRepository
from core.worker_registry import WorkerRegistry
from safety.prompt_filter import PromptFilter
from tests.fakes import FakeClock, FakeDispatcher, FakePipeline, ScriptedChecker


class World:
    def __init__(self, tmp_path: Path, prompt_filter: PromptFilter) -> None:
        settings = Settings(data_dir=tmp_path)
        self.engine = build_engine(settings)
        ensure_schema(self.engine, auto_migrate=True)
        self.sessions = session_factory(self.engine)
        self.repo = SqlJobRepository(self.sessions)
        self.spec = model_spec(settings)
        self.clock = FakeClock()
        self.dispatcher = FakeDispatcher()
        from safety.license import get_licence

        self.service = GenerationService(self.repo, self.dispatcher, prompt_filter, self.spec,
                                         get_licence(self.spec.licence_id), QuotaSettings(default_limit=10),
                                         self.clock)
        self.root = tmp_path
        self.bus = InMemoryEventBus()

    def submit(self, who: Requester, prompt: str, count: int = 1) -> Accepted | Rejected:
        self.service.accept_licence(who)
        outcome = self.service.submit(GenerationRequest(who, GenerationParams(prompt, count=count, seed=5)))
        assert isinstance(outcome, Accepted | Rejected)
        return outcome

    def runner(self, checker: ScriptedChecker, pipeline: FakePipeline | None = None) -> JobRunner:
        return JobRunner(self.repo, pipeline or FakePipeline(), checker, LocalImageStore(self.root / "images"),
                         self.bus, self.clock)


@pytest.fixture
def world(tmp_path: Path, prompt_filter: PromptFilter) -> Iterator[World]:
    w = World(tmp_path, prompt_filter)
    yield w
    w.engine.dispose()


def value(name: str, **labels: str) -> float:
    return metrics.sample(name, labels)


def test_a_submitted_and_finished_job_moves_the_job_counters_and_histograms(world: World) -> None:
    model = world.spec.name
    before = {n: value(n, model=model) for n in ("muralist_jobs_submitted_total", "muralist_jobs_started_total",
                                                 "muralist_jobs_finished_total", "muralist_jobs_failed_total",
                                                 "muralist_job_queue_seconds_count",
                                                 "muralist_job_generation_seconds_count")}
    queue_sum = value("muralist_job_queue_seconds_sum", model=model)
    allowed = value("muralist_prompt_verdicts_total", decision="allow", category="none", language="en",
                    script="latin")
    review_pictures = value("muralist_pictures_total", decision="review", category="none")
    png_writes = value("muralist_stage_seconds_count", stage="png")

    accepted = world.submit(Requester("console", "ada"), "a red fox in the snow", count=2)
    assert isinstance(accepted, Accepted)
    assert value("muralist_jobs_submitted_total", model=model) == before["muralist_jobs_submitted_total"] + 1
    assert value("muralist_prompt_verdicts_total", decision="allow", category="none", language="en",
                 script="latin") == allowed + 1
    assert value("muralist_jobs_started_total", model=model) == before["muralist_jobs_started_total"]

    world.clock.advance(seconds=7)  # seven seconds in the queue
    assert world.runner(ScriptedChecker([Decision.ALLOW, Decision.REVIEW])).run(accepted.job_id) is RunResult.DONE
    assert value("muralist_jobs_started_total", model=model) == before["muralist_jobs_started_total"] + 1
    assert value("muralist_jobs_finished_total", model=model) == before["muralist_jobs_finished_total"] + 1
    assert value("muralist_jobs_failed_total", model=model) == before["muralist_jobs_failed_total"]
    assert value("muralist_job_queue_seconds_count", model=model) == before["muralist_job_queue_seconds_count"] + 1
    assert value("muralist_job_queue_seconds_sum", model=model) == pytest.approx(queue_sum + 7)
    assert value("muralist_job_generation_seconds_count", model=model) == \
        before["muralist_job_generation_seconds_count"] + 1
    assert value("muralist_pictures_total", decision="review", category="none") == review_pictures + 1
    assert value("muralist_stage_seconds_count", stage="png") == png_writes + 2  # two pictures written

    # A redelivered task starts nothing and counts nothing.
    assert world.runner(ScriptedChecker()).run(accepted.job_id) is RunResult.SKIPPED
    assert value("muralist_jobs_started_total", model=model) == before["muralist_jobs_started_total"] + 1


def test_a_failed_job_counts_as_failed_not_finished(world: World) -> None:
    model = world.spec.name
    failed, finished = value("muralist_jobs_failed_total", model=model), value("muralist_jobs_finished_total",
                                                                              model=model)
    accepted = world.submit(Requester("console", "bo"), "a lighthouse at dusk")
    assert isinstance(accepted, Accepted)
    assert world.runner(ScriptedChecker(fail=True)).run(accepted.job_id) is RunResult.FAILED
    assert value("muralist_jobs_failed_total", model=model) == failed + 1
    assert value("muralist_jobs_finished_total", model=model) == finished


def test_a_blocked_prompt_counts_by_category_language_and_script_and_submits_nothing(world: World) -> None:
    model = world.spec.name
    submitted = value("muralist_jobs_submitted_total", model=model)
    before = value("muralist_prompt_verdicts_total", decision="block", category="minors_sexual", language="zh",
                   script="han")
    outcome = world.submit(Requester("telegram", "7", language="zh"), "12歳、裸、写真")
    assert isinstance(outcome, Rejected) and outcome.code == "prompt", outcome
    assert "minors_sexual" in outcome.values["blocked"]  # type: ignore[operator]
    assert value("muralist_prompt_verdicts_total", decision="block", category="minors_sexual", language="zh",
                 script="han") == before + 1
    assert value("muralist_jobs_submitted_total", model=model) == submitted


@pytest.mark.parametrize(("prompt", "script"), [
    ("a red fox", "latin"), ("un café crème", "latin"), ("一只红色的狐狸", "han"), ("雪の中のきつね", "kana"),
    ("рыжая лиса", "cyrillic"), ("빨간 여우", "hangul"), ("12345 !!", "other"), ("", "other"),
])
def test_the_prompt_script_label_takes_a_small_fixed_set_of_values(prompt: str, script: str) -> None:
    assert metrics.prompt_script(prompt) == script


def test_a_member_language_outside_the_catalogue_becomes_other_not_a_new_label() -> None:
    before = value("muralist_prompt_verdicts_total", decision="allow", category="none", language="other",
                   script="latin")
    from core.domain import Verdict

    metrics.prompt_judged(Verdict(Decision.ALLOW), "x" * 500, "a fox")
    assert value("muralist_prompt_verdicts_total", decision="allow", category="none", language="other",
                 script="latin") == before + 1


def test_the_reconciler_reports_queue_depth_and_its_repairs(world: World) -> None:
    queue = world.spec.queue
    accepted = [world.submit(Requester("console", f"u{i}"), "a bowl of ramen") for i in range(3)]
    assert all(isinstance(a, Accepted) for a in accepted)
    requeued = value("muralist_reconciler_actions_total", action="requeued")
    world.clock.advance(minutes=5)  # long past the grace period; the fake broker says nothing waits
    reconciler = Reconciler(SqlJobLeases(world.sessions), world.repo, world.dispatcher, world.clock, world.bus,
                            queues=(queue, "muralist.other-model"))
    repairs = reconciler.run_once()
    assert len(repairs.requeued) == 3
    assert value("muralist_queue_depth", queue=queue) == 3
    assert value("muralist_queue_depth", queue="muralist.other-model") == 0  # known and empty: 0, not absent
    assert value("muralist_reconciler_actions_total", action="requeued") == requeued + 3


def test_a_heartbeat_sets_its_timestamp_and_the_age_is_computed_when_scraped(world: World) -> None:
    WorkerRegistry(world.sessions).beat("worker:test:1", [world.spec.name])
    stamp = value("muralist_worker_last_heartbeat_timestamp_seconds")
    assert abs(stamp - datetime.now(UTC).timestamp()) < 5
    age = value("muralist_worker_heartbeat_age_seconds")
    assert 0 <= age < 5


def test_gpu_memory_samples_become_labelled_gauges() -> None:
    metrics.gpu_memory({("cuda:0", "allocated"): 2.5e9, ("cuda:0", "reserved"): 3e9})
    assert value("muralist_gpu_memory_bytes", device="cuda:0", kind="allocated") == 2.5e9
    assert value("muralist_gpu_memory_bytes", device="cuda:0", kind="reserved") == 3e9


def test_the_exposition_is_prometheus_text_with_every_family() -> None:
    from prometheus_client.parser import text_string_to_metric_families

    metrics.heartbeat()  # the age exists once this process has beaten
    body, content_type = metrics.exposition()
    assert content_type.startswith("text/plain")
    families = {family.name for family in text_string_to_metric_families(body.decode())}
    assert {"muralist_jobs_submitted", "muralist_jobs_started", "muralist_jobs_finished", "muralist_jobs_failed",
            "muralist_queue_depth", "muralist_job_queue_seconds", "muralist_job_generation_seconds",
            "muralist_stage_seconds", "muralist_pictures", "muralist_prompt_verdicts", "muralist_deliveries",
            "muralist_delivery_retries", "muralist_reconciler_actions", "muralist_worker_heartbeat_age_seconds",
            "muralist_worker_last_heartbeat_timestamp_seconds", "muralist_gpu_memory_bytes"} <= families


def test_the_embedded_runtime_serves_its_metrics_and_counts_deliveries_and_retries(tmp_path: Path) -> None:
    import json
    import urllib.request

    from core.runtime import build_runtime

    runtime = build_runtime(Settings(data_dir=tmp_path, metrics_port=0, metrics_host="127.0.0.1"))
    try:
        assert runtime.health is not None
        base = f"http://127.0.0.1:{runtime.health.port}"
        with urllib.request.urlopen(f"{base}/readyz", timeout=10) as answer:
            assert json.loads(answer.read())["checks"] == {"database": {"ok": True}, "broker": {"ok": True},
                                                           "image_check": {"ok": True}}
        who = Requester("telegram", "42", chat_id="100")
        runtime.app.accept_licence(who)
        outcome = runtime.app.imagine(who, GenerationParams("a kite over a beach", seed=2))
        assert isinstance(outcome, Accepted)
        assert runtime.app.wait(outcome.job_id, 120) is not None
        delivered = value("muralist_deliveries_total", platform="telegram")
        retried = value("muralist_delivery_retries_total", platform="telegram")

        template = runtime.app.deliveries("telegram", "test")
        assert template.claim(outcome.job_id) is not None
        template.release(outcome.job_id, 0)  # the send failed: handed back for a retry
        assert template.claim(outcome.job_id) is not None
        template.mark(outcome.job_id, ["m1"])

        with urllib.request.urlopen(f"{base}/metrics", timeout=10) as answer:
            text = answer.read().decode()
        assert f'muralist_deliveries_total{{platform="telegram"}} {delivered + 1}' in text
        assert f'muralist_delivery_retries_total{{platform="telegram"}} {retried + 1}' in text
    finally:
        runtime.close()


def test_multiprocess_mode_merges_every_process_values(tmp_path: Path) -> None:
    """PROMETHEUS_MULTIPROC_DIR (read when the module is imported): two processes count, a third serves the sum."""
    import os
    import subprocess
    import sys

    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(tmp_path),
           "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    count = "from core import metrics; metrics.job_submitted('m'); metrics.queue_depths({'q': 3})"
    for _ in range(2):
        subprocess.run([sys.executable, "-c", count], env=env, check=True, timeout=60)
    served = subprocess.run([sys.executable, "-c", "from core import metrics; print(metrics.exposition()[0].decode())"],
                            env=env, check=True, timeout=60, capture_output=True, text=True).stdout
    assert 'muralist_jobs_submitted_total{model="m"} 2.0' in served
    assert 'muralist_queue_depth{queue="q"} 3.0' in served
