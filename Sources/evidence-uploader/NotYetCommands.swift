import ArgumentParser

// Commands of the interface that later work fills in. They exist so scripts can rely on the names.

struct StatusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "status", abstract: "Show the queue, progress, rate and ETA of each file.")
    @OptionGroup var options: ConfigOption
    @Flag(help: "Print JSON.") var json = false
    @Flag(help: "Redraw live.") var watch = false
    func run() throws { throw notYet("status") }
}

struct RetryCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "retry", abstract: "Queue failed items again.")
    @OptionGroup var options: ConfigOption
    @Argument(help: "The item to retry.") var id: String?
    @Flag(help: "Retry every failed item.") var failed = false
    func run() throws { throw notYet("retry") }
}

func notYet(_ command: String) -> Error {
    printError("evidence-uploader: `\(command)` is not built yet in this version")
    return ExitCode(3)
}
