import UploaderConfig
import UploaderCore
import UploaderSystem
#if canImport(Glibc)
import Glibc
#endif

/// Makes sure the state, uploaded and rejected folders exist before work starts.
enum StateFolder {
    static func prepare(_ config: Config) throws(EvidenceError) {
        for (path, mode) in [(config.folders.state, mode_t(0o700)), (config.folders.uploaded, 0o775), (config.folders.rejected, 0o775)] {
            if mkdir(path, mode) != 0 && errno != EEXIST {
                throw EvidenceError(.system, "cannot create the folder \(path.debugQuoted)",
                                    cause: SystemCallError(operation: "mkdir", path: path, errno: errno))
            }
        }
    }
}
