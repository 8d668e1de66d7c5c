"""Updates players can trust (issue 18), the pure part: what a signed release manifest says and whether
its signature holds (``manifest``), which release to offer and when to look again (``policy``), which
archive members may be unpacked (``archive``), and the release keys the program trusts (``keys``).

No I/O here: the release server is ``releases/client.py``, the bundle's folders are ``store/bundle.py``,
the flow that ties them together is ``sync/updates.py``. This module itself stays light (the settings
import it for the channel names), so nothing heavy is imported until a check runs.
"""

CHANNELS = ("stable", "beta")
