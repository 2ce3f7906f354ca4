"""`python -m bot <command>`: migrate, seed, status, serve, events, tick, handle, photos,
nlu-review, report, sla and console-password."""

from __future__ import annotations

import argparse
import datetime as dt
import logging
import os
import sys
from pathlib import Path

import yaml

from bot.cli import nlu_review
from bot.clock import shop_now
from bot.config import PROJECT_ROOT, get_settings
from bot.policy import WorkCalendar
from bot.services.handling import PARCEL_OUTCOMES, STEPS
from bot.store import StoreError
from bot.store.db import engine_for, ensure_database, unit_of_work
from bot.store.migrate import revision_status, upgrade
from bot.store.seed import is_empty, seed


def _migrate(args: argparse.Namespace) -> int:
    url = get_settings().database_url
    if args.create_database and ensure_database(url):
        print("created the database")
    upgrade(url)
    print("database schema is up to date")
    return 0


def _seed(args: argparse.Namespace) -> int:
    settings = get_settings()
    engine = engine_for(settings.database_url)
    with unit_of_work(engine) as session:
        if not is_empty(session):
            if args.if_empty:
                print("database already holds orders; not seeding")
                return 0
            print("error: the database already holds orders; seed an empty one", file=sys.stderr)
            return 1
        calendar = WorkCalendar.from_file(settings.holidays_file)
        seed(session, shop_now(), settings.tz, calendar)
    print("demo orders and history loaded")
    return 0


def _status(_args: argparse.Namespace) -> int:
    current, head = revision_status(get_settings().database_url)
    print(f"schema revision: {current or 'none'} (newest: {head})")
    return 0 if current == head else 1


def _tick(_args: argparse.Namespace) -> int:
    from bot.services.ticks import run_tick

    try:
        report = run_tick()
    except StoreError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(
        f"escalated {report.escalated}, compensated {report.compensated}, "
        f"flagged {report.flagged}, notices queued {report.notices}, "
        f"photos deleted {report.photos_deleted}"
    )
    return 0


def _handle(args: argparse.Namespace) -> int:
    from bot.services.handling import apply_step

    try:
        apply_step(args.step, args.public_id, args.text)
    except StoreError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"{args.public_id}: {args.step} done")
    return 0


