import ArgumentParser
import EvidenceUploaderKit
import Foundation

struct StatusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show each item's labels, state, progress, rate and ETA, and the totals (read from the state folder; works while the daemon runs).")
    @OptionGroup var options: ConfigOption
    @Flag(help: "Print the status as JSON.") var json = false
    @Flag(help: "Redraw every second with progress bars (Ctrl-C to leave).") var watch = false

    func run() throws {
        try reportingFailures {
            let config = try options.load()
            repeat {
                let snapshot = try StatusBoard.read(stateDirectory: config.folders.state)
                let running = kill(snapshot.pid, 0) == 0 || errno == EPERM
                if json {
                    let encoder = JSONEncoder()
                    encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
                    var object = try JSONSerialization.jsonObject(with: encoder.encode(snapshot)) as? [String: Any] ?? [:]
                    object["running"] = running
                    let data = try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys])
                    print(String(decoding: data, as: UTF8.self))
                } else {
                    if watch { print("\u{1B}[H\u{1B}[2J", terminator: "") }
                    print(StatusRendering.text(snapshot, now: Int64(time(nil)), running: running), terminator: "")
                }
                if watch { sleep(1) }
            } while watch
        }
    }
}
