"""The operator console at /ops, on the page's server: open promises nearest to breach, a
conversation's transcript, the satisfaction report, and the two things an agent does here
(take a waiting handoff, mark a complaint resolved).

Without OPS_PASSWORD_HASH every /ops route answers 404. Pages are plain HTML and CSS with no
script; every value is escaped; forms carry the session's form token, and a post from
another origin is refused even with it.
"""

from __future__ import annotations

import asyncio
import logging
import os
import threading
import time
from dataclasses import dataclass
from html import escape
from pathlib import Path
from urllib.parse import quote

from aiohttp import web
from sqlalchemy.exc import SQLAlchemyError

from bot.config import PROJECT_ROOT
from bot.identifiers import proxied_client
from bot.services.deadlines import (
    KEPT_LABELS,
    Deadline,
    due_text,
    kept_per_week,
    open_deadlines,
    time_left,
)
from bot.services.handling import apply_step
from bot.services.transcripts import transcript
from bot.store import InvalidRequest, StoreError
from bot.web import console_auth as auth

logger = logging.getLogger(__name__)

COOKIE = "ops_session"
# OPS_REPORT_DIR: where the console keeps the report it serves
REPORT_DIR = Path(os.environ.get("OPS_REPORT_DIR") or PROJECT_ROOT / "reports" / "satisfaction")
REPORT_MAX_AGE_S = 15 * 60  # the console's report is rebuilt when older than this
MAX_FORM_BYTES = 4096
# The report page is one file with its own style and inline charts: nothing else may load,
# and no other page may frame it.
REPORT_POLICY = (
    "default-src 'none'; img-src data:; style-src 'unsafe-inline'; "
    "frame-ancestors 'none'; form-action 'none'; base-uri 'none'"
)
ACTIONS = {"handoff": ("take-handoff", "已接待"), "complaint_solution": ("resolve", "标记已解决")}
# The site's no-referrer policy makes Chromium send "Origin: null" with a form post, which the
# origin check refuses: the console's own pages name their origin to themselves, and to nobody
# else.
PAGE_HEADERS = {"Cache-Control": "no-store", "Referrer-Policy": "same-origin"}


@dataclass(frozen=True)
class ConsoleOptions:
    """The console's settings; `password_hash` None turns the console off."""

    password_hash: str | None
    secret: str  # signs sessions and form tokens
    # OPS_PUBLIC_ORIGIN: the console's address as browsers see it ("https://ops.example.com")
    # behind a TLS proxy; forms must come from it, and the cookie is then Secure.
    public_origin: str | None = None
    # OPS_BEHIND_PROXY=1: the lockout counts the address the proxy appends to
    # X-Forwarded-For, not the proxy's own (which every operator would share).
    behind_proxy: bool = False


_CHECKER: auth.PasswordChecker | None = None


def _checker() -> auth.PasswordChecker:
    global _CHECKER
    if _CHECKER is None:
        _CHECKER = auth.PasswordChecker()
    return _CHECKER


def _page(title: str, body: str, status: int = 200) -> web.Response:
    html = (
        '<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f'<title>{escape(title)} · 售后运营台</title><link rel="stylesheet" href="/static/ops.css">'
        f"</head><body><h1>{escape(title)}</h1>{body}</body></html>"
    )
    return web.Response(text=html, status=status, content_type="text/html", headers=PAGE_HEADERS)


def _enabled(options: ConsoleOptions) -> str:
    if not options.password_hash:
        raise web.HTTPNotFound()
    return options.password_hash


async def _signed_in(request: web.Request, options: ConsoleOptions) -> auth.ConsoleSession:
    """The session, or a redirect to the sign-in form (a 403 for a post)."""
    password_hash = _enabled(options)
    token = request.cookies.get(COOKIE)
    try:
        session = (
            await asyncio.to_thread(auth.read_session, token, options.secret, password_hash)
            if token
            else None
        )
    except StoreError:
        raise web.HTTPServiceUnavailable(text="the store is not reachable") from None
    if session is None:
        if request.method != "GET":
            raise web.HTTPForbidden(text="not signed in")
        raise web.HTTPSeeOther("/ops/login")
    return session


def _origin(request: web.Request, options: ConsoleOptions) -> str:
    return options.public_origin or f"{request.scheme}://{request.host}"


async def _form(request: web.Request, options: ConsoleOptions) -> dict[str, str]:
    """A small url-encoded form from this console's own origin; anything else is a 4xx."""
    origin = request.headers.get("Origin")
    if origin is not None and origin != _origin(request, options):
        raise web.HTTPForbidden(text="cross-origin post")
    if request.headers.getall("Content-Encoding", []):
        raise web.HTTPUnsupportedMediaType(text="no compressed forms")
    if (request.content_length or 0) > MAX_FORM_BYTES:
        raise web.HTTPRequestEntityTooLarge(MAX_FORM_BYTES, request.content_length or 0)
    try:
        return {k: str(v) for k, v in (await request.post()).items()}
    except (ValueError, LookupError, AssertionError):  # bad charset, bytes or multipart
        raise web.HTTPBadRequest(text="not a form this page sends") from None


