"""The after-sales bot's core: store, policy, text helpers and the command line.

The store, policy and services know nothing of Rasa; actions/ adapts them to Rasa's action
API. Only the pieces that are Rasa's own extensions or drive it import Rasa: the NLU
components and `make eval-nlu` in bot/nlp/, the redacting tracker store in bot/privacy/, and
the entry point that starts Rasa's CLI in bot/cli/rasa_entry.py.
"""
