"""Rasa custom actions: thin adapters from slots to `bot.*` and back to responses.

One module per feature; the action server imports every module of this package.
"""
