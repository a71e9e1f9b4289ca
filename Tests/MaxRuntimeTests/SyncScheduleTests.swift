import Foundation
import MaxCore
import MaxRuntime
import Testing

/// Schedules: what `max.json` may say, and when the next sync is due.
struct SyncScheduleTests {
    static let start = Date(timeIntervalSince1970: 1_780_000_000)  // 2026-05-28T20:26:40Z

    @Test(arguments: [
        ("90s", 90), ("15m", 900), ("2h", 7200), ("1d", 86400), ("1h30m", 5400), (" 5m ", 300),
    ])
    func durationsRead(text: String, seconds: Int64) {
        #expect(SyncSchedule.duration(text) == .seconds(seconds))
    }

    @Test(arguments: ["", "15", "m", "15x", "-5m", "1.5h", "15mm"])
    func malformedDurationsAreRefused(text: String) {
        #expect(SyncSchedule.duration(text) == nil)
    }

    @Test(arguments: [
        (#"{"every": "0s"}"#, "installations.a.sync.every must be a duration of at least one second"),
        (#"{"fullEvery": "1d"}"#, "installations.a.sync.every must be given"),
        (#"{"every": "1m", "evry": "2m"}"#, "installations.a.sync.evry must be absent"),
        (#"{"every": 60}"#, "installations.a.sync.every must be a duration"),
        (#"{"every": "1m", "window": {"from": "25:00", "to": "01:00"}}"#, "installations.a.sync.window must be"),
        (#""15m""#, "installations.a.sync must be an object"),
    ])
    func mistakesNameTheirKey(json: String, message: String) throws {
        let error = #expect(throws: MaxError.self) {
            try SyncSchedule.parse(try JSONValue(parsing: json), at: "installations.a.sync")
        }
        #expect(error?.code == .invalidProjectFile)
        #expect(error?.message.contains(message) == true, "\(error?.message ?? "")")
    }

    @Test func aFirstSyncIsDueAtOnceThenEveryInterval() throws {
        let schedule = try SyncSchedule.parse(["every": "15m"], at: "s")
        #expect(schedule.nextRun(lastEnded: nil, failures: 0, seed: "a", now: Self.start) == Self.start)
        let ended = Self.start
        let now = ended.addingTimeInterval(60)
        #expect(schedule.nextRun(lastEnded: ended, failures: 0, seed: "a", now: now) == ended.addingTimeInterval(900))
        // The node was down for hours: one sync, due now, not one per missed interval.
        let late = ended.addingTimeInterval(5 * 3600)
        #expect(schedule.nextRun(lastEnded: ended, failures: 0, seed: "a", now: late) == late)
    }

    @Test func failuresBackOffExponentiallyUpToACap() throws {
        let schedule = try SyncSchedule.parse(["every": "2s"], at: "s")
        #expect((0...4).map { schedule.delay(afterFailures: $0) } == [2, 4, 8, 16, 32].map { .seconds($0) })
        #expect(schedule.delay(afterFailures: 30) == .seconds(6 * 3600))
        let daily = try SyncSchedule.parse(["every": "1d"], at: "s")
        #expect(daily.delay(afterFailures: 3) == .seconds(86400), "the cap is every when every is longer")
    }

    @Test func jitterIsBoundedAndTheSameForTheSameRun() throws {
        let schedule = try SyncSchedule.parse(["every": "10m", "jitter": "1m"], at: "s")
        let ended = Self.start
        let times = ["a", "b", "c", "d", "e"].map {
            schedule.nextRun(lastEnded: ended, failures: 0, seed: $0, now: ended)
        }
        for time in times {
            #expect((600...660).contains(time.timeIntervalSince(ended)))
        }
        #expect(Set(times).count > 1, "installations do not all start at once")
        #expect(schedule.nextRun(lastEnded: ended, failures: 0, seed: "a", now: ended) == times[0])
    }

    @Test func aWindowDefersToItsOpening() throws {
        let night = try SyncSchedule.parse(
            ["every": "1h", "window": ["from": "22:00", "to": "06:00"]], at: "s")
        let calendar = { () -> Calendar in
            var calendar = Calendar(identifier: .gregorian)
            calendar.timeZone = TimeZone(identifier: "UTC") ?? .current
            return calendar
        }()
        let noon = try #require(calendar.date(from: DateComponents(year: 2026, month: 6, day: 1, hour: 12)))
        let next = night.nextRun(lastEnded: nil, failures: 0, seed: "a", now: noon)
        #expect(
            calendar.dateComponents([.day, .hour, .minute], from: next) == DateComponents(day: 1, hour: 22, minute: 0))
        let lateNight = try #require(calendar.date(from: DateComponents(year: 2026, month: 6, day: 1, hour: 23)))
        #expect(night.nextRun(lastEnded: nil, failures: 0, seed: "a", now: lateNight) == lateNight)
        let day = try SyncSchedule.parse(["every": "1h", "window": ["from": "09:00", "to": "17:00"]], at: "s")
        let evening = try #require(calendar.date(from: DateComponents(year: 2026, month: 6, day: 1, hour: 18)))
        let morning = day.nextRun(lastEnded: nil, failures: 0, seed: "a", now: evening)
        #expect(calendar.dateComponents([.day, .hour], from: morning) == DateComponents(day: 2, hour: 9))
    }

    @Test func aFullSyncIsDueWhenTheLastIsOlderThanFullEvery() throws {
        let schedule = try SyncSchedule.parse(["every": "15m", "fullEvery": "1d"], at: "s")
        #expect(schedule.isFullDue(lastFull: nil, now: Self.start))
        #expect(!schedule.isFullDue(lastFull: Self.start, now: Self.start.addingTimeInterval(3600)))
        #expect(schedule.isFullDue(lastFull: Self.start, now: Self.start.addingTimeInterval(86400)))
        #expect(!(try SyncSchedule.parse(["every": "15m"], at: "s")).isFullDue(lastFull: nil, now: Self.start))
    }
}
