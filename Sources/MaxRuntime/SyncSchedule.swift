public import Foundation
public import MaxCore
import MaxStorage
import MaxStore

/// When an installation syncs on its own, from its `"sync"` entry in `max.json`:
/// `{"every": "15m", "fullEvery": "24h", "jitter": "30s", "window": {"from": "01:00", "to": "05:00"}}`.
///
/// Pure: the scheduler of `max serve` and `max ls` (for the next run it shows) compute the same
/// times from the same facts, the end of the last run and how many runs in a row failed.
///
/// - `every`: the time from the end of one sync to the start of the next (`90s`, `15m`, `2h`, `1d`,
///   `1h30m`; at least one second).
/// - `fullEvery`: a full sync instead of an incremental one when the last full one is older.
/// - `jitter`: up to this much later, the same for the same run (a hash, not a random number), so
///   installations that share a schedule do not all start at once.
/// - `window`: only between these times of day (UTC, `HH:MM`; `from` after `to` spans midnight);
///   a sync due outside waits for the window to open.
///
/// After a failed sync the next one waits `every` × 2 per failure in a row (capped at six hours or
/// `every`, whichever is longer); missed runs (the node was down) collapse into one, due at once.
public struct SyncSchedule: Sendable, Hashable {
    /// The time between the end of a sync and the start of the next.
    public var every: Duration
    /// How old the last full sync may be before the next sync is a full one.
    public var fullEvery: Duration?
    /// The most a run is delayed to spread the load.
    public var jitter: Duration
    /// The times of day syncs may start in, as minutes since midnight UTC.
    public var window: ClosedRange<Int>?
    /// Whether `window` spans midnight (`from` after `to`).
    public var windowWraps = false

    /// The longest wait after failures, unless `every` is longer.
    static let backoffCap: Duration = .seconds(6 * 3600)

    /// A schedule.
    public init(every: Duration, fullEvery: Duration? = nil, jitter: Duration = .zero) {
        self.every = every
        self.fullEvery = fullEvery
        self.jitter = jitter
    }

    /// Reads a schedule from `max.json`.
    ///
    /// - Parameters:
    ///   - json: The `"sync"` value.
    ///   - path: Where it is (`installations.acme.sync`), for errors.
    /// - Returns: The schedule.
    /// - Throws: `project.invalid_config`, naming the key and what it should be.
    public static func parse(_ json: JSONValue, at path: String) throws -> SyncSchedule {
        func refuse(_ key: String, _ what: String) -> MaxError {
            MaxError(
                .invalidProjectFile, "max.json: \(path)\(key.isEmpty ? "" : ".\(key)") must be \(what)",
                hint: "fix it in max.json", context: ["key": "\(path)\(key.isEmpty ? "" : ".\(key)")"])
        }
        guard let object = json.objectValue else { throw refuse("", "an object such as {\"every\": \"15m\"}") }
        for key in object.keys where !["every", "fullEvery", "jitter", "window"].contains(key) {
            throw refuse(key, "absent: a schedule has every, fullEvery, jitter and window")
        }
        func duration(_ key: String) throws -> Duration? {
            guard let value = object[key] else { return nil }
            guard let text = value.stringValue, let duration = Self.duration(text), duration >= .seconds(1) else {
                throw refuse(key, "a duration of at least one second, such as \"90s\", \"15m\", \"2h\" or \"1d\"")
            }
            return duration
        }
        guard let every = try duration("every") else { throw refuse("every", "given, such as \"15m\"") }
        var schedule = SyncSchedule(
            every: every, fullEvery: try duration("fullEvery"), jitter: try duration("jitter") ?? .zero)
        if let window = object["window"] {
            guard let from = window["from"]?.stringValue.flatMap(Self.minutes),
                let to = window["to"]?.stringValue.flatMap(Self.minutes), from != to
            else { throw refuse("window", "{\"from\": \"HH:MM\", \"to\": \"HH:MM\"} (UTC), two different times") }
            schedule.windowWraps = from > to
            schedule.window = min(from, to)...max(from, to)
        }
        return schedule
    }

    /// `90s`, `15m`, `2h`, `1d`, `1h30m`: a duration, or `nil`.
    public static func duration(_ text: String) -> Duration? {
        var total: Int64 = 0
        var number: Int64?
        var parts = 0
        for character in text.trimmingCharacters(in: .whitespaces) {
            if let digit = character.wholeNumberValue, character.isASCII {
                number = (number ?? 0) * 10 + Int64(digit)
                guard number ?? 0 < 10_000_000 else { return nil }
                continue
            }
            guard let value = number else { return nil }
            switch character {
            case "s": total += value
            case "m": total += value * 60
            case "h": total += value * 3600
            case "d": total += value * 86400
            default: return nil
            }
            number = nil
            parts += 1
        }
        guard number == nil, parts > 0 else { return nil }
        return .seconds(total)
    }

    /// `HH:MM` as minutes since midnight.
    static func minutes(_ text: String) -> Int? {
        let parts = text.split(separator: ":")
        guard parts.count == 2, let hours = Int(parts[0]), let minutes = Int(parts[1]), (0..<24).contains(hours),
            (0..<60).contains(minutes)
        else { return nil }
        return hours * 60 + minutes
    }

