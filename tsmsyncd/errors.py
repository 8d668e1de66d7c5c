"""Every error tsmsyncd raises on purpose, in one place.

Messages are one line, written to be shown to a player as they are, and name the field or file involved.
Foreign errors (Lua, OSError, JSON) are translated once, where they cross into our code, with
``raise ... from exc``.

    TsmSyncError                     base; ``exit_code`` is what the CLI returns
    ├── InputError                   the input is wrong; nothing was changed            (exit 1)
    │   ├── FieldError               one named field is wrong (``field``, ``reason``): the API's 400 + field
    │   │   ├── GroupSetError        a GroupSet document is invalid
    │   │   ├── SettingsError        a setting (region, credentials, URL...) is missing or invalid
    │   │   ├── RuleError            a group rule document is invalid
    │   │   └── RootError            a GroupSet's root names a group of the player's that tsmsyncd did not create
    │   ├── SavedVariablesError      a SavedVariables file was refused (not TSM4, broken, hostile)
    │   │   └── LuaLimitError        loading it hit the instruction or memory limit
    │   ├── ProfileError             a TSM profile was asked for that the file does not have
    │   ├── NotFoundError            a target, rule, backup or GroupSet asked for by id does not exist (404)
    │   └── CriteriaError            a rule's criteria text does not parse (position + what was expected)
    ├── StateError                   tsmsyncd's own state (database, data folder) is damaged; says how to recover
    ├── BusyError                    another operation (a merge, a restore) runs now; try again when it ends
    ├── UpdateError                  an update check or install was refused or failed (``reason``: a short code);
    │                                the installed program, its folders and the data folder are unchanged
    ├── GameRunningError             a WoW client is running; the file was left alone    (exit 3)
    ├── ApplyError                   writing failed; the original file is in place        (exit 1)
    │   ├── FileChangedError         the file changed on disk while we were working
    │   ├── VerifyError              the written file did not verify; the original was put back
    │   └── BackupError              the backup could not be written; nothing was changed
    ├── BlizzardError                talking to Blizzard's API failed; stored data is unchanged (exit 1)
    │   ├── CredentialsError         Blizzard refused the client id/secret (or the token)
    │   ├── ApiError                 an HTTP failure that retries did not cure (status, timeout, too big)
    │   └── SnapshotError            a response that is not JSON or not of the expected shape
    └── GroupServerError             a group server did not give its GroupSet (down, token refused, rate
                                     limited: ``status``, ``retry_after``); the last good groups are kept
"""

from __future__ import annotations

__all__ = [
    "ApplyError",
    "BackupError",
    "FileChangedError",
    "GameRunningError",
    "GroupServerError",
    "GroupSetError",
    "InputError",
    "LuaLimitError",
    "NotFoundError",
    "ProfileError",
    "RootError",
    "SettingsError",
    "StateError",
    "CriteriaError",
    "FieldError",
    "RuleError",
    "BlizzardError",
    "BusyError",
    "UpdateError",
    "CredentialsError",
    "ApiError",
    "SnapshotError",
    "SavedVariablesError",
    "TsmSyncError",
    "VerifyError",
]


class TsmSyncError(Exception):
    """Base class. ``str(err)`` is a one-line message fit to show a player."""

    exit_code = 1


class InputError(TsmSyncError):
    """The input (a file, a document, an argument) is wrong; nothing was changed."""


class NotFoundError(InputError):
    """What was asked for by its id or name (a target, a rule, a backup, a realm's groups) does not exist."""


class FieldError(InputError):
    """One named field of an input is wrong. ``field`` is a dotted path (``groups[2].path[0]``,
    ``client_id``); ``reason`` says why; the message is ``"<what> <field>: <reason>"``."""

    what = "field"

    def __init__(self, field: str, reason: str) -> None:
        self.field = field
        self.reason = reason
        super().__init__(f"{self.what} {field}: {reason}")


class GroupSetError(FieldError):
    """A GroupSet document is invalid. ``field`` is a dotted path such as ``groups[2].path[0]``."""

    what = "GroupSet"


