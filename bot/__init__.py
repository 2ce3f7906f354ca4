"""The after-sales bot's core: store, policy, text helpers and the command line.

The store, policy and services know nothing of Rasa; actions/ adapts them to Rasa's action
API. Only the pieces Rasa loads itself import it: the NLU components in bot/nlp/ and the
redacting tracker store in bot/privacy/.
"""
