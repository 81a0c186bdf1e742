"""Small widgets of the terminal app; they display, services compute."""
