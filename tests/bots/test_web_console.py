"""The moderation web console in a real browser: Playwright drives Debian's chromium against `muralist web`'s
application served by uvicorn on the embedded SQLite database. What a moderator sees and what the moderation log
keeps afterwards."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from core.domain import Decision, Requester
from core.service import SystemClock
from core.web_console import AuditFilter, Grant
from tests.bots.web_harness import Console, serve_console
from tests.fakes import FakeClock

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
if CHROMIUM is None and not os.environ.get("CI"):
    pytest.skip("Debian's chromium is not installed (.ci/run installs it)", allow_module_level=True)
playwright = pytest.importorskip("playwright.sync_api") if not os.environ.get("CI") else __import__(
    "playwright.sync_api").sync_api
Page = playwright.Page
expect = playwright.expect

ADA = Requester("telegram", "501", chat_id="100", display_name="ada")
EVE = Requester("telegram", "502", chat_id="200", display_name="eve")
MODERATOR = "telegram:77"  # moderates chat 100
OTHER_MODERATOR = "telegram:78"  # moderates chat 200 only
OPERATOR = Grant(0, "console", "root", True, frozenset())  # reads the audit log in assertions
# Screenshots are for a person to look at once, never part of the repository.
SHOTS = Path(os.environ["MURALIST_WEB_SCREENSHOTS"]) if os.environ.get("MURALIST_WEB_SCREENSHOTS") else None


@pytest.fixture(scope="module")
def web(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Console]:
    served = serve_console(tmp_path_factory.mktemp("web"))
    yield served
    served.close()


@pytest.fixture(scope="module")
def browser(web: Console):  # type: ignore[no-untyped-def]
    with playwright.sync_playwright() as p:
        launched = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield launched
        launched.close()


@pytest.fixture
def page(browser) -> Iterator[Page]:  # type: ignore[no-untyped-def]
    context = browser.new_context()  # fresh cookies: nobody is signed in
    yield context.new_page()
    context.close()


def sign_in(page: Page, link: str) -> None:
    page.goto(link)
    page.click("#sign-in")
    expect(page.locator("h1")).to_contain_text("Review queue")


def shot(page: Page, name: str) -> None:
    if SHOTS is not None:
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def events(web: Console, job_id: str) -> list[tuple[str, str]]:
    """The moderation log's entries about one job, oldest first: (action, actor)."""
    from sqlalchemy import select

    from core.storage.models import ModerationEventRow

    with web.runtime.engine.connect() as conn:
        rows = conn.execute(select(ModerationEventRow.action, ModerationEventRow.actor)
                            .where(ModerationEventRow.target_job_id == job_id)
                            .order_by(ModerationEventRow.id)).tuples().all()
    return [(action, actor) for action, actor in rows]


def test_the_link_from_admin_web_login_signs_in_once_with_a_strict_http_only_cookie(web: Console, page: Page,
                                                                                     monkeypatch: pytest.MonkeyPatch
                                                                                     ) -> None:
    from bots.admin_cli import admin_cli

    job = web.case(ADA, 'a lighthouse <img src=x onerror="document.title=1"> in a storm', Decision.REVIEW)
    monkeypatch.setenv("MURALIST_DATA_DIR", str(web.settings.data_dir))
    monkeypatch.setenv("MURALIST_WEB_BASE_URL", web.url)
    printed = CliRunner().invoke(admin_cli, ["web-login", MODERATOR, "--chat", "telegram:100"])
    assert printed.exit_code == 0, printed.output
    assert "within 10 minutes" in printed.output
    link = printed.output.split()[-1]
    assert link.startswith(f"{web.url}/login/")

    page.goto(web.url + "/")
    expect(page.locator(".message")).to_contain_text("Sign in with a link")
    sign_in(page, link)
    case = page.locator(f"#case-{job}-0")
    expect(case.locator(".prompt")).to_have_text('a lighthouse <img src=x onerror="document.title=1"> in a storm')
    expect(case.locator(".prompt img")).to_have_count(0)  # the member's text is text, never markup
    expect(case).to_contain_text("ada (telegram:501)")
    picture = case.locator(".pic img")
    expect(picture).to_have_css("filter", "blur(14px)")  # blurred until the moderator chooses to look
    picture.hover()
    expect(picture).to_have_css("filter", "none")
    shot(page, "queue")
    cookie = next(c for c in page.context.cookies() if c["name"] == "muralist_console")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict"

    again = page.context.browser.new_context().new_page()  # type: ignore[union-attr]
    again.goto(link)
    again.click("#sign-in")
    expect(again.locator(".message")).to_contain_text("already used or expired")
    again.context.close()


