; Inno Setup script for Composer (Inno Setup 6). Built by installers/build.py:
;   ISCC /DAppVersion=0.1.0 /DSourceDir=dist\composer /Odist installers\windows\composer.iss
; Signed-ready: pass /DSignTool=... (an ISCC "sign tool" name configured on the signing machine,
; e.g. `signtool sign /fd sha256 /tr http://timestamp.digicert.com /td sha256 /f cert.pfx $f`)
; and both the setup and its uninstaller are signed. No certificate lives in this repository.
#ifndef AppVersion
  #error Pass /DAppVersion=<composer.__version__>
#endif
#ifndef SourceDir
  #define SourceDir "..\..\dist\composer"
#endif

[Setup]
AppId={{6B0C2E4A-5B1D-4C1E-9C2E-6F7A3C0D9E11}
AppName=Composer
AppVersion={#AppVersion}
AppPublisher=Composer maintainers
DefaultDirName={autopf}\Composer
DefaultGroupName=Composer
PrivilegesRequiredOverridesAllowed=dialog
OutputBaseFilename=composer-{#AppVersion}-windows-setup
Compression=lzma2/max
SolidCompression=yes
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
UninstallDisplayIcon={app}\composer.exe
WizardStyle=modern
#ifdef SignTool
SignTool={#SignTool}
SignedUninstaller=yes
#endif

[Files]
Source: "{#SourceDir}\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs

[Icons]
Name: "{group}\Composer"; Filename: "{app}\composer.exe"
Name: "{autodesktop}\Composer"; Filename: "{app}\composer.exe"; Tasks: desktopicon

[Tasks]
Name: "desktopicon"; Description: "{cm:CreateDesktopIcon}"; GroupDescription: "{cm:AdditionalIcons}"; Flags: unchecked

[Run]
Filename: "{app}\composer.exe"; Description: "{cm:LaunchProgram,Composer}"; Flags: nowait postinstall skipifsilent
