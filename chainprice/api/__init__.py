"""The implementation behind ``import chainprice``'s public names (listed in ``chainprice``).

Modules here only wire the engine, the node clients and the lake together;
the names users rely on are re-exported by ``chainprice/__init__.py``.
"""
