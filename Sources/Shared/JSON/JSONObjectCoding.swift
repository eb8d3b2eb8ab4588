import FoundationEssentials

/// JSON documents as untyped values (`[String: Any]`, `[Any]`, `String`, `Int64`, `Double`, `Bool`
/// and ``Null``), read and written with FoundationEssentials' JSON coders: what JSONSerialization
/// did for the Snowflake client, without linking full Foundation (whose ICU data would be most of a
/// static binary). Not for the hot path, which scans and splices bytes.
enum JSONObjectCoding {
    /// JSON's `null`.
    struct Null: Sendable {}

    /// The document in `data`; throws when it is not JSON.
    static func object(from data: Data) throws -> Any {
        try JSONDecoder().decode(Value.self, from: data).untyped
    }

    /// `object` as JSON with its object keys sorted; throws for values JSON cannot hold.
    static func data(from object: Any) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return try encoder.encode(try Value(object))
    }

    private enum Value: Codable {
        case null
        case bool(Bool)
        case int(Int64)
        case double(Double)
        case string(String)
        case array([Value])
        case object([String: Value])

        init(_ any: Any) throws {
            switch any {
            case is Null: self = .null
            case let b as Bool: self = .bool(b)
            case let i as Int: self = .int(Int64(i))
            case let i as Int64: self = .int(i)
            case let d as Double: self = .double(d)
            case let s as String: self = .string(s)
            case let a as [Any]: self = .array(try a.map(Value.init))
            case let o as [String: Any]: self = .object(try o.mapValues(Value.init))
            default:
                throw EncodingError.invalidValue(any, .init(codingPath: [], debugDescription: "not a JSON value"))
            }
        }

        init(from decoder: Decoder) throws {
            if var array = try? decoder.unkeyedContainer() {
                var values: [Value] = []
                while !array.isAtEnd { values.append(try array.decode(Value.self)) }
                self = .array(values)
                return
            }
            if let object = try? decoder.container(keyedBy: Key.self) {
                var values: [String: Value] = [:]
                for key in object.allKeys { values[key.stringValue] = try object.decode(Value.self, forKey: key) }
                self = .object(values)
                return
            }
            let single = try decoder.singleValueContainer()
            if single.decodeNil() {
                self = .null
            } else if let b = try? single.decode(Bool.self) {
                self = .bool(b)
            } else if let i = try? single.decode(Int64.self) {
                self = .int(i)
            } else if let d = try? single.decode(Double.self) {
                self = .double(d)
            } else {
                self = .string(try single.decode(String.self))
            }
        }

        func encode(to encoder: Encoder) throws {
            switch self {
            case .null:
                var c = encoder.singleValueContainer()
                try c.encodeNil()
            case .bool(let b):
                var c = encoder.singleValueContainer()
                try c.encode(b)
            case .int(let i):
                var c = encoder.singleValueContainer()
                try c.encode(i)
            case .double(let d):
                var c = encoder.singleValueContainer()
                try c.encode(d)
            case .string(let s):
                var c = encoder.singleValueContainer()
                try c.encode(s)
            case .array(let a):
                var c = encoder.unkeyedContainer()
                for v in a { try c.encode(v) }
            case .object(let o):
                var c = encoder.container(keyedBy: Key.self)
                for (k, v) in o { try c.encode(v, forKey: Key(k)) }
            }
        }

        var untyped: Any {
            switch self {
            case .null: return Null()
            case .bool(let b): return b
            case .int(let i): return i
            case .double(let d): return d
            case .string(let s): return s
            case .array(let a): return a.map(\.untyped)
            case .object(let o): return o.mapValues(\.untyped)
            }
        }
    }

    private struct Key: CodingKey {
        let stringValue: String
        var intValue: Int? { nil }
        init(_ s: String) { stringValue = s }
        init?(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }
}
