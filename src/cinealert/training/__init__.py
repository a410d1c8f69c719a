"""Training: fine-tuning data from folders of disaster photos, and LoRA fine-tuning of the metadata LLM."""
