"""Demo data: the nine orders the team tests with, plus months of history for reports.

Dates are relative to the moment of seeding, so the policy windows always hold: the T-shirt
is always on day 4 of its 7-day window, the television always out of warranty.
"""

from __future__ import annotations

import datetime as dt
import logging
import random
from dataclasses import dataclass
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.config import DEFAULT_RETURN_ADDRESS
from bot.policy import (
    Dimension,
    PolicyRules,
    ReturnReason,
    Severity,
    WorkCalendar,
    complaint_deadlines,
    completion_due,
    is_extreme,
    refund_amount,
    refund_schedule,
    shipping_payer,
)
from bot.store.ids import next_public_id
from bot.store.models import (
    AfterSalesRequest,
    Complaint,
    Customer,
    Order,
    OrderItem,
    Rating,
    Refund,
    RepairBooking,
)
from bot.store.repository import AfterSalesRepository

logger = logging.getLogger(__name__)

HISTORY_DAYS = 400  # a little over a year, so year-on-year comparisons have something to use
HISTORY_RATINGS = 420


@dataclass(frozen=True)
class DemoOrder:
    order_no: str
    phone: str
    product: str
    category: str
    price: str
    shipping: str
    route: str
    status: str
    paid_days_ago: int
    shipped_days_ago: int | None
    delivered_days_ago: int | None
    warranty_months: int
    more_items: tuple[tuple[str, str, str], ...] = ()  # (product, category, price) after the first


CUSTOMERS = {
    "13800138000": ("张伟", "北京市朝阳区建国路88号 3号楼1单元502"),
    "13900139000": ("李娜", "上海市浦东新区世纪大道100号 12层"),
    "13700137000": ("王强", "广州市天河区天河路385号 8栋1203"),
    "13600136000": ("赵敏", "深圳市南山区科技园南路15号 2栋701"),
    "13500135000": ("陈静", "杭州市西湖区文三路90号 5幢302"),
}

# fmt: off
DEMO_ORDERS = [
    DemoOrder("202411150003", "13800138000", "纯棉T恤", "服装", "129.00", "10.00", "alipay", "delivered", 6, 5, 3, 0),
    DemoOrder("202410010002", "13800138000", "跑步鞋", "鞋靴", "459.00", "0.00", "alipay", "delivered", 45, 43, 40, 3),
    DemoOrder("202411180005", "13900139000", "坚果礼盒", "食品", "168.00", "0.00", "wechat", "delivered", 4, 3, 2, 0),
    DemoOrder("202411020007", "13900139000", "蓝牙耳机", "数码", "299.00", "0.00", "wechat", "delivered", 22, 21, 18, 12),
    DemoOrder("202411100008", "13900139000", "保温杯", "家居", "89.00", "8.00", "wechat", "closed", 20, 19, 17, 0),
    DemoOrder("202409010033", "13700137000", "滚筒洗衣机", "家电", "2999.00", "0.00", "card", "delivered", 85, 83, 80, 12),
    DemoOrder("202201050009", "13700137000", "液晶电视", "家电", "3599.00", "0.00", "card", "delivered", 1100, 1098, 1095, 12),
    DemoOrder("202411190010", "13700137000", "电动牙刷", "个人护理", "199.00", "0.00", "balance", "paid", 1, None, None, 12),
    DemoOrder("202411170012", "13800138000", "羽绒服", "服装", "599.00", "12.00", "alipay", "delivered", 5, 4, 2, 0,
              more_items=(("羊毛围巾", "服装", "99.00"),)),
    # 赵敏's orders each have a request at a different stage (see _requests_in_every_state).
    DemoOrder("202411210031", "13600136000", "连衣裙", "服装", "239.00", "0.00", "alipay", "delivered", 4, 3, 2, 0),
    DemoOrder("202411160032", "13600136000", "牛仔裤", "服装", "199.00", "10.00", "alipay", "delivered", 7, 6, 4, 0),
    DemoOrder("202411140033", "13600136000", "运动外套", "服装", "359.00", "0.00", "wechat", "delivered", 8, 7, 5, 0),
    DemoOrder("202410200034", "13600136000", "挂式空调", "家电", "3299.00", "0.00", "card", "delivered", 40, 38, 35, 12),
    DemoOrder("202411080035", "13600136000", "电饭煲", "家电", "399.00", "0.00", "wechat", "delivered", 15, 14, 12, 12),
    # 陈静's parcels: stalled on the way, moving normally, signed for but not received.
    DemoOrder("202411230041", "13500135000", "蓝牙音箱", "数码", "259.00", "0.00", "alipay", "shipped", 6, 5, None, 12),
    DemoOrder("202411260042", "13500135000", "保暖内衣", "服装", "159.00", "0.00", "wechat", "shipped", 2, 1, None, 0),
    DemoOrder("202411240043", "13500135000", "台灯", "家居", "129.00", "0.00", "alipay", "delivered", 5, 4, 1, 12),
]
# The outbound parcel as the carrier last reported it: (courier, number, where, hours ago);
# None hours: the delivery itself.
PARCELS = {
    "202411230041": ("ZTO", "ZT7730012345678", "杭州转运中心", 80),
    "202411260042": ("YTO", "YT2460098765432", "武汉转运中心", 6),
    "202411240043": ("SF", "SF1240055667788", "已签收（快递柜代收）", None),
}

