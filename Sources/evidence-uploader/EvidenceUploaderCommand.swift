import ArgumentParser
import EvidenceUploaderKit

@main
struct EvidenceUploaderCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "evidence-uploader",
        abstract: "Uploads assessment evidence from a drop folder to the moderation portal (tus 1.0.0).",
        version: EvidenceUploaderVersion.current,
        subcommands: [RunCommand.self, StatusCommand.self, CheckCommand.self, RetryCommand.self,
                      JournalCommand.self, ConfigCommand.self]
    )
}

/// `--config FILE`, shared by every command.
struct ConfigOption: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("The configuration file.", valueName: "FILE"))
    var config: String = Config.defaultPath

    func load() throws -> Config {
        do {
            return try Config.load(path: config)
        } catch {
            throw CommandFailure("\(error)", exitCode: 2)
        }
    }
}

/// A failure the command line reports in one plain line and a specific exit code.
struct CommandFailure: Error, CustomStringConvertible {
    let message: String
    let exitCode: Int32
    init(_ message: String, exitCode: Int32 = 1) {
        self.message = message
        self.exitCode = exitCode
    }
    var description: String { message }
}

extension ParsableCommand {
    /// Prints a failure as "evidence-uploader: message" and exits with its code.
    func reportingFailures(_ body: () throws -> Void) throws {
        do {
            try body()
        } catch let failure as CommandFailure {
            printError("evidence-uploader: \(failure.message)")
            throw ExitCode(failure.exitCode)
        } catch let error as EvidenceError {
            printError("evidence-uploader: \(error.description)")
            throw ExitCode(1)
        }
    }
}

func printError(_ text: String) {
    var stderr = StandardError()
    print(text, to: &stderr)
}

struct StandardError: TextOutputStream {
    mutating func write(_ string: String) {
        let bytes = Array(string.utf8)
        bytes.withUnsafeBytes { raw in _ = Glibc.write(2, raw.baseAddress, raw.count) }
    }
}

#if canImport(Glibc)
import Glibc
#endif
