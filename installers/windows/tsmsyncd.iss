; Inno Setup 6 script: tsmsyncd for one Windows user, no administrator rights needed.
;
; Build on Windows after `make dist` (PyInstaller's one-folder app in dist\tsmsyncd\, see installers\README.md):
;   iscc /DAppVersion=0.2.0 installers\windows\tsmsyncd.iss
; which writes dist\tsmsyncd-setup-0.2.0.exe.
;
; What it does: copies the folder to %LOCALAPPDATA%\Programs\tsmsyncd, adds a Start-menu entry (the windowed
; tsmsyncdw.exe: tray and browser, no console), optionally starts tsmsyncd at sign-in (off unless ticked: the
; same per-user Run value `tsmsyncd autostart on` writes), and offers to start it at the end.
; The uninstaller removes the program and our Run value, and leaves the player's data (settings, database,
; backups of their TradeSkillMaster files in %LOCALAPPDATA%\tsmsyncd) alone unless they say yes to deleting it.

#ifndef AppVersion
  #define AppVersion "0.0.0"
#endif

[Setup]
AppId={{C1AB8E5F-2F86-58F8-ACBD-CE6060CC4A17}
AppName=tsmsyncd
AppVersion={#AppVersion}
AppVerName=tsmsyncd {#AppVersion}
AppPublisher=tsmsyncd contributors
DefaultDirName={localappdata}\Programs\tsmsyncd
DisableDirPage=auto
DefaultGroupName=tsmsyncd
DisableProgramGroupPage=yes
PrivilegesRequired=lowest
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
OutputDir=..\..\dist
OutputBaseFilename=tsmsyncd-setup-{#AppVersion}
Compression=lzma2
SolidCompression=yes
WizardStyle=modern
UninstallDisplayName=tsmsyncd
UninstallDisplayIcon={app}\tsmsyncdw.exe
; A running tsmsyncd holds its files: Windows' Restart Manager closes it for an update or an uninstall.
CloseApplications=yes
CloseApplicationsFilter=*.exe,*.dll,*.pyd
RestartApplications=no

[Tasks]
Name: "autostart"; Description: "Start tsmsyncd when I sign in (minimized to the tray)"; Flags: unchecked

[Files]
Source: "..\..\dist\tsmsyncd\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs

[InstallDelete]
; An update replaces the whole folder: files a newer build no longer has must not linger in _internal.
Type: filesandordirs; Name: "{app}\_internal"

[Icons]
Name: "{autoprograms}\tsmsyncd"; Filename: "{app}\tsmsyncdw.exe"; Parameters: "run"; \
  Comment: "Keeps TradeSkillMaster groups in sync with the auction house"

[Registry]
; The value tsmsyncd's own `autostart on` writes (tsmsyncd\autostart\windows.py), so either can turn it off.
Root: HKCU; Subkey: "Software\Microsoft\Windows\CurrentVersion\Run"; ValueType: string; ValueName: "tsmsyncd"; \
  ValueData: """{app}\tsmsyncdw.exe"" run --minimized"; Tasks: autostart; Flags: uninsdeletevalue

[Run]
Filename: "{app}\tsmsyncdw.exe"; Parameters: "run"; Description: "Start tsmsyncd now"; \
  Flags: nowait postinstall skipifsilent

[UninstallRun]
; Our Run value and Task Manager's StartupApproved entry, however autostart was turned on.
Filename: "{app}\tsmsyncd.exe"; Parameters: "autostart off"; Flags: runhidden waituntilterminated; \
  RunOnceId: "AutostartOff"

[Code]
procedure CurUninstallStepChanged(CurUninstallStep: TUninstallStep);
var
  DataDir: String;
begin
  if CurUninstallStep <> usPostUninstall then
    exit;
  DataDir := ExpandConstant('{localappdata}\tsmsyncd');
  if UninstallSilent or not DirExists(DataDir) then
    exit;
  if MsgBox('Also delete tsmsyncd''s settings, history and the backups of your TradeSkillMaster files?' + #13#10 +
            DataDir + #13#10#13#10 + 'Choose No to keep them (you can reinstall and carry on).',
            mbConfirmation, MB_YESNO or MB_DEFBUTTON2) = IDYES then
    DelTree(DataDir, True, True, True);
end;
