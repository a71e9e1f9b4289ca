import GRDB
public import MaxCore

extension MaxError.Code {
    /// The database is busy or locked by another process; trying again later may work.
    public static let databaseBusy = Self(domain: "storage", name: "busy", category: .transient)
    /// The database file cannot be opened, is not a Max database, or SQLite failed.
    public static let databaseError = Self(domain: "storage", name: "database_error", category: .internal)
    /// The disk that holds the database has no space left.
    public static let diskFull = Self(domain: "storage", name: "disk_full", category: .permanent)
    /// There is no database file where one was expected to be read.
    public static let storeNotFound = Self(domain: "storage", name: "not_found", category: .notFound)
    /// A sync run or task that was named does not exist.
    public static let syncRecordNotFound = Self(domain: "storage", name: "sync_record_not_found", category: .notFound)
}

extension MaxError {
    /// Converts an error thrown inside a database access into a `MaxError`, keeping it as the cause.
    static func storage(_ error: any Error, while action: String) -> MaxError {
        if let maxError = error as? MaxError { return maxError }
        if let databaseError = error as? DatabaseError {
            switch databaseError.resultCode {
            case .SQLITE_BUSY, .SQLITE_LOCKED:
                return MaxError(
                    .databaseBusy, "the database is busy while \(action)",
                    hint: "another Max process is writing to it; try again when it has finished",
                    cause: DatabaseFailure(databaseError))
            case .SQLITE_FULL:
                return MaxError(
                    .diskFull, "the disk is full: SQLite could not write while \(action)",
                    hint:
                        "free space on the disk that holds the project's .max/ folder (df -h shows it), then run "
                        + "the command again; what was written before is kept, and a sync resumes where it stopped",
                    cause: DatabaseFailure(databaseError))
            case .SQLITE_NOTADB, .SQLITE_CORRUPT:
                return MaxError(
                    .databaseError, "the database file is damaged or is not a Max database (\(action))",
                    hint: "the data can be rebuilt: remove the installation's data.db and sync again",
                    cause: DatabaseFailure(databaseError))
            default:
                break
            }
            return MaxError(
                .databaseError, "SQLite failed while \(action): \(databaseError.message ?? "unknown error")",
                cause: DatabaseFailure(databaseError))
        }
        return MaxError(.databaseError, "storage failed while \(action)", cause: DatabaseFailure(error))
    }
}

/// A database error as a cause: its description without the statement's arguments, which may hold
/// user data (GRDB hides them by default too).
struct DatabaseFailure: Error, Sendable, CustomStringConvertible {
    let description: String

    init(_ error: any Error) {
        if let databaseError = error as? DatabaseError {
            description = "SQLite error \(databaseError.resultCode.rawValue): \(databaseError.message ?? "")"
        } else {
            description = String(describing: error)
        }
    }
}
