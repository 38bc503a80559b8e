import ArgumentParser
import EvidenceUploaderKit

struct RetryCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "retry", abstract: "Queue failed items again (the ID is the #number `status` shows).")
    @OptionGroup var options: ConfigOption
    @Argument(help: "The item to retry.") var id: UInt64?
    @Flag(help: "Retry every failed item.") var failed = false

    func validate() throws {
        if (id == nil) == !failed { throw ValidationError("give either an ID or --failed") }
    }

    func run() throws {
        try reportingFailures {
            let config = try options.load()
            let request: ControlRequests.Request = failed ? .retryFailed : .retry(id!)
            try ControlRequests.submit(request, stateDirectory: config.folders.state)
            print(failed ? "asked the daemon to retry every failed item" : "asked the daemon to retry item #\(id!)")
        }
    }
}
