"""Contrastive Lab: create text embedding models with contrastive learning, and see what each choice does.

Import-light on purpose: the heavy libraries (torch, sentence-transformers) load only when a job runs.
"""

__version__ = "0.1.0"
