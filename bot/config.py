"""One typed settings object, read from the environment with embedded defaults.

Nothing here needs a running service: the default database is a SQLite file in the
project folder, so a laptop runs the bot with no PostgreSQL, Redis or broker.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_RETURN_ADDRESS = "浙江省杭州市余杭区仓前街道 售后中心3号仓 售后部收 0571-88886666"


def _path_or_none(value: str | None) -> Path | None:
    return Path(value).expanduser() if value else None


@dataclass(frozen=True)
class Settings:
    """Runtime settings; every field maps to one environment variable (see README)."""

    database_url: str
    timezone: str
    policy_file: Path | None
    holidays_file: Path | None
    log_level: str
    return_address: str
    tracker_db: Path  # SQLite file of the (redacted) conversations on the embedded default
    customer_token_secret: str | None  # HS256 key of the shop's sign-in tokens; None: no tokens
    upload_link_secret: str | None  # HS256 key of the photo upload links; None: no links
    public_web_url: str  # where customers reach the page's server (upload links point there)
    tracker_store_url: str = ""  # SQLAlchemy URL of the conversations; "" = the file tracker_db

    @property
    def conversations_url(self) -> str:
        """Where the (redacted) conversations are stored: TRACKER_STORE_URL (the production
        profile's PostgreSQL), else the SQLite file TRACKER_DB."""
        return self.tracker_store_url or f"sqlite:///{self.tracker_db}"

    @property
    def tz(self) -> ZoneInfo:
        """The shop's time zone: after-sales days and deadlines are counted in it."""
        return ZoneInfo(self.timezone)

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> Settings:
        """Build settings from `env` (default: the process environment)."""
        env = dict(os.environ if env is None else env)
        default_db = f"sqlite:///{PROJECT_ROOT / 'aftersales.db'}"
        default_holidays = PROJECT_ROOT / "holidays.yml"
        holidays = _path_or_none(env.get("HOLIDAYS_FILE"))
        if holidays is None and default_holidays.exists():
            holidays = default_holidays
        return cls(
            database_url=env.get("DATABASE_URL") or default_db,
            timezone=env.get("BOT_TIMEZONE") or "Asia/Shanghai",
            policy_file=_path_or_none(env.get("POLICY_FILE")),
            holidays_file=holidays,
            log_level=(env.get("LOG_LEVEL") or "INFO").upper(),
            return_address=env.get("RETURN_ADDRESS") or DEFAULT_RETURN_ADDRESS,
            tracker_db=_path_or_none(env.get("TRACKER_DB")) or PROJECT_ROOT / "conversations.db",
            customer_token_secret=env.get("CUSTOMER_TOKEN_SECRET") or None,
            upload_link_secret=env.get("UPLOAD_LINK_SECRET") or None,
            public_web_url=env.get("PUBLIC_WEB_URL")
            or f"http://127.0.0.1:{env.get('WEB_PORT') or 8080}",
            tracker_store_url=env.get("TRACKER_STORE_URL") or "",
        )


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read once on first use (never at import)."""
    return Settings.from_env()
