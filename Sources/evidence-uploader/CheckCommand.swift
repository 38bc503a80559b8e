import ArgumentParser
import EvidenceUploaderKit

struct CheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Say what would happen to files (accepted or not, route, labels, why) without uploading anything.")

    @OptionGroup var options: ConfigOption
    @Argument(help: "Files to check, inside the drop folder or anywhere else.")
    var paths: [String]

    func run() throws {
        try reportingFailures {
            let config = try options.load()
            let checker = try FileChecker(config: config)
            var allAccepted = true
            for path in paths {
                let report = checker.check(path: path)
                print(report.text)
                allAccepted = allAccepted && report.accepted
            }
            if !allAccepted { throw ExitCode(1) }
        }
    }
}
