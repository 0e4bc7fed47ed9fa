"""What the Snakemake workflow needs from alcore: the config model, paths and job set-up.

Kept free of torch at import time: the Snakefile imports it on every invocation.
"""
