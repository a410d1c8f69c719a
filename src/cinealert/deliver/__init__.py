"""Delivery: the files a user receives (video, GIF, WebP, poster, report, enriched CAP)."""
