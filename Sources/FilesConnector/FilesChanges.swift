import Foundation
import MaxConnector
import MaxCore

/// The files connector's incremental syncs.
///
/// The position is when the last sync began; the changes
/// are the files whose content, name or place changed since then (a 2-second margin for file systems
/// whose times are coarse) read again, and every path the folder no longer has deleted.
enum FilesChanges {
    static let margin: TimeInterval = 2

    static let feed = ChangeFeed<FilesContext>(
        position: { _ in ISO8601.format(Date()) },
        changes: { after, context in
            let started = Date()
            guard let since = ISO8601.parse(after) else {
                throw MaxError(
                    .invalidConfig, "the stored position '\(after.prefix(40))' is not a files connector's",
                    hint: "run a full sync: max sync <installation> --full")
            }
            let walk = try context.walk()
            let cutoff = since.addingTimeInterval(-margin)
            var changes: [Change] = []
            let membership = [Change.Membership("FilesRoot", "files", owners: [context.root])]
            for entry in walk.entries where max(entry.modified, entry.changed) >= cutoff {
                changes.append(.upsert(context.reader.input(entry, known: walk.paths), memberships: membership))
            }
            changes.append(.exactly(FilesSchema.file.type, ids: walk.entries.map(\.path)))
            return ChangePage(changes: changes, position: ISO8601.format(started), hasMore: false)
        })
}
