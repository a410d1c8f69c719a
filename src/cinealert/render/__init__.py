"""Rendering: layered depth, symmetric looping and the moving camera."""

#: Looping camera paths (see :mod:`cinealert.render.camera`).
CAMERAS = ("static", "circle", "up-down", "swing", "zoom-in", "dolly-zoom")
