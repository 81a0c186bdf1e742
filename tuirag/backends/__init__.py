"""Backends: the embedder, the vector store and the language model."""
