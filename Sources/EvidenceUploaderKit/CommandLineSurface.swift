// What the command line sees of the uploader: the kit's own public names (`Daemon`, `OnceRun`,
// `FileChecker`, `ControlRequests`, `StatusBoard`, `StatusSnapshot`, `StatusRendering`) and
// these, re-exported one by one from the modules that declare them. Of each, only what is
// `public` is for the command line; it imports nothing else of the uploader.
@_exported import struct UploaderConfig.Config
@_exported import struct UploaderConfig.PortalPassword
@_exported import typealias UploaderConfig.PortalPasswords
@_exported import class UploaderJournal.Journal
@_exported import enum UploaderJournal.JournalTool
@_exported import struct UploaderCore.EvidenceError
@_exported import enum UploaderCore.EvidenceUploaderVersion
