public import MaxCore

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The files connector's failures.
enum FilesError {
    /// The folder cannot be listed (gone, not a folder, no permission).
    static func unreadableFolder(_ path: String, errno code: Int32) -> MaxError {
        MaxError(
            .filesUnreadableFolder, "cannot read the folder \(path): \(String(cString: strerror(code)))",
            hint: "check that it exists and that Max may read it; or connect the installation to another folder",
            context: ["path": path])
    }
}

extension MaxError.Code {
    /// The folder of a files installation cannot be listed.
    public static let filesUnreadableFolder = Self(domain: "files", name: "unreadable_folder", category: .notFound)
}
