"""Every member-facing string in ``bots/`` goes through the catalogue (issue 13): a scan of the Python sources and the
web console's templates fails on a literal sentence or label that bypasses it, so an untranslated string cannot slip
in unnoticed. The scan itself is tested on planted literals, so it cannot pass by seeing nothing."""

from __future__ import annotations

import ast
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from jinja2 import Environment, nodes

from core.catalogue import LANGUAGES, MESSAGES
from core.domain import JobStatus

ROOT = Path(__file__).resolve().parents[2]
BOTS = ROOT / "bots"
TEMPLATES = BOTS / "web" / "templates"
# Operators' tools, not front doors members or moderators use: their help and output are for whoever runs the
# service (Typer command help, benchmark reports), and stay English.
OPERATOR_TOOLS = {"cli.py", "admin_cli.py", "safety_cli.py", "bench.py", "bench_load.py", "bench_safety.py"}

# Calls that put their text arguments in front of a member (all positional arguments, unless listed).
SENDING = {"send": None, "send_message": None, "send_photo": None, "reply_text": None, "reply": None, "edit": None,
           "edit_message_text": None, "edit_message_caption": None, "edit_original_response": None, "answer": None,
           "say": None, "_reply": None, "set_title": None, "set_xlabel": None, "set_ylabel": None,
           "InlineKeyboardButton": (0,), "BotCommand": (1,), "Response": (0,), "Modal": None, "TextInput": None,
           "tqdm": None}
# Keyword arguments that are shown wherever they appear.
SHOWN = {"content", "caption", "text", "label", "title", "description", "placeholder", "input_field_placeholder",
         "desc"}
# Not language: command names and flags, links, example accounts (discord:1234), the product's name, a time zone.
NOT_LANGUAGE = re.compile(r"/[a-z_]+|--[a-z-]+|https?://\S+|\b[a-z]+:\d+\b|\bmuralist\b|\bUTC\b")
WORD = re.compile(r"[^\W\d_]{2,}")
# Module and class constants that are protocol data, not language (HTTP security headers).
DATA_CONSTANTS = {"_HEADERS"}
# A constant reads as language when it has words and a space, is a capitalised word ("Permanent") or is Chinese;
# a lone lower-case word is a name ("discord", "reroll").
PHRASE = re.compile(r"\s|^[A-Z][a-z]+$|[\u3400-\u9fff]")


def _is_language(literal: str) -> bool:
    return bool(WORD.search(NOT_LANGUAGE.sub(" ", literal)))


