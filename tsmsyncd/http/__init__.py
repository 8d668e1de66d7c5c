"""The localhost HTTP API: the app factory and its route table (``app``; the rows are ``route.Route``), the
defences (``security``), the one JSON error envelope and the JSON helpers views use (``errors``), the events
WebSocket (``ws``), the OpenAPI document (``openapi``), static files (``static``) and opening the browser
without a secret in a URL (``launch``). Views for the nouns (status, targets...) plug in as ``Route`` rows.
"""
