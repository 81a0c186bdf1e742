"""Question to ranked passages: hybrid vector + BM25 retrieval over the store."""
