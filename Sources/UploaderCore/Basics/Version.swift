/// The program's version: the one place it is written. `evidence-uploader --version` prints it,
/// the HTTP User-Agent carries it, and `scripts/deb` reads it from this file for the Debian
/// package's version (`<this>-<revision>`), so the three cannot disagree.
public enum EvidenceUploaderVersion {
    public static let current = "0.1.0"
}
