"""Blizzard's WoW Game Data API: the client and a faithful fake of it (a loopback server with a synthetic market)."""