    /// How long to wait after `failures` failed syncs in a row (none: `every`).
    public func delay(afterFailures failures: Int) -> Duration {
        guard failures > 0 else { return every }
        let cap = max(every, Self.backoffCap)
        var delay = every
        for _ in 0..<min(failures, 40) {
            delay = delay * 2
            if delay >= cap { return cap }
        }
        return delay
    }

    /// When the next sync is due.
    ///
    /// - Parameters:
    ///   - lastEnded: When the last sync ended; `nil` when there was none (due at once).
    ///   - failures: How many syncs in a row failed before now.
    ///   - seed: What the jitter is hashed from (the installation's name).
    ///   - now: The time now: a time before it means due at once (missed runs collapse).
    /// - Returns: The time, never before `now`.
    public func nextRun(lastEnded: Date?, failures: Int, seed: String, now: Date) -> Date {
        guard let lastEnded else { return opening(now) }
        var next = lastEnded.addingTimeInterval(delay(afterFailures: failures).timeInterval)
        if jitter > .zero {
            let span = max(1, Int64(jitter.timeInterval * 1000))
            let hash = Self.hash("\(seed)@\(Int64(lastEnded.timeIntervalSince1970 * 1000))")
            next = next.addingTimeInterval(Double(Int64(hash % UInt64(span))) / 1000)
        }
        return opening(max(next, now))
    }

    /// Whether the sync due now should be full: no full sync yet, or the last is older than
    /// `fullEvery`.
    public func isFullDue(lastFull: Date?, now: Date) -> Bool {
        guard let fullEvery else { return false }
        guard let lastFull else { return true }
        return now.timeIntervalSince(lastFull) >= fullEvery.timeInterval
    }

    /// `date`, or the next opening of the window when it is outside it.
    func opening(_ date: Date) -> Date {
        guard let window else { return date }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC") ?? .current
        let parts = calendar.dateComponents([.hour, .minute], from: date)
        let minute = (parts.hour ?? 0) * 60 + (parts.minute ?? 0)
        let inside = windowWraps ? !(window.lowerBound < minute && minute < window.upperBound) : window.contains(minute)
        if inside { return date }
        let start = windowWraps ? window.upperBound : window.lowerBound
        let midnight = calendar.startOfDay(for: date)
        var opening = midnight.addingTimeInterval(Double(start * 60))
        if opening <= date { opening = opening.addingTimeInterval(86400) }
        return opening
    }

    /// FNV-1a: the same in every process (Swift's `Hasher` is not).
    static func hash(_ text: String) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in text.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x100_0000_01b3
        }
        return hash
    }
}

extension Duration {
    /// The duration in seconds, as a `TimeInterval` (what `Date` arithmetic takes).
    public var timeInterval: TimeInterval {
        Double(components.seconds) + Double(components.attoseconds) / 1e18
    }
}

extension InstallationRecord {
    /// The installation's schedule, from its `"sync"` entry; `nil` when it has none.
    ///
    /// - Throws: `project.invalid_config` for a malformed one, naming the key.
    public func schedule(named name: String) throws -> SyncSchedule? {
        guard let json = otherKeys["sync"] else { return nil }
        return try SyncSchedule.parse(json, at: "installations.\(name).sync")
    }
}

/// What an installation's last runs say for its schedule.
public struct ScheduleHistory: Sendable, Hashable {
    /// When the last sync ended.
    public var lastEnded: Date?
    /// How many syncs in a row failed (or ended partial) before now.
    public var failures = 0
    /// When the last full sync completed.
    public var lastFull: Date?

    /// A history.
    public init(lastEnded: Date? = nil, failures: Int = 0, lastFull: Date? = nil) {
        self.lastEnded = lastEnded
        self.failures = failures
        self.lastFull = lastFull
    }
}

extension MaxWorkspace {
    /// What the store of `name` says of its last runs (nothing when it was never synced or its
    /// store cannot be read).
    public func scheduleHistory(of name: String) async -> ScheduleHistory {
        guard let store = try? await openStoreForReading(name), let runs = try? await store.runs(limit: 50) else {
            return ScheduleHistory()
        }
        return ScheduleHistory(
            lastEnded: runs.first?.finishedAt ?? runs.first?.startedAt,
            failures: runs.prefix { $0.status == .failed || $0.status == .partial }.count,
            lastFull: runs.first { $0.kind == "full" && $0.status == .completed }?.finishedAt)
    }

    /// When `name` syncs next on its schedule, as `max serve` would run it; `nil` without one.
    ///
    /// - Throws: `project.invalid_config` for a malformed schedule; as ``record(_:)``.
    public func nextScheduledRun(of name: String, now: Date = Date()) async throws -> Date? {
        guard let schedule = try record(name).schedule(named: name) else { return nil }
        let history = await scheduleHistory(of: name)
        return schedule.nextRun(lastEnded: history.lastEnded, failures: history.failures, seed: name, now: now)
    }
}
