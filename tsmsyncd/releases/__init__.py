"""Talking to the release server: the signed manifests and the archives they point at (``client.py``)."""