# History: product lines and comments to spread over a year of ratings and tickets.
HISTORY_PRODUCTS = [
    ("连衣裙", "服装", "239.00", 0), ("牛仔裤", "服装", "199.00", 0), ("篮球鞋", "鞋靴", "699.00", 3),
    ("扫地机器人", "家电", "1899.00", 12), ("空气炸锅", "家电", "399.00", 12),
    ("智能手表", "数码", "1299.00", 12), ("充电宝", "数码", "149.00", 12),
    ("面霜", "化妆品", "329.00", 0), ("不粘锅", "家居", "259.00", 12), ("茶叶礼盒", "食品", "288.00", 0),
]
# fmt: on
TOPICS = ["return", "exchange", "refund", "repair", "complaint", "faq"]
TEAMS = ["bot", "售后一组", "售后二组"]
CHANNELS = ["web", "wechat", "app"]
PRAISE = ["处理很快，点赞", "客服很耐心", "退款到账很及时", "流程清楚", "解决得很顺利"]
PAIN = [
    "等待时间长",
    "解释不清晰",
    "退款太慢了",
    "要反复说明情况",
    "上门时间约不上",
    "等待时间长，希望快点",
]
COMPLAINT_TEXTS = [
    ("delivery", "快递三天没更新物流"),
    ("quality", "收到的商品有划痕"),
    ("service", "客服回复太慢"),
    ("refund", "退款一直没到账"),
]


def _day(now: dt.datetime, days_ago: int, hour: int = 10) -> dt.datetime:
    return (now - dt.timedelta(days=days_ago)).replace(hour=hour, minute=0, second=0, microsecond=0)


def _at(now: dt.datetime, days_ago: int | None, hour: int = 10) -> dt.datetime | None:
    return None if days_ago is None else _day(now, days_ago, hour)


def is_empty(session: Session) -> bool:
    """True if no order has been stored yet."""
    return session.execute(select(func.count()).select_from(Order)).scalar_one() == 0


def seed(session: Session, now: dt.datetime, tz: ZoneInfo, calendar: WorkCalendar) -> None:
    """Write the demo orders and their history as of `now` (aware) into an empty store."""
    if not is_empty(session):
        raise RuntimeError("the store already holds orders; seed only an empty database")
    local_now = now.astimezone(tz)
    customers = {
        phone: Customer(name=name, phone=phone, created_at=now - dt.timedelta(days=1200))
        for phone, (name, _address) in CUSTOMERS.items()
    }
    session.add_all(customers.values())
    orders = {d.order_no: _demo_order(d, customers[d.phone], local_now) for d in DEMO_ORDERS}
    session.add_all(orders.values())
    session.flush()
    _earphone_refund_in_progress(session, orders["202411020007"], local_now, calendar)
    _cup_refund_credited(session, orders["202411100008"], local_now, calendar)
    _requests_in_every_state(session, orders, local_now, tz, calendar)
    _history(session, local_now, calendar)
    logger.info("seeded %d demo orders and %d days of history", len(orders), HISTORY_DAYS)


