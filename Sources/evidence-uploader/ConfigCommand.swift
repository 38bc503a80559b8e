import ArgumentParser
import EvidenceUploaderKit

struct ConfigCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "config", abstract: "Configuration tools.",
                                                    subcommands: [Check.self])

    struct Check: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Validate the configuration and print the effective config, secrets redacted.")
        @OptionGroup var options: ConfigOption

        func run() throws {
            try reportingFailures {
                let config = try options.load()
                do {
                    _ = try config.loadPassword(environment: processEnvironment())
                } catch {
                    throw CommandFailure("\(error)", exitCode: 2)
                }
                print("# \(options.config): OK")
                for warning in config.compressionWarnings { print("# warning: \(warning)") }
                print("")
                print(config.rendered(), terminator: "")
            }
        }
    }
}
