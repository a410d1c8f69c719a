"""Stage 2: turn an alert into structured scene metadata and the text-to-image prompt."""
from __future__ import annotations

from cinealert.prompting.metadata import SceneMetadata
from cinealert.prompting.template import TemplateGenerator

__all__ = ["SceneMetadata", "TemplateGenerator"]
