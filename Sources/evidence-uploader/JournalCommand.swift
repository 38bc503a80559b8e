import ArgumentParser
import EvidenceUploaderKit

struct JournalCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "journal", abstract: "Journal integrity tools (the journal is <state>/journal).",
        subcommands: [Verify.self, Compact.self, Dump.self])

    struct Verify: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check every record: records, items by state, any damage with its byte offset. Read-only; exit 1 on damage.")
        @OptionGroup var options: ConfigOption
        func run() throws {
            try reportingFailures {
                let config = try options.load()
                let (text, ok) = JournalTool.verify(stateDirectory: config.folders.state)
                print(text)
                if !ok { throw ExitCode(1) }
            }
        }
    }

    struct Compact: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Rewrite the journal with only what is still needed (write temp, fsync, rename, fsync folder).")
        @OptionGroup var options: ConfigOption
        func run() throws {
            try reportingFailures {
                let config = try options.load()
                let journal = try Journal.open(stateDirectory: config.folders.state)
                let before = journal.fileSize
                try journal.compact()
                print("compacted \(config.folders.state)/journal: \(before) -> \(journal.fileSize) bytes")
            }
        }
    }

    struct Dump: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print the journal's records readably, one per line. Read-only.")
        @OptionGroup var options: ConfigOption
        func run() throws {
            try reportingFailures {
                let config = try options.load()
                print(JournalTool.dump(stateDirectory: config.folders.state), terminator: "")
            }
        }
    }
}
