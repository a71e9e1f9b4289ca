import MaxCore

/// The rule for operation schemas between two releases of a connector: minor adds, major breaks.
///
/// Connectors call ``check(previous:previousVersion:current:currentVersion:)``
/// in a test, with the operations of their last release.
///
/// Adding means: new operations, new optional input properties, new output properties. Breaking
/// means: an operation removed or its mode or mutating changed, an input property removed or its
/// schema changed, a new required input property, additional input properties forbidden where
/// they were allowed, an output property removed or changed or no longer required.
public enum OperationCompatibility {
    /// A `MAJOR.MINOR.PATCH` version.
    public struct Version: Sendable, Comparable, CustomStringConvertible {
        /// The parts.
        public let major: Int, minor: Int, patch: Int

        /// Parses `1.2.3`; `nil` for anything else.
        public init?(_ text: String) {
            let parts = text.split(separator: ".", omittingEmptySubsequences: false).map { Int($0) }
            guard parts.count == 3, let major = parts[0], let minor = parts[1], let patch = parts[2],
                major >= 0, minor >= 0, patch >= 0
            else { return nil }
            (self.major, self.minor, self.patch) = (major, minor, patch)
        }

        /// Orders by major, then minor, then patch.
        public static func < (lhs: Version, rhs: Version) -> Bool {
            (lhs.major, lhs.minor, lhs.patch) < (rhs.major, rhs.minor, rhs.patch)
        }

        /// `1.2.3`.
        public var description: String { "\(major).\(minor).\(patch)" }
    }

    /// What changed between two sets of operations.
    public struct Changes: Sendable {
        /// Additive changes.
        public var additions: [String] = []
        /// Breaking changes.
        public var breaks: [String] = []
    }

    /// The changes from `previous` to `current`.
    public static func changes(from previous: [OperationInfo], to current: [OperationInfo]) -> Changes {
        var changes = Changes()
        let now = Dictionary(current.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        let before = Set(previous.map(\.id))
        for operation in current where !before.contains(operation.id) {
            changes.additions.append("operation \(operation.id) added")
        }
        for old in previous {
            guard let new = now[old.id] else {
                changes.breaks.append("operation \(old.id) removed")
                continue
            }
            if old.mode != new.mode { changes.breaks.append("\(old.id): mode changed") }
            if old.mutating != new.mutating { changes.breaks.append("\(old.id): mutating changed") }
            compare(old.input.json, new.input.json, "\(old.id) input", isInput: true, into: &changes)
            compare(old.output.json, new.output.json, "\(old.id) output", isInput: false, into: &changes)
        }
        return changes
    }

    /// The problems with releasing `current` as `currentVersion` after `previous` as
    /// `previousVersion`; empty when the versions tell the truth.
    public static func check(
        previous: [OperationInfo], previousVersion: String, current: [OperationInfo], currentVersion: String
    ) -> [String] {
        guard let old = Version(previousVersion), let new = Version(currentVersion) else {
            return ["versions must be MAJOR.MINOR.PATCH: '\(previousVersion)', '\(currentVersion)'"]
        }
        let changes = changes(from: previous, to: current)
        if !changes.breaks.isEmpty && new.major <= old.major {
            return changes.breaks.map { "\($0): a breaking change needs a new major version, not \(new)" }
        }
        if !changes.additions.isEmpty && new.major == old.major && new.minor <= old.minor {
            return changes.additions.map { "\($0): an addition needs a new minor version, not \(new)" }
        }
        if new < old { return ["the version went back from \(old) to \(new)"] }
        return []
    }

    private static func compare(
        _ old: JSONValue, _ new: JSONValue, _ what: String, isInput: Bool, into changes: inout Changes
    ) {
        guard old != new else { return }
        let oldProperties = old["properties"]?.objectValue
        let newProperties = new["properties"]?.objectValue
        guard let oldProperties, let newProperties, old["type"] == new["type"] else {
            changes.breaks.append("\(what): schema changed")
            return
        }
        for (name, schema) in oldProperties {
            guard let now = newProperties[name] else {
                changes.breaks.append("\(what): property \(name) removed")
                continue
            }
            if now != schema { changes.breaks.append("\(what): property \(name) changed") }
        }
        for name in newProperties.keys where oldProperties[name] == nil {
            changes.additions.append("\(what): property \(name) added")
        }
        let oldRequired = Set(old["required"]?.arrayValue?.compactMap(\.stringValue) ?? [])
        let newRequired = Set(new["required"]?.arrayValue?.compactMap(\.stringValue) ?? [])
        if isInput {
            for name in newRequired.subtracting(oldRequired).sorted() {
                changes.breaks.append("\(what): property \(name) became required")
            }
            if new["additionalProperties"] == .bool(false) && old["additionalProperties"] != .bool(false) {
                changes.breaks.append("\(what): additional properties forbidden")
            }
        } else {
            for name in oldRequired.subtracting(newRequired).sorted() {
                changes.breaks.append("\(what): property \(name) no longer always present")
            }
        }
    }
}