def _photos(args: argparse.Namespace) -> int:
    from bot.services.photos import photo_bytes, photos_of

    saved = 0
    try:
        photos = photos_of(args.public_id)
        for photo in photos:
            print(f"{photo.id}\t{photo.width}x{photo.height}\t{photo.size} B\t{photo.uploaded_at}")
            found = photo_bytes(photo.id) if args.save else None
            if found:
                folder = Path(args.save)
                folder.mkdir(parents=True, exist_ok=True)
                (folder / f"{args.public_id}-{photo.id}.jpg").write_bytes(found[1])
                saved += 1
    except (StoreError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    where = f", {saved} saved in {args.save}" if args.save else ""
    print(f"{args.public_id}: {len(photos)} photo(s){where}")
    return 0


def _report(args: argparse.Namespace) -> int:
    from bot.insights.report import write_report  # matplotlib: loaded only for the report

    try:
        html, data = write_report(Path(args.out), args.since, args.until)
    except (StoreError, OSError, ValueError) as exc:
        print(f"error: no report written: {exc}", file=sys.stderr)
        return 1
    print(f"report written to {html} (figures in {data})")
    return 0


def _sla(args: argparse.Namespace) -> int:
    from bot.services.deadlines import due_text, open_deadlines, time_left

    try:
        deadlines = open_deadlines(dt.timedelta(hours=args.within))
    except StoreError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    for d in deadlines:
        print(f"{time_left(d.left)}\t{d.public_id}\t{d.label}\t截止 {due_text(d.due)}")
    overdue = sum(d.overdue for d in deadlines)
    print(f"{overdue} overdue, {len(deadlines) - overdue} due within {args.within} hours")
    return 1 if overdue else 0


def _console_password(_args: argparse.Namespace) -> int:
    import getpass

    from bot.web.console_auth import hash_password

    password = getpass.getpass("console password: ")
    if getpass.getpass("again: ") != password:
        print("error: the two differ", file=sys.stderr)
        return 1
    try:
        print(f"OPS_PASSWORD_HASH={hash_password(password)}")
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


def _serve(args: argparse.Namespace) -> int:
    from bot.cli.serve import serve  # imported here: only this command needs subprocess plumbing

    return serve(shell=args.shell)


def _events(args: argparse.Namespace) -> int:
    from bot.cli.events import run_consumer

    url = os.environ.get("RABBITMQ_URL", "")  # not an argument: it holds a password
    if not url:
        logging.getLogger(__name__).error("RABBITMQ_URL is not set")
        return 1
    return run_consumer(url)


def _nlu_review(args: argparse.Namespace) -> int:
    domain = PROJECT_ROOT / "domain.yml"
    if args.import_file:
        known = nlu_review.known_intents(domain, PROJECT_ROOT / "data" / "nlu")
        try:
            added = nlu_review.import_review(
                Path(args.import_file), known, withheld=nlu_review.evaluation_texts()
            )
        except (nlu_review.ReviewError, OSError, yaml.YAMLError) as exc:
            print(f"error: nothing imported: {exc}", file=sys.stderr)
            return 1
        print(f"{added} messages added to {nlu_review.REVIEWED_DATA.relative_to(PROJECT_ROOT)}")
        return 0
    since = (
        dt.datetime.combine(args.since, dt.time(), tzinfo=get_settings().tz) if args.since else None
    )
    count = nlu_review.review(Path(args.out), since, args.threshold, domain)
    print(f"{count} messages to review written to {args.out}")
    return 0


def main(argv: list[str] | None = None) -> int:
    """Parse the command line and run one command; returns the exit code."""
    parser = argparse.ArgumentParser(prog="python -m bot", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    migrate_cmd = commands.add_parser("migrate", help="bring the schema up to date")
    migrate_cmd.add_argument(
        "--create-database", action="store_true", help="create the PostgreSQL database first"
    )
    migrate_cmd.set_defaults(run=_migrate)
    seed_cmd = commands.add_parser("seed", help="load the demo orders and history")
    seed_cmd.add_argument("--if-empty", action="store_true", help="do nothing if orders exist")
    seed_cmd.set_defaults(run=_seed)
    commands.add_parser("status", help="show the schema revision").set_defaults(run=_status)
    serve_cmd = commands.add_parser("serve", help="run the action and Rasa servers")
    serve_cmd.add_argument("--shell", action="store_true", help="talk in this terminal instead")
    serve_cmd.set_defaults(run=_serve)
    commands.add_parser(
        "events", help="write the event broker's conversation events (RABBITMQ_URL) into the store"
    ).set_defaults(run=_events)
    commands.add_parser(
        "tick", help="act on the dates that have passed (escalate, compensate, notify); idempotent"
    ).set_defaults(run=_tick)
    handle_cmd = commands.add_parser(
        "handle", help="move a request on, as the service team: approve RT…, receive RT…, …"
    )
    handle_cmd.add_argument(
        "step",
        choices=[*STEPS, "reply", "reject", "take-handoff", "close-handoff", *PARCEL_OUTCOMES],
    )
    handle_cmd.add_argument("public_id", help="the request's id, e.g. RT20261128-0001")
    handle_cmd.add_argument(
        "text", nargs="?", help="the reply (reply), the reason (reject), what a parcel check found"
    )
    handle_cmd.set_defaults(run=_handle)
    photos_cmd = commands.add_parser("photos", help="list (and save) the photos of RT…/EX…")
    photos_cmd.add_argument("public_id", help="the application's id, e.g. RT20261128-0001")
    photos_cmd.add_argument("--save", metavar="DIR", help="write them into DIR as JPEG files")
    photos_cmd.set_defaults(run=_photos)
    review_cmd = commands.add_parser(
        "nlu-review", help="list the messages the bot understood least, ready to label"
    )
    review_cmd.add_argument(
        "--since", type=dt.date.fromisoformat, help="only from DATE (YYYY-MM-DD)"
    )
    review_cmd.add_argument(
        "--threshold",
        type=float,
        default=nlu_review.DEFAULT_THRESHOLD,
        help="confidence below which a message is listed",
    )
    review_cmd.add_argument(
        "--out", default="nlu-review.yml", help="where to write the file to label"
    )
    review_cmd.add_argument(
        "--import",
        dest="import_file",
        metavar="FILE",
        help="add a labelled file to data/nlu/reviewed.yml",
    )
    review_cmd.set_defaults(run=_nlu_review)
    report_cmd = commands.add_parser(
        "report", help="the satisfaction report (HTML and JSON) of a period, from the store"
    )
    report_cmd.add_argument(
        "--since", type=dt.date.fromisoformat, help="from DATE (YYYY-MM-DD); default 12 months ago"
    )
    report_cmd.add_argument(
        "--until", type=dt.date.fromisoformat, help="up to DATE, included; default today"
    )
    report_cmd.add_argument(
        "--out", default=str(PROJECT_ROOT / "reports" / "satisfaction"), help="folder to write to"
    )
    report_cmd.set_defaults(run=_report)
    sla_cmd = commands.add_parser(
        "sla", help="what is overdue or due soon; exit status 1 when anything is overdue"
    )
    sla_cmd.add_argument(
        "--within", type=int, default=24, metavar="HOURS", help="also list what falls due within"
    )
    sla_cmd.set_defaults(run=_sla)
    commands.add_parser(
        "console-password", help="print OPS_PASSWORD_HASH for the operator console's password"
    ).set_defaults(run=_console_password)
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=get_settings().log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    return args.run(args)
