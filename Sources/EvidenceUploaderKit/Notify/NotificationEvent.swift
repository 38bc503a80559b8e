// JSONEncoder from FoundationEssentials (linked anyway, by swift-argument-parser), not Foundation.
import FoundationEssentials
import UploaderConfig

/// One thing people should hear of: a permanent failure, a paused or resumed portal, a file at
/// risk of missing its deadline, or the daily summary. No secret is ever in one.
struct NotificationEvent: Sendable, Equatable, Encodable {
    enum Kind: String, Sendable, Encodable {
        case failed, paused, resumed
        case atRisk = "at_risk"
        case overdue
        case dailySummary = "daily_summary"
    }

    var event: Kind
    /// Seconds since the epoch, and the same as local text.
    var time: Int64
    var localTime: String
    var destination: String? = nil
    var file: String? = nil
    var candidate: String? = nil
    var unit: String? = nil
    var reason: String? = nil
    var deadline: String? = nil
    var estimatedDelivery: String? = nil
    /// The daily summary's counts.
    var deliveredToday: Int? = nil
    var waiting: Int? = nil
    var needAttention: Int? = nil

    enum CodingKeys: String, CodingKey {
        case event, time, localTime = "local_time", destination, file, candidate, unit, reason, deadline
        case estimatedDelivery = "estimated_delivery", deliveredToday = "delivered_today", waiting
        case needAttention = "need_attention"
    }

    var json: [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return (try? encoder.encode(self)).map { Array($0) } ?? []
    }

    /// One line for a mail subject: what happened and to what.
    var subject: String {
        let what: String
        switch event {
        case .failed: what = "an upload failed"
        case .paused: what = "uploads paused: the portal refused the password"
        case .resumed: what = "uploads resumed"
        case .atRisk: what = "a file may miss its deadline"
        case .overdue: what = "a file is overdue"
        case .dailySummary: what = "daily summary"
        }
        let about = [destination, file].compactMap { $0 }.filter { !$0.isEmpty }.joined(separator: ": ")
        return Self.oneLine("Evidence Uploader: \(what)\(about.isEmpty ? "" : " (\(about))")")
    }

    /// The mail body: one "name: value" line each.
    var text: String {
        var lines = [subject, ""]
        func add(_ name: String, _ value: String?) { if let value, !value.isEmpty { lines.append("\(name): \(Self.oneLine(value))") } }
        add("When", localTime)
        add("Awarding body", destination)
        add("File", file)
        add("Candidate", candidate)
        add("Unit", unit)
        add("Why", reason)
        add("Deadline", deadline)
        add("Expected delivery", estimatedDelivery)
        add("Delivered today", deliveredToday.map(String.init))
        add("Waiting", waiting.map(String.init))
        add("Need attention", needAttention.map(String.init))
        return lines.joined(separator: "\n") + "\n"
    }

    /// No line breaks or control characters: a file name cannot forge a mail header.
    static func oneLine(_ text: String) -> String {
        String(String.UnicodeScalarView(text.unicodeScalars.map { $0.value < 0x20 || $0.value == 0x7f ? " " : $0 }))
    }
}
