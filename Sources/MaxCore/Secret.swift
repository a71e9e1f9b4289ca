/// A secret string that does not print itself.
///
/// `description`, `debugDescription` and string interpolation all give `<redacted>`, so a secret that
/// slips into a log line, an error message or a `dump` does not leak. Read the value only where it
/// must leave the process (an HTTP header, the credential file) with ``revealed``.
///
/// `Secret` is deliberately not `Codable`: persisting one is an explicit act of the credential store.
public struct Secret: Sendable, Hashable, CustomStringConvertible, CustomDebugStringConvertible,
    CustomReflectable
{
    private let value: String

    /// Wraps a secret value.
    public init(_ value: String) {
        self.value = value
    }

    /// The raw value.
    ///
    /// Every call site is a place a secret leaves Max's keeping: keep them few.
    public var revealed: String { value }

    /// `<redacted>`.
    public var description: String { "<redacted>" }

    /// `Secret(<redacted>)`.
    public var debugDescription: String { "Secret(<redacted>)" }

    /// A mirror with no children, so `dump` and reflection show nothing.
    public var customMirror: Mirror { Mirror(self, children: [], displayStyle: .struct) }
}
