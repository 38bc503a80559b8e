/// Who a piece of evidence belongs to: sent as the `centre`, `candidate` and `unit` metadata.
package struct EvidenceLabels: Sendable, Equatable, Hashable {
    package var centre: String
    package var candidate: String
    package var unit: String

    package init(centre: String, candidate: String, unit: String) {
        self.centre = centre
        self.candidate = candidate
        self.unit = unit
    }
}
