"""The after-sales bot's core: store, policy, text helpers and the command line.

Nothing in this package imports Rasa: actions/ adapts it to Rasa's action API.
"""