async def _checked_form(
    request: web.Request, options: ConsoleOptions, session: auth.ConsoleSession
) -> dict[str, str]:
    """The posted form, if it came from this console's own page of this session."""
    form = await _form(request, options)
    if not auth.same_token(form.get("csrf", ""), auth.form_token(session, options.secret)):
        raise web.HTTPForbidden(text="stale or missing form token")
    return form


def _login_form(message: str = "") -> str:
    note = f"<p class='error'>{escape(message)}</p>" if message else ""
    return (
        f"{note}<form method='post' action='/ops/login'><label>密码 "
        "<input type='password' name='password' autocomplete='current-password' required autofocus>"
        "</label> <button type='submit'>登录</button></form>"
    )


async def login_page(request: web.Request, options: ConsoleOptions) -> web.Response:
    """GET /ops/login."""
    _enabled(options)
    return _page("登录", _login_form())


def client_address(request: web.Request, options: ConsoleOptions) -> str:
    """The browser's address: with OPS_BEHIND_PROXY=1 the one the proxy appended to
    X-Forwarded-For, else the connection's."""
    forwarded = proxied_client(request.headers.get("X-Forwarded-For"))
    if options.behind_proxy and forwarded:
        return forwarded
    return request.remote or "?"


async def login(request: web.Request, options: ConsoleOptions) -> web.Response:
    """POST /ops/login: the password against its hash, under the store's lockout."""
    password_hash = _enabled(options)
    password = (await _form(request, options)).get("password", "")
    checker = _checker()
    if not checker.reserve():
        return _page("登录", _login_form("登录请求太多，请稍后再试。"), status=429)
    client = auth.client_key(client_address(request, options), password_hash)
    try:
        attempt, blocked = await asyncio.to_thread(auth.begin_sign_in, client)
        if blocked:
            return _page("登录", _login_form("尝试次数过多，请 15 分钟后再试。"), status=429)
        ok = await checker.check(password, password_hash)
        if ok:
            await asyncio.to_thread(auth.sign_in_succeeded, attempt)
            token, _ = await asyncio.to_thread(auth.issue_session, options.secret, password_hash)
    except StoreError:
        return _page("登录", _login_form("数据库暂时不可用，请稍后再试。"), status=503)
    finally:
        checker.release()
    if not ok:
        logger.warning("console sign-in refused")
        return _page("登录", _login_form("密码不正确。"), status=401)
    response = web.HTTPSeeOther("/ops")
    secure = request.secure or (options.public_origin or "").startswith("https://")
    response.set_cookie(
        COOKIE, token, path="/ops", httponly=True, samesite="Strict", secure=secure,
        max_age=auth.SESSION_HOURS * 3600,
    )  # fmt: skip
    logger.info("console sign-in")
    raise response


async def logout(request: web.Request, options: ConsoleOptions) -> web.Response:
    """POST /ops/logout."""
    session = await _signed_in(request, options)
    await _checked_form(request, options, session)
    try:
        await asyncio.to_thread(auth.end_session, session)
    except StoreError:
        raise web.HTTPServiceUnavailable(text="the store is not reachable") from None
    response = web.HTTPSeeOther("/ops/login")
    response.del_cookie(COOKIE, path="/ops")
    raise response


def _action_form(deadline: Deadline, token: str) -> str:
    action = ACTIONS.get(deadline.what)
    if action is None:
        return ""
    step, label = action
    return (
        f"<form method='post' action='/ops/{step}/{quote(deadline.public_id)}'>"
        f"<input type='hidden' name='csrf' value='{token}'>"
        f"<button type='submit'>{escape(label)}</button></form>"
    )


def _deadline_rows(deadlines: list[Deadline], token: str) -> str:
    rows = []
    for d in deadlines:
        talk = (
            f"<a href='/ops/conversations?id={quote(d.conversation_id, safe='')}'>对话</a>"
            if d.conversation_id
            else ""
        )
        css = "overdue" if d.overdue else ""
        rows.append(
            f"<tr class='{css}'><td>{escape(time_left(d.left))}</td><td>{escape(d.public_id)}</td>"
            f"<td>{escape(d.label)}</td><td>{escape(due_text(d.due))}</td><td>{talk}</td>"
            f"<td>{_action_form(d, token)}</td></tr>"
        )
    if not rows:
        return "<p>没有未完成的承诺。</p>"
    head = "<tr><th>剩余时间</th><th>编号</th><th>承诺</th><th>截止</th><th></th><th></th></tr>"
    return f"<table>{head}{''.join(rows)}</table>"


