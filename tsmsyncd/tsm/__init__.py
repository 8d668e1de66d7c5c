"""Core: TradeSkillMaster's SavedVariables — read (sandboxed Lua 5.1), plan merges, write in the game's style."""