class SavedVariablesError(InputError):
    """A SavedVariables file was refused: not TSM4, not valid Lua 5.1, truncated or hostile."""


class LuaLimitError(SavedVariablesError):
    """Loading the file ran past the instruction-count or memory limit of the sandbox."""


class ProfileError(InputError):
    """A TSM profile was requested that the file does not have."""


class RootError(FieldError):
    """The GroupSet's root already exists in the file and tsmsyncd did not create it: merging would
    replace the player's own groups. ``group`` names it; the message is the whole ``reason``."""

    def __init__(self, group: str, message: str) -> None:
        self.group = group
        self.field, self.reason = "root", message
        InputError.__init__(self, message)


class StateError(TsmSyncError):
    """tsmsyncd's own files (``tsmsyncd.db``, the data folder) are damaged or unusable; the message names
    the file and how to recover. The player's files are not involved."""


class BusyError(TsmSyncError):
    """Something that must not overlap runs now (a merge or restore while an update would start); nothing
    was changed, and the same request succeeds once it has finished."""


class UpdateError(TsmSyncError):
    """An update was refused or failed: a manifest whose signature does not verify, a downgrade or an
    older manifest replayed, an archive of the wrong size or sha256, an unsafe archive path, a release
    server that fails or is too slow. ``reason`` is a short code (``signature``, ``downgrade``, ``replay``,
    ``sha256``, ``size``, ``archive``, ``timeout``, ...); the message says it in one line. Nothing that was
    installed, and nothing in the data folder, was changed."""

    reason = "failed"  # what an instance rebuilt from its message alone (a worker's error) says

    def __init__(self, reason: str, message: str) -> None:
        self.reason = reason
        super().__init__(message)


class GameRunningError(TsmSyncError):
    """A World of Warcraft client is running, so the file must not be written now."""

    exit_code = 3


class ApplyError(TsmSyncError):
    """Writing the merged file failed; the original file is in place."""


class FileChangedError(ApplyError):
    """The file changed on disk between reading it and replacing it (nothing was written), or another
    program replaced it right after (its file is left alone; the original is in the backup)."""


class VerifyError(ApplyError):
    """The written file did not verify with Lua 5.1; the original bytes were put back."""


class BackupError(ApplyError):
    """The backup of the original could not be written, so nothing was changed."""


class SettingsError(FieldError):
    """A setting is missing or invalid. ``field`` names it (``region``, ``client_id``...: the key in settings.json)."""

    what = "setting"


class CriteriaError(InputError):
    """Criteria text that does not parse or type-check. ``position`` is 1-based; ``expected`` says what
    would have been valid there."""

    def __init__(self, position: int, expected: str, message: str) -> None:
        self.position = position
        self.expected = expected
        super().__init__(message)


class RuleError(FieldError):
    """A group rule document is invalid. ``field`` is a dotted path such as ``Flips.subgroups[0].criteria``."""

    what = "rule"


class BlizzardError(TsmSyncError):
    """Talking to Blizzard's API failed. Nothing already stored was changed. Messages never carry secrets."""


class CredentialsError(BlizzardError):
    """Blizzard refused the client credentials (or keeps refusing fresh tokens)."""


class ApiError(BlizzardError):
    """An HTTP failure that the bounded retries did not cure. ``status`` is the last HTTP status, if any."""

    def __init__(self, message: str, status: int | None = None) -> None:
        self.status = status
        super().__init__(message)


class SnapshotError(BlizzardError):
    """A response body that is not JSON, or not of the shape Blizzard documents. ``field`` names where."""


class GroupServerError(TsmSyncError):
    """A group server (another tsmsyncd in server mode) did not give what was asked: it is down, refused
    the token, has no groups for the realm yet, or asks to wait. ``status`` is its HTTP status (None: no
    answer); ``retry_after`` the seconds it asked to wait (429), if it said. Nothing stored was changed."""

    def __init__(self, message: str, status: int | None = None, retry_after: float | None = None) -> None:
        self.status = status
        self.retry_after = retry_after
        super().__init__(message)
