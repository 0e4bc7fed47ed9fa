"""alcore: reproducible deep active learning with exact, doubt-weighted core-sets.

The selection engine lives in :mod:`alcore.select`; see the README for the pipeline.
"""

__version__ = "0.1.0"