def _kept_table(weeks: dict[str, dict[str, tuple[int, int]]]) -> str:
    if not weeks:
        return "<p>最近几周没有到期的承诺。</p>"
    head = "<tr><th>周</th>" + "".join(f"<th>{escape(v)}</th>" for v in KEPT_LABELS.values())
    rows = []
    for week, kinds in weeks.items():
        cells = []
        for what in KEPT_LABELS:
            kept, counted = kinds.get(what, (0, 0))
            missed = "overdue" if kept < counted else ""
            text = f"{kept}/{counted}（{kept / counted:.0%}）" if counted else "—"
            cells.append(f"<td class='{missed}'>{escape(text)}</td>")
        rows.append(f"<tr><td>{escape(week)}</td>{''.join(cells)}</tr>")
    return f"<table>{head}</tr>{''.join(rows)}</table>"


async def dashboard(request: web.Request, options: ConsoleOptions) -> web.Response:
    """GET /ops: every open promise, nearest to breach first."""
    session = await _signed_in(request, options)
    token = auth.form_token(session, options.secret)
    try:
        deadlines = await asyncio.to_thread(open_deadlines)
        kept = await asyncio.to_thread(kept_per_week)
    except StoreError:
        return _page("运营台", "<p class='error'>数据库暂时不可用。</p>", status=503)
    overdue = sum(d.overdue for d in deadlines)
    body = (
        "<nav><a href='/ops/report'>满意度报告</a> · "
        "<form class='inline' method='get' action='/ops/conversations'>"
        "<input name='id' placeholder='对话 ID' required maxlength='128'> <button>查看对话</button>"
        "</form> · <form class='inline' method='post' action='/ops/logout'>"
        f"<input type='hidden' name='csrf' value='{token}'><button>退出登录</button></form></nav>"
        f"<h2>未完成的承诺（{len(deadlines)} 项，已超时 {overdue} 项）</h2>"
        + _deadline_rows(deadlines, token)
        + "<h2>承诺兑现（按截止日所在周）</h2>"
        + _kept_table(kept)
    )
    return _page("运营台", body)


async def act(request: web.Request, options: ConsoleOptions) -> web.Response:
    """POST /ops/{take-handoff|resolve}/{public_id}: one operator step, then back."""
    session = await _signed_in(request, options)
    await _checked_form(request, options, session)
    step, public_id = request.match_info["step"], request.match_info["public_id"]
    try:
        await asyncio.to_thread(apply_step, step, public_id)
    except InvalidRequest as exc:
        return _page("操作未完成", f"<p class='error'>{escape(str(exc))}</p>"
                     "<p><a href='/ops'>返回</a></p>", status=409)  # fmt: skip
    except StoreError:
        return _page("操作未完成", "<p class='error'>数据库暂时不可用。</p>", status=503)
    logger.info("console step %s", step)
    raise web.HTTPSeeOther("/ops")


async def conversation(request: web.Request, options: ConsoleOptions) -> web.Response:
    """GET /ops/conversations?id=…: the conversation as the customer saw it, phones masked."""
    await _signed_in(request, options)
    conversation_id = request.query.get("id", "")
    try:
        lines = await asyncio.to_thread(transcript, conversation_id)
    except SQLAlchemyError:
        return _page("对话", "<p class='error'>对话记录暂时读不到。</p>", status=503)
    if not lines:
        return _page("对话", "<p>没有找到这个对话。</p><p><a href='/ops'>返回</a></p>", 404)
    rows = "".join(
        f"<tr class='{line.speaker}'><td>{line.at:%m-%d %H:%M}</td>"
        f"<td>{'客户' if line.speaker == 'customer' else '机器人'}</td>"
        f"<td class='text'>{escape(line.text)}</td></tr>"
        for line in lines
    )
    body = f"<p><a href='/ops'>返回</a></p><table class='transcript'>{rows}</table>"
    return _page(f"对话 {conversation_id}", body)


_REPORT_LOCK = threading.Lock()  # one rebuild at a time; the others wait for its result


def _fresh_report() -> Path:
    """The report file, rebuilt when missing or older than REPORT_MAX_AGE_S."""
    from bot.insights.report import write_report  # matplotlib: only when the report is asked

    html = REPORT_DIR / "report.html"
    with _REPORT_LOCK:
        if not html.exists() or time.time() - html.stat().st_mtime > REPORT_MAX_AGE_S:
            html, _ = write_report(REPORT_DIR)
    return html


async def report(request: web.Request, options: ConsoleOptions) -> web.Response:
    """GET /ops/report: the latest satisfaction report."""
    await _signed_in(request, options)
    try:
        html = await asyncio.to_thread(_fresh_report)
    except (StoreError, SQLAlchemyError):  # the store, or the tracker store it also reads
        return _page("满意度报告", "<p class='error'>数据库暂时不可用。</p>", status=503)
    return web.Response(
        text=html.read_text(encoding="utf-8"), content_type="text/html",
        headers={"Content-Security-Policy": REPORT_POLICY, "Cache-Control": "no-store"},
    )  # fmt: skip
