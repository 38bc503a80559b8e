/// Who a piece of evidence belongs to: sent as the `centre`, `candidate` and `unit` metadata.
public struct EvidenceLabels: Sendable, Equatable, Hashable {
    public var centre: String
    public var candidate: String
    public var unit: String

    public init(centre: String, candidate: String, unit: String) {
        self.centre = centre
        self.candidate = candidate
        self.unit = unit
    }
}
