"""Measurements of what cinealert makes."""
