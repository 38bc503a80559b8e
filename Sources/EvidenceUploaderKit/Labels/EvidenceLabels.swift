/// Who a piece of evidence belongs to: sent as the `centre`, `candidate` and `unit` metadata.
struct EvidenceLabels: Sendable, Equatable, Hashable {
    var centre: String
    var candidate: String
    var unit: String

    init(centre: String, candidate: String, unit: String) {
        self.centre = centre
        self.candidate = candidate
        self.unit = unit
    }
}
