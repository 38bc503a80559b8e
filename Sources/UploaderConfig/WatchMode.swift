/// How the drop folder is watched: inotify, or polling for network file systems where inotify sees nothing.
package enum WatchMode: String, Sendable, CaseIterable {
    case inotify, poll
}
