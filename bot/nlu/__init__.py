"""Understanding the caller: NLU engine, fallback classifier, Rasa client and service, data."""
