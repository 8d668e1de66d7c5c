"""Core: facts about the World of Warcraft client on this machine (is it running?)."""