def _demo_order(d: DemoOrder, customer: Customer, now: dt.datetime) -> Order:
    order = Order(
        order_no=d.order_no,
        customer=customer,
        buyer_phone=d.phone,
        amount=sum((Decimal(d.price), *(Decimal(p) for _, _, p in d.more_items)), Decimal(0)),
        shipping_fee=Decimal(d.shipping),
        payment_route=d.route,
        status=d.status,
        shipping_address=CUSTOMERS[d.phone][1],
        warranty_months=d.warranty_months,
        paid_at=_at(now, d.paid_days_ago, 9),
        shipped_at=_at(now, d.shipped_days_ago, 15),
        delivered_at=_at(now, d.delivered_days_ago, 11),
    )
    if d.order_no in PARCELS:
        order.courier, order.tracking_no, order.last_scan, hours_ago = PARCELS[d.order_no]
        order.last_scan_at = (
            order.delivered_at if hours_ago is None else now - dt.timedelta(hours=hours_ago)
        )
    lines = [(d.product, d.category, d.price), *d.more_items]
    order.items = [
        OrderItem(product_name=product, category=category, unit_price=Decimal(price))
        for product, category, price in lines
    ]
    return order


def _past_return(
    session: Session,
    order: Order,
    *,
    applied: dt.datetime,
    reason: ReturnReason,
    status: str,
    calendar: WorkCalendar,
    description: str | None = None,
    kind: str = "return",
) -> AfterSalesRequest:
    """A return (or exchange) application made at `applied`, with the deadlines the policy
    gave it then."""
    rules = PolicyRules()
    request = AfterSalesRequest(
        public_id=next_public_id(session, kind, applied.date()),
        order=order,
        item=order.items[0],
        kind=kind,
        reason=reason.value,
        quality_problem=reason is ReturnReason.QUALITY,
        description=description,
        status=status,
        shipping_payer=shipping_payer(reason).value,
        review_due=calendar.add_working_days(applied.date(), rules.return_review_working_days).date,
        processing_due=calendar.add_working_days(
            applied.date(), rules.return_processing_working_days
        ).date,
        created_at=applied,
    )
    session.add(request)
    return request


def _past_refund(
    session: Session,
    request: AfterSalesRequest,
    *,
    amount: Decimal,
    received: dt.date,
    calendar: WorkCalendar,
    paid_out_on: dt.date | None = None,
    credited_on: dt.date | None = None,
) -> None:
    """The refund of a returned item whose goods came back on `received`."""
    quality = request.quality_problem
    schedule = refund_schedule(received, quality=quality, rules=PolicyRules(), calendar=calendar)
    session.add(
        Refund(
            public_id=next_public_id(session, "refund", received),
            order=request.order,
            request=request,
            amount=amount,
            route=request.order.payment_route,
            quality_problem=quality,
            goods_received_on=received,
            due_on=schedule.refund_due,
            paid_out_on=paid_out_on,
            credit_earliest=schedule.credit_earliest,
            credit_latest=schedule.credit_latest,
            credited_on=credited_on,
            created_at=request.created_at,
        )
    )


def _earphone_refund_in_progress(
    session: Session, order: Order, now: dt.datetime, calendar: WorkCalendar
) -> None:
    """Quality return approved, goods back one working day ago, refund being processed."""
    request = _past_return(
        session, order, applied=now - dt.timedelta(days=10), reason=ReturnReason.QUALITY,
        status="received", calendar=calendar, description="左耳没有声音",
    )  # fmt: skip
    received = calendar.add_working_days(now.date(), -1).date
    amount = refund_amount(order.amount, order.shipping_fee, buyer_reason=False)
    _past_refund(session, request, amount=amount, received=received, calendar=calendar)


