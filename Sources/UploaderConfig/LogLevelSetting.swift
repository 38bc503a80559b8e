/// The `[log] level` setting; the same names as swift-log's levels.
package enum LogLevelSetting: String, Sendable, CaseIterable {
    case trace, debug, info, notice, warning, error, critical
}
