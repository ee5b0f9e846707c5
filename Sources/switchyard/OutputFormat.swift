import ArgumentParser
import Foundation
import SwitchyardCore

/// How a CLI report is printed.
enum OutputFormat: String, ExpressibleByArgument, CaseIterable {
    case table
    case csv
    case json
}

/// Renders rows as an aligned table or as CSV (RFC 4180 quoting).
enum TableText {
    static func render(_ rows: [[String]], format: OutputFormat) -> String {
        switch format {
        case .csv:
            return rows.map { row in row.map(Self.csvField).joined(separator: ",") }.joined(separator: "\n")
        case .table, .json:
            guard let header = rows.first else { return "" }
            let widths = header.indices.map { column in rows.map { $0[column].count }.max() ?? 0 }
            return rows.map { row in
                var line = ""
                for (column, value) in row.enumerated() {
                    line +=
                        column == row.count - 1
                        ? value : value + String(repeating: " ", count: widths[column] - value.count + 2)
                }
                return line
            }.joined(separator: "\n")
        }
    }

    static func csvField(_ value: String) -> String {
        guard value.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" }) else { return value }
        return "\"" + value.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}

/// Parses an instant option (`2026-12-20` or `2026-12-20T10:00:00Z`).
func parseInstant(_ text: String?, option: String) throws -> Date? {
    guard let text else { return nil }
    guard let date = InstantText.parse(text) else {
        throw ValidationError("--\(option): expected a UTC date (2030-12-31) or instant (2030-12-31T00:00:00Z)")
    }
    return date
}

func printJSON(_ value: some Encodable) throws {
    print(String(decoding: try ReportJSON.encoder.encode(value), as: UTF8.self))
}