def _cup_refund_credited(
    session: Session, order: Order, now: dt.datetime, calendar: WorkCalendar
) -> None:
    """A changed-mind return, refunded without the shipping fee, credited two days ago."""
    request = _past_return(
        session, order, applied=now - dt.timedelta(days=14), reason=ReturnReason.NO_REASON,
        status="completed", calendar=calendar,
    )  # fmt: skip
    credited = now.date() - dt.timedelta(days=2)
    received = calendar.add_working_days(credited, -5).date
    amount = refund_amount(order.amount, order.shipping_fee, buyer_reason=True)
    _past_refund(
        session, request, amount=amount, received=received, calendar=calendar,
        paid_out_on=calendar.add_working_days(received, 2).date, credited_on=credited,
    )  # fmt: skip


def _requests_in_every_state(
    session: Session, orders: dict[str, Order], now: dt.datetime, tz: ZoneInfo,
    calendar: WorkCalendar,
) -> None:  # fmt: skip
    """赵敏's requests, one per stage, so `make run` shows every status: a return under
    review, one waiting for the parcel, an exchange with its tracking number given, a repair
    visit booked, a complaint waiting for its reply."""
    repo = AfterSalesRepository(session, tz, DEFAULT_RETURN_ADDRESS)
    rules = PolicyRules()
    _past_return(
        session, orders["202411210031"], applied=now - dt.timedelta(hours=3),
        reason=ReturnReason.NO_REASON, status="submitted", calendar=calendar,
    )  # fmt: skip
    waiting = _past_return(
        session, orders["202411160032"], applied=now - dt.timedelta(days=2),
        reason=ReturnReason.NO_REASON, status="approved", calendar=calendar,
    )  # fmt: skip
    waiting.return_address = DEFAULT_RETURN_ADDRESS
    exchange = _past_return(
        session, orders["202411140033"], applied=now - dt.timedelta(days=3),
        reason=ReturnReason.QUALITY, status="approved", calendar=calendar,
        description="拉链坏了", kind="exchange",
    )  # fmt: skip
    exchange.return_address = DEFAULT_RETURN_ADDRESS
    exchange.courier, exchange.tracking_no = "SF", "SF1409876543210"
    visit = dt.datetime.combine(now.date() + dt.timedelta(days=6), dt.time(14), tzinfo=tz)
    booked = now - dt.timedelta(days=1)
    session.add(
        RepairBooking(
            public_id=next_public_id(session, "repair", booked.date()),
            order=orders["202410200034"], item=orders["202410200034"].items[0],
            fault="制冷效果差，吹出来是热风", mode="onsite", covered=True,
            address=CUSTOMERS["13600136000"][1], contact_phone="13600136000",
            slot_start=visit, slot_end=visit + dt.timedelta(hours=4), status="booked",
            respond_due=calendar.add_working_days(booked.date(), rules.repair_response_working_days).date,
            complete_due=completion_due(visit.date(), rules, calendar),
            created_at=booked,
        )
    )  # fmt: skip
    opened = now - dt.timedelta(hours=5)
    deadlines = complaint_deadlines(opened, rules, calendar)
    session.add(
        Complaint(
            public_id=next_public_id(session, "complaint", opened.date()),
            order=orders["202411080035"], category="delivery", severity=Severity.MEDIUM.value,
            description="快递员没打电话就把电饭煲放在门口，外箱被雨淋湿了", status="open",
            reply_due=deadlines.reply_due, solution_due=deadlines.solution_due,
            result_due=deadlines.dispute_result_due, created_at=opened,
        )
    )  # fmt: skip
    session.flush()
    for subject in session.execute(
        select(AfterSalesRequest.public_id, AfterSalesRequest.created_at).where(
            AfterSalesRequest.order_id.in_([o.id for o in orders.values()])
        )
    ):
        repo.record_event(subject.public_id, "opened", actor="customer", now=subject.created_at)


