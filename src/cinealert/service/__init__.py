"""The alert service: HTTP intake, the durable job store, the render worker and feed watching."""
