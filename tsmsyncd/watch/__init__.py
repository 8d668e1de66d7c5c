"""The live watchlist: the daemon-side service (tracked items, events, alerts) and the worker-side checker
(snapshots fetched once per realm, cached, matched against each tracked item)."""
