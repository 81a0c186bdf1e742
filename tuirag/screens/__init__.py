"""Screens of the terminal app: chat, index, models, sessions, help, preview."""
