/// The outcome of checking one file against the upload policy.
package enum PolicyDecision: Sendable, Equatable {
    /// Upload it by `route`; `fileType` is the MIME type sent as the `filetype` metadata.
    case accept(route: UploadRoute, kind: ContentKind, fileType: String)
    case reject(Rejection)
}
