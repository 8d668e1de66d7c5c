"""SQLite, by noun: ``schema`` (opening, migrations, damage), ``market`` (sources, snapshots, metrics),
``items``, ``realms``, ``groups`` (rules and GroupSet versions). Query functions take the ``Database``
first, so the one writer thread (``store/writer.py``) runs them: ``await writer(market.source_state, src)``.
The only package that knows table names."""
