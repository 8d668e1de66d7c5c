"""The tray icon: its menu and icon as pure functions of the engine's state (``menu.py``, ``icons.py``), the
pystray adapter on the main thread (``tray.py``, ``xorg.py``), its side on the event loop (``bridge.py``),
and the desktop's clipboard, file manager and notifications (``desktop.py``)."""
