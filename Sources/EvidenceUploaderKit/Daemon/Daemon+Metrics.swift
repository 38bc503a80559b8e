import UploaderSystem

/// `[metrics] textfile`: the status board's numbers for node_exporter's textfile collector,
/// written from the loop's once-a-second step (the writer keeps to every few seconds).
extension Daemon {
    func writeMetrics() {
        let board = session.board
        let journal = session.journal
        board.metricsTextfile.update(path: config.metrics.textfile, now: WallClock.monotonic(), logger: logger) {
            MetricsTextfile.render(board.snapshot(), journalBytes: journal.fileSize, now: WallClock.now())
        }
    }
}
