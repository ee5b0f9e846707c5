import SwitchyardCore

/// SQL shared by the two engines' reports; only what differs between dialects is switched.
enum ReportSQL {
    enum Dialect {
        case sqlite
        case postgres
    }

    /// The expression a usage report groups by (UTC days and months from `time_ms`).
    static func groupExpression(_ dimension: UsageDimension, dialect: Dialect) -> String {
        switch (dimension, dialect) {
        case (.tenant, _): "tenant"
        case (.key, _): "key_id"
        case (.model, _): "model"
        case (.provider, _): "COALESCE(provider, '-')"
        case (.cloud, _): "COALESCE(cloud, '-')"
        case (.day, .sqlite): "strftime('%Y-%m-%d', time_ms / 1000, 'unixepoch')"
        case (.month, .sqlite): "strftime('%Y-%m', time_ms / 1000, 'unixepoch')"
        case (.day, .postgres): "to_char(to_timestamp(time_ms / 1000) AT TIME ZONE 'UTC', 'YYYY-MM-DD')"
        case (.month, .postgres): "to_char(to_timestamp(time_ms / 1000) AT TIME ZONE 'UTC', 'YYYY-MM')"
        }
    }
}
