"""The satisfaction report as one HTML page: no scripts, no external files, every value escaped
(comments are customers' own words)."""

from __future__ import annotations

from html import escape
from typing import Any

DIMENSION_NAMES = {
    "responsiveness": "响应及时性",
    "resolution": "问题解决能力",
    "professionalism": "服务专业性",
    "patience": "沟通耐心度",
    "proactiveness": "主动服务意识",
    "overall": "整体满意度",
    "recommend": "推荐意愿",
}
GROUP_NAMES = {"topic": "按业务", "product_line": "按产品线", "channel": "按渠道", "team": "按团队"}
TOPIC_NAMES = {
    "return": "退货", "exchange": "换货", "refund": "退款", "repair": "维修",
    "complaint": "投诉", "faq": "政策咨询", "parcel": "物流",
}  # fmt: skip
WEEKS_SHOWN = 12

_STYLE = """
body{font-family:system-ui,"Noto Sans CJK SC","PingFang SC","Microsoft YaHei",sans-serif;
margin:2rem auto;max-width:60rem;padding:0 1rem;color:#222}
h1{font-size:1.5rem}h2{font-size:1.15rem;margin-top:2rem;border-bottom:1px solid #ddd}
table{border-collapse:collapse;margin:.5rem 0}td,th{padding:.25rem .6rem;border:1px solid #ddd;
text-align:right}th:first-child,td:first-child{text-align:left}.tiles{display:flex;gap:1rem;
flex-wrap:wrap}.tile{border:1px solid #ddd;border-radius:6px;padding:.6rem 1rem;min-width:8rem}
.tile b{display:block;font-size:1.4rem}.missed,.flag{color:#b00020;font-weight:600}
.met{color:#1b7a32;font-weight:600}.muted{color:#777}
"""


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value:.1%}"


def _num(value: float | None) -> str:
    return "—" if value is None else f"{value:.2f}"


def _delta(now: float | None, then: float | None) -> str:
    if now is None or then is None:
        return "—"
    return f"{(now - then) * 100:+.1f} 个百分点"


class Markup(str):
    """HTML this module wrote itself; every other string is escaped where it is placed."""


def _flag(css: str, text: str) -> Markup:
    return Markup(f'<span class="{css}">{escape(text)}</span>')


def _table(head: list[str], rows: list[list[str]]) -> str:
    """Cells are escaped here, except Markup (what this module marked up itself)."""

    def cell(value: str) -> str:
        return value if isinstance(value, Markup) else escape(value)

    lines = ["<table><tr>" + "".join(f"<th>{escape(h)}</th>" for h in head) + "</tr>"]
    lines += ["<tr>" + "".join(f"<td>{cell(c)}</td>" for c in row) + "</tr>" for row in rows]
    return "\n".join(lines) + "</table>"


def _img(charts: dict[str, str], name: str, alt: str) -> str:
    if name not in charts:
        return ""
    return f'<p><img alt="{escape(alt)}" src="data:image/png;base64,{charts[name]}"></p>'


def _targets(data: dict[str, Any]) -> str:
    rows = []
    for target in data["targets"]:
        met = target["met"]
        verdict = (
            _flag("muted", "无数据") if met is None
            else _flag("met", "达成") if met
            else _flag("missed", "未达成")
        )  # fmt: skip
        rows.append([target["label"], _pct(target["actual"]), verdict])
    return _table(["承诺目标", "实际", "结果"], rows)


def _comparison(data: dict[str, Any]) -> str:
    comparison = data["comparison"]
    if not comparison:
        return "<p class='muted'>本期没有评价。</p>"
    current = comparison["current"]
    rows = []
    for label, key in (("环比（上月）", "previous_month"), ("同比（去年同月）", "year_before")):
        other = comparison[key]
        rows.append([
            label,
            _pct(other["satisfaction_rate"]) if other else "无数据",
            _delta(current["satisfaction_rate"], other["satisfaction_rate"]) if other else "—",
            _num(other["means"]["overall"]) if other else "无数据",
        ])  # fmt: skip
    head = f"<p>最近一个月 {escape(comparison['month'])}：满意率 {_pct(current['satisfaction_rate'])}，"
    head += (
        f"整体满意度均分 {_num(current['means']['overall'])}（{current['answered']} 条评价）。</p>"
    )
    return head + _table(["对比", "满意率", "变化", "整体均分"], rows)


def _groups(data: dict[str, Any]) -> str:
    share = data["group_below_mean_share"]
    parts = [f"<p>均分比全体低 {share:.0%} 及以上的组标为<span class='flag'>需关注</span>。</p>"]
    for key, groups in data["groups"].items():
        rows = [
            [
                TOPIC_NAMES.get(g["name"], g["name"]) if key == "topic" else g["name"],
                str(g["summary"]["answered"]),
                _num(g["summary"]["means"]["overall"]),
                _pct(g["summary"]["satisfaction_rate"]),
                _pct(g["summary"]["first_contact_resolution"]),
                _flag("flag", "需关注") if g["flagged"] else "",
            ]
            for g in groups
        ]
        parts.append(f"<h3>{escape(GROUP_NAMES[key])}</h3>")
        parts.append(_table(["组", "评价数", "整体均分", "满意率", "一次性解决率", ""], rows))
    return "\n".join(parts)


