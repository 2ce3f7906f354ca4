"""The demo shop page with the chat widget, served on its own port (`python -m bot.web`)."""