def _history(session: Session, now: dt.datetime, calendar: WorkCalendar) -> None:
    """A year of past orders, tickets and ratings, reproducible (fixed random seed)."""
    rng = random.Random(20241122)
    history_customer = Customer(
        name="历史客户", phone="18600000000", created_at=now - dt.timedelta(days=900)
    )
    session.add(history_customer)
    rules = PolicyRules()
    for n in range(60):
        product, category, price, warranty = rng.choice(HISTORY_PRODUCTS)
        days_ago = rng.randint(20, HISTORY_DAYS)
        delivered = _day(now, days_ago, 11)
        order = Order(
            order_no=f"2023{n:08d}",
            customer=history_customer,
            buyer_phone=history_customer.phone,
            amount=Decimal(price),
            shipping_fee=Decimal("0.00"),
            payment_route=rng.choice(["alipay", "wechat"]),
            status="delivered",
            shipping_address="浙江省杭州市西湖区文三路1号",
            warranty_months=warranty,
            paid_at=delivered - dt.timedelta(days=3),
            shipped_at=delivered - dt.timedelta(days=2),
            delivered_at=delivered,
        )
        order.items = [
            OrderItem(product_name=product, category=category, unit_price=Decimal(price))
        ]
        session.add(order)
        session.flush()
        opened = delivered + dt.timedelta(days=rng.randint(1, 6), hours=rng.randint(0, 8))
        if n % 3 == 0:
            category_code, text = rng.choice(COMPLAINT_TEXTS)
            deadlines = complaint_deadlines(opened.astimezone(now.tzinfo), rules, calendar)
            session.add(
                Complaint(
                    public_id=next_public_id(session, "complaint", opened.date()),
                    order=order,
                    category=category_code,
                    severity=rng.choice(list(Severity)).value,
                    description=text,
                    status="resolved",
                    escalated=rng.random() < 0.3,
                    reply_due=deadlines.reply_due,
                    solution_due=deadlines.solution_due,
                    result_due=deadlines.dispute_result_due,
                    replied_at=opened + dt.timedelta(hours=rng.randint(1, 30)),
                    created_at=opened,
                )
            )
        elif n % 3 == 1 and warranty:
            session.add(
                RepairBooking(
                    public_id=next_public_id(session, "repair", opened.date()),
                    order=order,
                    item=order.items[0],
                    fault="无法开机",
                    mode="send_in",
                    covered=True,
                    status="done",
                    respond_due=calendar.add_working_days(
                        opened.date(), rules.repair_response_working_days
                    ).date,
                    complete_due=calendar.add_working_days(
                        opened.date(), rules.repair_completion_working_days
                    ).date,
                    created_at=opened,
                )
            )
        else:
            _past_return(
                session, order, applied=opened, reason=ReturnReason.NO_REASON,
                status="completed", calendar=calendar,
            )  # fmt: skip
    for n in range(HISTORY_RATINGS):
        session.add(_history_rating(rng, n, now))


def _history_rating(rng: random.Random, n: int, now: dt.datetime) -> Rating:
    """One past rating; 售后二组 and repairs run a little lower, as real data would show."""
    team = rng.choice(TEAMS)
    topic = rng.choice(TOPICS)
    _product, category, _price, _warranty = rng.choice(HISTORY_PRODUCTS)
    bias = -1.0 if team == "售后二组" else 0.0
    bias += -0.6 if topic in ("repair", "complaint") else 0.0

    def score() -> int:
        return max(1, min(5, round(rng.gauss(4.3 + bias, 0.9))))

    scores = {d: score() for d in Dimension}
    if n % 97 == 0:  # the occasional all-5 or all-1 form, flagged for review
        value = 5 if n % 2 else 1
        scores = {d: value for d in Dimension}
    overall = scores[Dimension.OVERALL]
    comment = None
    if rng.random() < 0.45:
        comment = rng.choice(PRAISE if overall >= 4 else PAIN)
    when = now - dt.timedelta(days=rng.randint(0, HISTORY_DAYS), hours=rng.randint(0, 12))
    return Rating(
        conversation_id=f"history-{n:05d}",
        channel=rng.choice(CHANNELS),
        topic=topic,
        product_category=category,
        team=team,
        solved=overall >= 3 and rng.random() < 0.9,
        comment=comment,
        flagged_extreme=is_extreme(scores),
        created_at=when,
        updated_at=when,
        **{d.value: s for d, s in scores.items()},
    )
