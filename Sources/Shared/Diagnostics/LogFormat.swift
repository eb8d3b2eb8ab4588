/// How diagnostics are written: lines for people, or one JSON object per event for log pipelines.
public enum LogFormat: String, Sendable, CaseIterable {
    case human, json
}
