extension Duration {
    /// The duration in seconds, for words and rates ("took 2.4 seconds", bytes per second).
    package var inSeconds: Double {
        Double(components.seconds) + Double(components.attoseconds) / 1e18
    }
}
