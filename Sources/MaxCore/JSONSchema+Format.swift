extension JSONSchema {
    /// Whether `text` has the `format` (`date-time`, `email`, `uri`).
    static func conforms(_ text: String, to format: String) -> Bool {
        switch format {
        case "date-time": isDateTime(text)
        case "email": isEmail(text)
        case "uri": isURI(text)
        default: true
        }
    }

    static func formatDescription(_ format: String) -> String {
        switch format {
        case "date-time": "a date-time such as 2026-11-24T09:30:00Z (RFC 3339)"
        case "email": "an email address"
        case "uri": "an absolute URI such as https://example.com/x"
        default: "a \(format)"
        }
    }

    /// RFC 3339 `date-time`: `2026-11-24T09:30:00Z`, `…:00.123+01:00`, with the ranges checked.
    static func isDateTime(_ text: String) -> Bool {
        let shape = #/^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d+)?([Zz]|[+-](\d{2}):(\d{2}))$/#
        guard let match = text.wholeMatch(of: shape) else { return false }
        let year = Int(match.1) ?? 0
        let month = Int(match.2) ?? 0
        let day = Int(match.3) ?? 0
        let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
        let days = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
        guard (1...12).contains(month), (1...days[month - 1]).contains(day) else { return false }
        guard (Int(match.4) ?? 99) <= 23, (Int(match.5) ?? 99) <= 59, (Int(match.6) ?? 99) <= 60 else { return false }
        if let hours = match.9, let minutes = match.10 {
            return (Int(hours) ?? 99) <= 23 && (Int(minutes) ?? 99) <= 59
        }
        return true
    }

    /// A practical `email`: one `@`, a local part, and a domain with a dot, no spaces.
    static func isEmail(_ text: String) -> Bool {
        text.wholeMatch(of: #/[^@\s]+@[^@\s.]+(\.[^@\s.]+)+/#) != nil
    }

    /// An absolute `uri`: a scheme, a colon, and no spaces.
    static func isURI(_ text: String) -> Bool {
        text.wholeMatch(of: #/[A-Za-z][A-Za-z0-9+.\-]*:[^\s]+/#) != nil
    }
}
