"""What alcore knows of each dataset, model and strategy kind without loading or running it.

One entry per thing, read by every consumer (the config schema's enums, the config checks, the
pre-job checks, the jobs' memory, the DAG, ``alcore datasets|models|strategies``). These modules
are the bottom of alcore's import graph: they import no other alcore module at import time and
no torch. An entry names the code that implements it as ``"module:attribute"``
(:func:`alcore.catalog.refs.resolve`), so the tables never import the code above them.
"""
