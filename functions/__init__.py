"""Home of the cloud function entry points.

Each will only wire a node adapter, the engine (``core``) and the lake
together; none exists yet, as the engine comes first.
"""
