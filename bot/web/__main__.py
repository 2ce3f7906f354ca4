"""`python -m bot.web`: serve the demo shop page and the chat widget."""

from bot.web.server import main

raise SystemExit(main())