def test_an_expired_link_does_not_sign_in(web: Console, page: Page) -> None:
    web.console.clock = FakeClock(datetime.now(UTC) - timedelta(minutes=11))  # issued 11 minutes ago
    try:
        link = web.link(MODERATOR, chats=("telegram:100",))
    finally:
        web.console.clock = SystemClock()
    page.goto(link)
    page.click("#sign-in")
    expect(page.locator(".message")).to_contain_text("already used or expired")
    page.goto(web.url + "/")
    expect(page.locator(".message")).to_contain_text("Sign in with a link")


def test_approve_remove_and_ban_from_the_queue_land_in_the_moderation_log(web: Console, page: Page) -> None:
    approved = web.case(ADA, "a calm harbour", Decision.REVIEW)
    removed = web.case(ADA, "a stormy harbour", Decision.REVIEW)
    banned = web.case(ADA, "a burning harbour", Decision.REVIEW)
    sign_in(page, web.link(MODERATOR, chats=("telegram:100",)))
    waiting = int(page.locator("#waiting").inner_text())

    page.locator(f"#case-{approved}-0 button.approve").click()
    expect(page.locator(f"#case-{approved}-0 .outcome")).to_have_text(f"Picture 1 of job {approved} approved.")
    page.locator(f"#case-{removed}-0 .prompt").click()  # select it; then the keyboard shortcut
    page.keyboard.press("r")
    expect(page.locator(f"#case-{removed}-0 .outcome")).to_have_text(f"Picture 1 of job {removed} removed.")
    page.locator(f"#case-{banned}-0 button.ban-7d").click()
    expect(page.locator(f"#case-{banned}-0 .outcome")).to_contain_text("is banned until")
    shot(page, "queue-decided")
    expect(page.locator("#waiting")).to_have_text(str(waiting - 3))

    assert events(web, approved) == [("approve", MODERATOR)]
    assert events(web, removed) == [("remove", MODERATOR)]
    assert events(web, banned) == [("ban", MODERATOR), ("remove", MODERATOR)]  # the ban names its picture
    from sqlalchemy import select

    from core.storage.models import ModerationEventRow

    with web.runtime.engine.connect() as conn:
        expires, banned_user = conn.execute(select(ModerationEventRow.expires_at, ModerationEventRow.target_user_id)
                                            .where(ModerationEventRow.action == "ban",
                                                   ModerationEventRow.target_job_id == banned)).one()
    assert expires is not None
    assert timedelta(days=6, hours=23) < expires.replace(tzinfo=expires.tzinfo or UTC) - datetime.now(UTC) \
        <= timedelta(days=7)

    page.reload()  # decided cases have left the queue
    for job in (approved, removed, banned):
        expect(page.locator(f"#case-{job}-0")).to_have_count(0)
    # A removed picture is out of circulation but its moderator still sees it, from quarantine.
    response = page.request.get(f"{web.url}/pictures/{removed}/0.png")
    assert response.status == 200 and response.body()[:8] == b"\x89PNG\r\n\x1a\n"
    assert not any(p.name.startswith(removed) for p in web.settings.images_dir.rglob("*.png"))

    page.goto(f"{web.url}/members/{banned_user}")
    expect(page.locator(".facts")).to_contain_text("banned until")
    shot(page, "member")
    page.click("text=Unban")
    expect(page.locator("#member-outcome")).to_contain_text("may make pictures again")
    with web.runtime.engine.connect() as conn:
        last = conn.execute(select(ModerationEventRow.action).where(ModerationEventRow.target_user_id == banned_user)
                            .order_by(ModerationEventRow.id.desc()).limit(1)).scalar_one()
    assert last == "unban"


def test_a_moderator_of_another_chat_sees_nothing_of_it_and_cannot_act(web: Console, page: Page) -> None:
    theirs = web.case(ADA, "a lantern on a pier", Decision.REVIEW)
    mine = web.case(EVE, "a kite over a field", Decision.REVIEW)
    sign_in(page, web.link(OTHER_MODERATOR, chats=("telegram:200",)))
    expect(page.locator(f"#case-{mine}-0")).to_have_count(1)
    expect(page.locator(f"#case-{theirs}-0")).to_have_count(0)
    csrf = page.locator("input[name=csrf]").first.get_attribute("value")

    refused = page.request.post(f"{web.url}/cases/{theirs}/0/approve", form={"csrf": csrf or ""})
    assert refused.status == 403 and "do not moderate" in refused.text()
    assert page.request.get(f"{web.url}/pictures/{theirs}/0.png").status == 404
    author = web.runtime.repo.find_user("telegram", "501")
    assert page.request.get(f"{web.url}/members/{author}").status == 404
    assert events(web, theirs) == []
    denied = web.console.audit(OPERATOR, AuditFilter(action="denied"))
    assert denied and denied[0].actor == OTHER_MODERATOR and theirs in (denied[0].reason or "")


