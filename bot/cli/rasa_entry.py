"""`python -m bot.cli.rasa_entry <rasa arguments>`: Rasa's own command line, with log redaction.

`bot.cli.serve` starts the Rasa server and the action server through this module instead of
the `rasa` script, so that both processes mask phone numbers and drop sign-in tokens in every
log record (see `bot.privacy.log_filter`) before Rasa logs anything.
"""

from __future__ import annotations

import sys
import warnings
from typing import TextIO

from bot.config import PROJECT_ROOT
from bot.privacy.log_filter import install_log_redaction

# Rasa 3.6's dependencies (click, typer, distutils in sanic_cors, pkg_resources, pyparsing,
# SQLAlchemy 1.4's 2.0 warnings) announce their own deprecations at every start: about twenty
# lines a newcomer reads as errors. Sanic turns DeprecationWarning back on ("once") when it is
# imported, so they are dropped where they are shown, not with a filter. Ours still show.
OUR_CODE = tuple(str(PROJECT_ROOT / folder) for folder in ("bot", "actions"))


def quiet_third_party_deprecations() -> None:
    """Show no deprecation warning raised from third-party code."""
    show = warnings.showwarning

    def show_unless_third_party(
        message: Warning | str, category: type[Warning], filename: str, lineno: int,
        file: TextIO | None = None, line: str | None = None,
    ) -> None:  # fmt: skip
        deprecation = issubclass(category, DeprecationWarning | PendingDeprecationWarning)
        if deprecation and not filename.startswith(OUR_CODE):
            return
        show(message, category, filename, lineno, file, line)

    warnings.showwarning = show_unless_third_party


def main(argv: list[str] | None = None) -> None:
    """Install log redaction, then run Rasa's CLI with `argv` (default: this process's)."""
    quiet_third_party_deprecations()
    install_log_redaction()
    # Imported after the install, so that what Rasa logs while importing is redacted too.
    from rasa.__main__ import main as rasa_main

    args = sys.argv[1:] if argv is None else argv
    if args[:1] in (["run"], ["shell"]) and args[1:2] != ["actions"]:
        from bot.channels.redelivery import install_redelivery_replay
        from bot.cli.action_outage import install_action_outage_handling
        from bot.cli.action_response_check import install_cached_action_response_check

        install_action_outage_handling()  # a failed action gets an apology in seconds
        install_redelivery_replay()  # a message the balancer sent twice is handled once
        install_cached_action_response_check()  # the schema checked once, not per action
    sys.argv = ["rasa", *args]
    rasa_main()


if __name__ == "__main__":
    main()
