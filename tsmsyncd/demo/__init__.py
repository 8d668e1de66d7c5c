"""The demo: the whole product with no credentials and no game (``tsmsyncd demo``, issue 12 item 7).

It runs the project's fake Blizzard server on loopback and a sandbox World of Warcraft install under the
data folder, puts the sandbox's targets in merge mode and runs the daemon. This package owns the parts
that exist only for the demo (and for tests and benchmarks that want a realistic install):

* :mod:`sandbox` — ``build_sandbox``: the install tree (flavor folders, accounts, per-character folders,
  the TSM addon's ``.toc``) and the ``Sandbox`` record saying what is in it;
* :mod:`layout` — its accounts, profiles and characters, on realms of the fake Blizzard world;
* :mod:`content` and :mod:`groups` — what each account's ``TradeSkillMaster.lua`` holds, in TSM4's own
  key scheme (reference tsm-savedvariables.md §1-§8);
* :mod:`accounting` — the seeded accounting CSVs that make a real file big;
* :mod:`luawriter` — writing those tables the way the WoW client writes SavedVariables.
"""
