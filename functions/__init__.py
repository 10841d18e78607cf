"""Cloud function entry points: each wires a node adapter, the engine and the lake.

They hold no computation of their own; the engine is ``core``.
"""
