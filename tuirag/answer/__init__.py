"""Answering: question → retriever → prompt → backend → stream of events."""