def _literals(node: ast.AST) -> list[str]:
    """The literal text an expression shows: strings, the fixed parts of f-strings, and those inside a ``+``,
    ``or``, conditional, slice or list; a call's result (the catalogue's text) is not literal."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, ast.JoinedStr):
        return ["".join(v.value for v in node.values if isinstance(v, ast.Constant) and isinstance(v.value, str))]
    if isinstance(node, ast.BinOp):
        return _literals(node.left) + _literals(node.right)
    if isinstance(node, ast.BoolOp):
        return [s for v in node.values for s in _literals(v)]
    if isinstance(node, ast.IfExp):
        return _literals(node.body) + _literals(node.orelse)
    if isinstance(node, ast.Subscript):
        return _literals(node.value)
    if isinstance(node, ast.List | ast.Tuple):
        return [s for e in node.elts for s in _literals(e)]
    if isinstance(node, ast.ListComp | ast.GeneratorExp):
        return _literals(node.elt)
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in ("format", "join"):
        return _literals(node.func.value)  # "Hello {}".format(name)
    return []


def _name(func: ast.expr) -> str:
    return func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""


def python_findings(source: str, where: str) -> list[str]:
    """``where:line: 'literal'`` for each literal sentence or label the source shows a member directly."""
    found = []

    def flag(node: ast.AST, shown: ast.AST) -> None:
        found.extend(f"{where}:{node.lineno}: {s!r}" for s in _literals(shown) if _is_language(s))  # type: ignore[attr-defined]

    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call):
            name = _name(node.func)
            if name in SENDING:
                positions = SENDING[name]
                for i, arg in enumerate(node.args):
                    if positions is None or i in positions:
                        flag(node, arg)
            for keyword in node.keywords:
                # app_commands.describe(option="…") and Choice(name="…") are shown to every member
                if keyword.arg in SHOWN or name == "describe" or (name == "Choice" and keyword.arg == "name"):
                    flag(node, keyword.value)
        elif isinstance(node, ast.Return) and isinstance(node.value, ast.List | ast.Tuple | ast.ListComp):
            flag(node, node.value)  # the console's handlers return the lines they print
    found += _constant_findings(source, where)
    return found


def _constant_findings(source: str, where: str) -> list[str]:
    """Module and class constants holding phrases (a help text, a table of button labels) are shown somewhere
    later, out of sight of the call rules above."""
    tree = ast.parse(source)
    found = []
    for node in [*tree.body, *(n for c in tree.body if isinstance(c, ast.ClassDef) for n in c.body)]:
        if not isinstance(node, ast.Assign | ast.AnnAssign) or node.value is None:
            continue
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        if any(isinstance(t, ast.Name) and t.id in DATA_CONSTANTS for t in targets):
            continue
        values = node.value.values if isinstance(node.value, ast.Dict) else [node.value]
        found += [f"{where}:{node.lineno}: {s!r}" for v in values for s in _literals(v)
                  if _is_language(s) and PHRASE.search(s.strip())]
    return found


class _Page(HTMLParser):
    """Text and the attributes a reader sees or hears (alt, title, placeholder, aria-label, a visible input's
    value) of a template whose Jinja parts were blanked out."""

    ATTRIBUTES = {"alt", "title", "placeholder", "aria-label"}

    def __init__(self) -> None:
        super().__init__()
        self.shown: list[tuple[int, str]] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._skip += tag in ("script", "style")
        values = dict(attrs)
        for key, value in attrs:
            visible = key in self.ATTRIBUTES or (key == "value" and tag == "input" and values.get("type") != "hidden")
            if visible and value:
                self.shown.append((self.getpos()[0], value))

    def handle_endtag(self, tag: str) -> None:
        self._skip -= tag in ("script", "style")

    def handle_data(self, data: str) -> None:
        if not self._skip and data.strip():
            self.shown.append((self.getpos()[0], data))


def template_findings(source: str, where: str) -> list[str]:
    found = []
    # Literal strings a template prints itself ({{ x or "none" }}), outside the catalogue.
    for output in Environment().parse(source).find_all(nodes.Output):
        pending: list[nodes.Node] = [n for n in output.nodes if not isinstance(n, nodes.TemplateData)]
        while pending:
            node = pending.pop()
            if isinstance(node, nodes.Const) and isinstance(node.value, str) and _is_language(node.value):
                found.append(f"{where}:{node.lineno}: {node.value!r}")
            elif isinstance(node, nodes.Or | nodes.And):
                pending += [node.left, node.right]
            elif isinstance(node, nodes.CondExpr):
                pending += [node.expr1, *([node.expr2] if node.expr2 is not None else [])]
            elif isinstance(node, nodes.Concat):
                pending += node.nodes
    # The markup's own words: every Jinja part blanked out (keeping the lines), what is left must not be language.
    blank = re.sub(r"\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}", lambda m: "\n" * m.group().count("\n") + " ", source,
                   flags=re.S)
    page = _Page()
    page.feed(blank)
    found += [f"{where}:{line}: {text.strip()!r}" for line, text in page.shown if _is_language(text)]
    return found


def _member_facing_sources() -> list[Path]:
    return sorted(p for p in BOTS.rglob("*.py") if p.relative_to(BOTS).as_posix() not in OPERATOR_TOOLS)


def test_no_member_facing_python_literal_bypasses_the_catalogue() -> None:
    found = [f for path in _member_facing_sources()
             for f in python_findings(path.read_text(encoding="utf-8"), str(path.relative_to(ROOT)))]
    assert found == [], "put these in core/catalogue.py (English and Chinese) and use text():\n" + "\n".join(found)


def test_no_template_text_bypasses_the_catalogue() -> None:
    templates = sorted(TEMPLATES.glob("*.html"))
    assert len(templates) >= 8
    found = [f for path in templates
             for f in template_findings(path.read_text(encoding="utf-8"), str(path.relative_to(ROOT)))]
    assert found == [], "put these in core/catalogue.py and write {{ t(\"code\") }}:\n" + "\n".join(found)


@pytest.mark.parametrize(("source", "planted"), [
    ('await interaction.response.send_message("Your picture is ready", ephemeral=True)', "Your picture is ready"),
    ('await say(interaction, f"Job {job_id} failed")', "Job  failed"),
    ('view.add_item(discord.ui.Button(label="Retry", custom_id="x"))', "Retry"),
    ('@app_commands.describe(prompt="What to draw")\nasync def f(): ...', "What to draw"),
    ('app_commands.Choice(name="owner only", value="owner")', "owner only"),
    ('await update.effective_message.reply_text(render(r, lang) or "Nothing yet")', "Nothing yet"),
    ('def usage(self):\n    return ["Use /imagine PROMPT."]', "Use /imagine PROMPT."),
    ('InlineKeyboardButton("Accept", callback_data="mr:accept")', "Accept"),
    ('HELP = """Commands:\n  /quota   pictures left"""', "Commands:\n  /quota   pictures left"),
    ('LABELS = {"1d": "1 day", "permanent": "Permanent"}', "Permanent"),
    ('def history(jobs):\n    return [f"{j.id} {j.count} pic" for j in jobs]', "  pic"),
])
def test_the_python_scan_catches_a_planted_english_literal(source: str, planted: str) -> None:
    assert [f for f in python_findings(source, "planted.py") if repr(planted) in f], source


@pytest.mark.parametrize("source", [
    'await channel.send(text("accepted", lang, job_id=job), allowed_mentions=quiet)',
    'discord.ui.Button(label=text("button_accept", lang), custom_id=f"muralist:accept:{uid}")',
    'await say(interaction, "\\n".join(lines) or text("history_empty", lang))',
    'app_commands.Choice(name="×2", value=2)',
    'await bot.send_message(chat_id, f"/imagine {prompt}")',
    'PLATFORM = "discord"\nPATTERN = re.compile(r"^mr:accept$")',
])
def test_the_python_scan_lets_catalogue_text_and_non_language_through(source: str) -> None:
    assert python_findings(source, "clean.py") == []


@pytest.mark.parametrize(("source", "planted"), [
    ("<p>Nothing waits for review.</p>", "Nothing waits for review."),
    ('<img src="/x.png" alt="a reported picture">', "a reported picture"),
    ('<input name="reason" value="Spam">', "Spam"),
    ('<p>{{ e.reason or "(no reason given)" }}</p>', "(no reason given)"),
    ("<button>{{ t('web_deny') }} now</button>", "now"),
])
def test_the_template_scan_catches_planted_text(source: str, planted: str) -> None:
    assert [f for f in template_findings(source, "planted.html") if repr(planted) in f], source


def test_the_template_scan_lets_catalogue_text_through() -> None:
    source = ('<title>{% block title %}{{ t("web_title") }}{% endblock %}</title><p class="x" title="{{ t(\'a\') }}">'
              '{{ c.prompt }} · <kbd>j</kbd> {{ "%.2f"|format(v) }}</p><input type="hidden" name="csrf" value="tok">')
    assert template_findings(source, "clean.html") == []


def _codes_in_python() -> set[tuple[str, str]]:
    used = set()
    for path in [*_member_facing_sources(), *sorted((ROOT / "core").rglob("*.py"))]:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        # Only the catalogue's text() (SQLAlchemy has a text() too).
        imported = {alias.name for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)
                    and node.module in ("core.catalogue", "bots.discord.localized") for alias in node.names}
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and _name(node.func) in imported & {"text", "described"} and node.args \
                    and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str):
                used.add((str(path.relative_to(ROOT)), node.args[0].value))
    return used


def test_every_code_the_front_doors_and_templates_name_is_in_the_catalogue() -> None:
    named = _codes_in_python()
    for path in TEMPLATES.glob("*.html"):
        for call in Environment().parse(path.read_text(encoding="utf-8")).find_all(nodes.Call):
            if isinstance(call.node, nodes.Name) and call.node.name == "t" and isinstance(call.args[0], nodes.Const):
                named.add((path.name, call.args[0].value))
    assert len(named) > 100
    assert sorted((where, code) for where, code in named if code not in MESSAGES) == []


def test_codes_built_from_values_exist_for_every_value() -> None:
    """Codes the bots build at run time: each job status, each result button (full and per picture), each ban
    duration Discord and the web console offer."""
    from bots.discord.buttons import BAN_CHOICES
    from bots.web.app import BAN_DURATIONS

    codes = [f"job_status_{s.value}" for s in JobStatus]
    codes += [f"button_{a}" for a in ("reroll", "edit", "info", "upscale", "variations", "report", "delete")]
    codes += [f"button_{a}_short" for a in ("upscale", "variations", "report", "delete")]
    codes += [f"ban_choice_{d}" for d in BAN_CHOICES] + [f"web_ban_{d}" for d in BAN_DURATIONS]
    codes += [f"chart_{d}" for d in ("allow", "review", "block")]
    assert [c for c in codes if c not in MESSAGES] == []


def test_command_descriptions_fit_discord_and_telegram() -> None:
    """Discord refuses a description or choice name over 100 characters (the whole sync fails); Telegram wants
    3 to 256."""
    misfits = [(code, lang) for code, entry in MESSAGES.items() if code.startswith(("cmd_", "opt_", "choice_"))
               for lang in LANGUAGES if not (3 if code.startswith("cmd_") else 1) <= len(entry[lang]) <= 100]
    assert misfits == []


def _names_a_code(first: ast.expr | None) -> bool:
    """A code, or an f-string building one (``f"params_{side}_range"``)."""
    if isinstance(first, ast.Constant):
        return first.value in MESSAGES
    return isinstance(first, ast.JoinedStr) and isinstance(first.values[0], ast.Constant) \
        and str(first.values[0].value).startswith("params_")


def test_every_request_check_says_a_catalogue_sentence() -> None:
    """``raise InvalidParams("code", ...)``: what a member typed wrong is said in their language (an English
    sentence instead of a code would still be shown, in English to everyone: this test is what notices)."""
    raw = []
    for path in [*sorted((ROOT / "core").rglob("*.py")), *_member_facing_sources()]:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call) \
                    and _name(node.exc.func) == "InvalidParams" \
                    and not _names_a_code(node.exc.args[0] if node.exc.args else None):
                raw.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert raw == []


@pytest.mark.parametrize("lang", LANGUAGES)
def test_a_mistyped_request_is_refused_in_the_members_language(lang: str) -> None:
    from core.catalogue import render
    from core.command_syntax import parse_imagine_request
    from core.domain import Rejected
    from core.params import InvalidParams

    with pytest.raises(InvalidParams) as caught:
        parse_imagine_request("a fox --sede 3")
    assert str(caught.value).startswith("Unknown option --sede. Options: --negative")  # logs and tools: English
    said = render(Rejected("params", caught.value.said()), lang)
    assert said == render(caught.value, lang) and "--sede" in said
    assert said.startswith("未知选项 --sede" if lang == "zh" else "Unknown option --sede")
    legacy = InvalidParams("An English sentence from before the catalogue.")  # still shown, as it is
    assert render(legacy, lang) == "An English sentence from before the catalogue."
