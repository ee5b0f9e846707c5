import Foundation

/// A fixed UTC window that limits and budgets count in: a minute, a day, an ISO week (Monday
/// to Monday) or a calendar month.
///
/// Windows are aligned to UTC boundaries, never to the first request, so every replica computes
/// the same window for the same instant without talking to the others.
public enum LimitPeriod: String, Sendable, Hashable, CaseIterable {
    case minute
    case day
    case week
    case month

    /// The window `[start, end)` that contains `instant`.
    public func window(containing instant: Date) -> DateInterval {
        let seconds = Int64((instant.timeIntervalSince1970).rounded(.down))
        switch self {
        case .minute:
            let start = Self.floor(seconds, 60)
            return Self.interval(start, start + 60)
        case .day:
            let start = Self.floor(seconds, 86_400)
            return Self.interval(start, start + 86_400)
        case .week:
            // 1970-01-01 was a Thursday: shifting by three days puts week boundaries on Mondays.
            let start = Self.floor(seconds + 3 * 86_400, 7 * 86_400) - 3 * 86_400
            return Self.interval(start, start + 7 * 86_400)
        case .month:
            let days = Self.floor(seconds, 86_400) / 86_400
            let (year, month, _) = Self.civil(fromDays: days)
            let start = Self.days(year: year, month: month, day: 1) * 86_400
            let next =
                month == 12
                ? Self.days(year: year + 1, month: 1, day: 1) : Self.days(year: year, month: month + 1, day: 1)
            return Self.interval(start, next * 86_400)
        }
    }

    /// The window's length as OpenAI names it in rate-limit headers (`1m`, `1d`, …).
    public var unitName: String {
        switch self {
        case .minute: "minute"
        case .day: "day"
        case .week: "week"
        case .month: "month"
        }
    }

    private static func floor(_ value: Int64, _ divisor: Int64) -> Int64 {
        let quotient = value / divisor
        return (value % divisor < 0 ? quotient - 1 : quotient) * divisor
    }

    private static func interval(_ start: Int64, _ end: Int64) -> DateInterval {
        DateInterval(
            start: Date(timeIntervalSince1970: Double(start)),
            end: Date(timeIntervalSince1970: Double(end))
        )
    }

    /// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
    static func days(year: Int64, month: Int64, day: Int64) -> Int64 {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    /// The date of a day count since 1970-01-01.
    static func civil(fromDays days: Int64) -> (year: Int64, month: Int64, day: Int64) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let mp = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }
}
