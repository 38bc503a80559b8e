import ArgumentParser
import EvidenceUploaderKit
#if canImport(Glibc)
import Glibc
#endif

struct RetryCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "retry", abstract: "Queue failed items again (the ID is the #number `status` shows).",
        discussion: "Says what the daemon did (queued, being uploaded, already delivered, not found, nothing failed) and exits 0 only when something was queued again.")
    @OptionGroup var options: ConfigOption
    @Argument(help: "The item to retry.") var id: UInt64?
    @Flag(help: "Retry every failed item.") var failed = false

    func validate() throws {
        if (id == nil) == !failed { throw ValidationError("give either an ID or --failed") }
    }

    func run() throws {
        try reportingFailures {
            let config = try options.load()
            let state = config.folders.state
            guard let snapshot = try? StatusBoard.read(stateDirectory: state), kill(snapshot.pid, 0) == 0 || errno == EPERM else {
                throw CommandFailure("the daemon is not running, so nothing was queued; start it (systemctl start evidence-uploader): it takes up every unfinished item when it starts", exitCode: 1)
            }
            let request: ControlRequests.Request = failed ? .retryFailed : .retry(id!)
            let token = try ControlRequests.submit(request, stateDirectory: state)
            guard let answer = ControlRequests.awaitAnswer(token: token, stateDirectory: state, timeoutSeconds: 10) else {
                throw CommandFailure("the daemon did not answer within 10 s; the request stays in \(state)/requests/ and is taken when it can", exitCode: 1)
            }
            if !answer.done { throw CommandFailure(answer.message, exitCode: 1) }
            print(answer.message)
        }
    }
}
