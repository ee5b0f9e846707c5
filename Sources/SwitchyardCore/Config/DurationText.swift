import Foundation

/// Parses durations written as `500ms`, `2s`, `5m`, `1h`, `30d`.
public enum DurationText {
    /// The duration, or `nil` when the text is not a whole number followed by a unit.
    public static func parse(_ text: String) -> Duration? {
        let digits = text.prefix { $0.isASCIIDigit }
        guard !digits.isEmpty, let value = Int64(digits) else { return nil }
        switch text.dropFirst(digits.count) {
        case "ms": return .milliseconds(value)
        case "s": return .seconds(value)
        case "m": return .seconds(value * 60)
        case "h": return .seconds(value * 3600)
        case "d": return .seconds(value * 86400)
        default: return nil
        }
    }
}

/// Parses byte sizes written as `10MiB`, `512KiB`, `1GiB` or a plain number of bytes.
public enum ByteSizeText {
    /// The size in bytes, or `nil`.
    public static func parse(_ text: String) -> Int? {
        let digits = text.prefix { $0.isASCIIDigit }
        guard !digits.isEmpty, let value = Int(digits) else { return nil }
        switch text.dropFirst(digits.count).trimmingCharacters(in: .whitespaces) {
        case "", "B": return value
        case "KiB", "KB", "k": return value << 10
        case "MiB", "MB", "M": return value << 20
        case "GiB", "GB", "G": return value << 30
        default: return nil
        }
    }
}

/// Parses and prints UTC dates.
public enum DateText {
    /// Midnight UTC of a `YYYY-MM-DD` date.
    public static func parseDay(_ text: String) -> Date? {
        let parts = text.split(separator: "-")
        guard parts.count == 3, parts[0].count == 4, parts[1].count == 2, parts[2].count == 2,
            let year = Int(parts[0]), let month = Int(parts[1]), let day = Int(parts[2])
        else { return nil }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = .gmt
        let components = DateComponents(year: year, month: month, day: day)
        guard components.isValidDate(in: calendar) else { return nil }
        return calendar.date(from: components)
    }
}