def test_a_form_without_the_right_csrf_token_changes_nothing(web: Console, page: Page) -> None:
    job = web.case(ADA, "a windmill at dusk", Decision.REVIEW)
    sign_in(page, web.link(MODERATOR, chats=("telegram:100",)))
    for form in ({}, {"csrf": "0" * 64}):
        refused = page.request.post(f"{web.url}/cases/{job}/0/remove", form=form)
        assert refused.status == 403 and "nothing was changed" in refused.text()
    # The same request from a page on another site posting a form: the Strict cookie is not even sent.
    page.route("http://elsewhere.test/", lambda route: route.fulfill(
        content_type="text/html",
        body=f'<form method="post" action="{web.url}/cases/{job}/0/remove"><button>go</button></form>'))
    page.goto("http://elsewhere.test/")
    page.click("button")
    expect(page.locator("body")).to_contain_text("Sign in")
    assert events(web, job) == []
    page.goto(web.url + "/")
    expect(page.locator(f"#case-{job}-0")).to_have_count(1)


def test_reports_appeals_audit_log_and_dashboard(web: Console, page: Page) -> None:
    reported = web.case(ADA, "a crowded market", Decision.ALLOW)
    blocked = web.case(ADA, "a dark alley", Decision.BLOCK)
    bob = Requester("telegram", "503", chat_id="100", display_name="bob")
    web.runtime.app.accept_licence(bob)
    web.runtime.app.report(bob, reported, 0, "looks off")
    web.runtime.app.appeal(ADA, blocked, "it is only an alley")
    sign_in(page, web.link("console:root", admin=True))

    page.goto(web.url + "/filed")
    expect(page.locator(".case", has_text="looks off")).to_have_count(1)
    appeal = page.locator(".case", has_text="it is only an alley")
    expect(appeal).to_have_count(1)
    shot(page, "filed")
    page.locator(".case", has_text="looks off").locator("button.approve").click()
    expect(page.locator(".outcome").first).to_contain_text("approved")
    appeal.locator("button.approve").click()
    expect(page.locator(".outcome").last).to_contain_text("upheld")

    page.goto(web.url + "/audit?action=appeal_upheld")
    actions = page.locator("table.log tr td:nth-child(3)")
    expect(actions.first).to_have_text("appeal_upheld")
    assert set(actions.all_inner_texts()) == {"appeal_upheld"}
    page.goto(web.url + "/audit")
    shot(page, "audit")
    page.goto(web.url + "/dashboard")
    for name in ("jobs", "verdicts", "backlog", "refusals"):
        chart = page.locator(f"img[src='/charts/{name}.svg']")
        expect(chart).to_be_visible()
        assert page.evaluate("(img) => img.naturalWidth", chart.element_handle()) > 100
    shot(page, "dashboard")

    page.click("text=Sign out")
    expect(page.locator(".message")).to_contain_text("signed out")
    page.goto(web.url + "/audit")
    expect(page.locator(".message")).to_contain_text("Sign in with a link")


def test_a_moderator_whose_browser_prefers_chinese_reads_the_console_in_chinese(web: Console, browser) -> None:  # type: ignore[no-untyped-def]
    job = web.case(ADA, "a quiet pond", Decision.REVIEW)
    context = browser.new_context(locale="zh-CN")  # Chromium then sends Accept-Language: zh-CN
    page = context.new_page()
    try:
        page.goto(web.url + "/")
        expect(page.locator(".message")).to_contain_text("请使用 `muralist admin web-login` 生成的链接登录")
        page.goto(web.link(MODERATOR, chats=("telegram:100",)))
        expect(page.locator("#sign-in")).to_have_text("登录")
        page.click("#sign-in")
        expect(page.locator("h1")).to_contain_text("待审核队列")
        assert page.locator("html").get_attribute("lang") == "zh"
        expect(page.locator("nav")).to_contain_text("举报与申诉")
        case = page.locator(f"#case-{job}-0")
        expect(case.locator("button.ban-7d")).to_have_text("封禁 7 天")
        expect(case.locator("input[name=reason]")).to_have_value("违反规则的图片")
        case.locator("button.approve").click()
        expect(case.locator(".outcome")).to_have_text(f"任务 {job} 的第 1 张图片已通过。")
        chart = page.request.get(web.url + "/charts/jobs.svg", headers={"Accept-Language": "zh-CN,zh;q=0.9"})
        assert chart.ok and "每小时任务数" in chart.text()
    finally:
        context.close()
