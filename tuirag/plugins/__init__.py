"""Format plugins: one file in, a stream of sections out."""
