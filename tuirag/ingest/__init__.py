"""Ingestion: which files, how they become chunks, and how they reach the store."""