def _keywords(data: dict[str, Any]) -> str:
    share = data["pain_point_share"]
    unhappy = [
        [k["word"], str(k["comments"]), _pct(k["share"]),
         _flag("flag", "共性痛点") if k["shared_pain_point"] else ""]
        for k in data["keywords_dissatisfied"]
    ]  # fmt: skip
    happy = [[k["word"], str(k["comments"]), _pct(k["share"])] for k in data["keywords_satisfied"]]
    return (
        f"<p>不满意评价（整体 1–3 分）的留言 {data['comments']['dissatisfied']} 条；"
        f"出现在超过 {share:.0%} 留言中的词标为共性痛点。</p>"
        + _table(["关键词", "留言数", "占比", ""], unhappy)
        + f"<p>满意评价（4–5 分）的留言 {data['comments']['satisfied']} 条：</p>"
        + _table(["关键词", "留言数", "占比"], happy)
    )


def _extremes(data: dict[str, Any]) -> str:
    rows = [
        [r["created_at"][:16].replace("T", " "), TOPIC_NAMES.get(r["topic"], r["topic"]),
         r["channel"], r["subject"] or "", str(r["overall"]), r["comment"] or ""]
        for r in data["extreme_ratings"]
    ]  # fmt: skip
    if not rows:
        return "<p class='muted'>没有全 1 分或全 5 分的评价。</p>"
    return "<p>每一项都是 1 分或都是 5 分的评价，留待复核，不从统计中剔除。</p>" + _table(
        ["时间", "业务", "渠道", "编号", "整体", "留言"], rows
    )


def _bot_quality(data: dict[str, Any]) -> str:
    bot = data["bot_quality"]
    if not bot["conversations"]:
        return "<p class='muted'>本期对话记录里没有客户消息。</p>"
    median = bot["median_turns_per_job"]
    lines = _table(
        ["指标", "数值"],
        [
            ["对话数（有客户消息）", str(bot["conversations"])],
            ["客户消息数", str(bot["messages"])],
            ["表单外没听懂的消息占比（nlu_fallback）", _pct(bot["fallback_rate"])],
            ["转人工的对话占比", _pct(bot["handoff_rate"])],
            ["表单中途放弃的对话", str(bot["abandoned_conversations"])],
            ["办完的业务", str(bot["jobs_done"])],
            ["每件业务的客户消息数（中位数）", "—" if median is None else f"{median:g}"],
        ],
    )

    def counted(title: str, head: str, pairs: list[list[Any]]) -> str:
        rows = [[str(name), str(count)] for name, count in pairs]
        return f"<h3>{escape(title)}</h3>" + (
            _table([head, "次数"], rows) if rows else "<p class='muted'>无。</p>"
        )

    return (
        "<p>来自对话记录（已脱敏）：这些数字决定下一步该训练什么。</p>"
        + lines
        + counted("没听懂时，模型最接近的猜测", "意图", bot["fallback_guesses"])
        + counted("转人工之前客户说的是", "意图", bot["handoff_after"])
        + counted("中途放弃在哪个问题", "表单 / 问到的信息", bot["abandoned"])
    )


def render_page(data: dict[str, Any], charts: dict[str, str]) -> str:
    """The whole report page."""
    summary = data["summary"]
    tiles = [
        ("评价数", f"{summary['answered']} / {summary['offered']}",
         f"回复率 {_pct(summary['response_rate'])}"),
        ("满意率", _pct(summary["satisfaction_rate"]), "整体 4–5 分"),
        ("一次性解决率", _pct(summary["first_contact_resolution"]), "客户答已解决或办结"),
        ("推荐率", _pct(summary["recommend_rate"]), "推荐意愿 4–5 分"),
        ("极端评价", str(summary["extreme"]), "全 1 分或全 5 分"),
    ]  # fmt: skip
    tile_html = "".join(
        f"<div class='tile'>{escape(t)}<b>{escape(v)}</b><span class='muted'>{escape(n)}</span></div>"
        for t, v, n in tiles
    )
    means = [[DIMENSION_NAMES[d], _num(v)] for d, v in summary["means"].items()]
    weeks = list(data["weekly"].items())[-WEEKS_SHOWN:]
    weekly = [
        [w, str(s["answered"]), _pct(s["satisfaction_rate"]), _num(s["means"]["overall"])]
        for w, s in weeks
    ]
    monthly = [
        [m, str(s["answered"]), _pct(s["satisfaction_rate"]), _pct(s["recommend_rate"]),
         _pct(s["first_contact_resolution"]), _num(s["means"]["overall"])]
        for m, s in data["monthly"].items()
    ]  # fmt: skip
    return f"""<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>售后满意度报告 {escape(data["since"])} – {escape(data["until"])}</title>
<style>{_STYLE}</style></head><body>
<h1>售后满意度报告</h1>
<p class="muted">{escape(data["since"])} 至 {escape(data["until"])}，生成于 {escape(data["generated_at"][:16].replace("T", " "))}</p>
<div class="tiles">{tile_html}</div>
<h2>承诺目标</h2>{_targets(data)}
<p class="muted">本期投诉 {data["complaints_in_period"]} 件。</p>
<h2>趋势</h2>{_img(charts, "monthly", "satisfaction and recommend rate by month")}
{_comparison(data)}
{_table(["月份", "评价数", "满意率", "推荐率", "一次性解决率", "整体均分"], monthly)}
<h3>最近 {WEEKS_SHOWN} 周</h3>{_table(["周", "评价数", "满意率", "整体均分"], weekly)}
<h2>各维度均分</h2>{_img(charts, "dimensions", "mean score per dimension")}
{_table(["维度", "均分（1–5）"], means)}
<h2>分组对比</h2>{_groups(data)}
<h2>留言关键词</h2>{_keywords(data)}
<h2>极端评价复核</h2>{_extremes(data)}
<h2>机器人自身的问题</h2>{_bot_quality(data)}
</body></html>
"""
