import FoundationEssentials

/// An answer of the Snowflake SQL API (`ResultSet` or `QueryStatus`), decoded with Codable; only
/// the members lt-query reads. Every cell arrives as a string, or null.
struct SnowflakeAnswer: Decodable {
    var code: String?
    var message: String?
    var sqlState: String?
    var statementHandle: String?
    var resultSetMetaData: Metadata?
    var data: [[String?]]?

    struct Metadata: Decodable {
        var numRows: Int?
        var partitionInfo: [Partition]?
    }

    struct Partition: Decodable {
        var rowCount: Int?
    }

    /// The body decoded; a body that is not such an answer is an outage, not an empty result.
    static func decode(_ body: [UInt8], status: Int, from place: String) throws -> SnowflakeAnswer {
        do {
            return try JSONDecoder().decode(SnowflakeAnswer.self, from: Data(body))
        } catch {
            let what = body.isEmpty ? "an empty body" : "a body that is not a SQL API answer"
            throw WarehouseError.unavailable("\(place) answered \(status) with \(what)")
        }
    }

    /// Snowflake's error codes and SQL states that another attempt cannot cure: the credentials,
    /// the role's grants, or the objects the statement names.
    var isPermanent: Bool {
        if let code {
            // 390xxx: authentication (bad JWT, unknown user, expired key); 002003: does not exist or
            // not authorized; 002043: object does not exist or operation cannot be performed;
            // 003001: insufficient privileges; 000606: no active warehouse.
            if code.hasPrefix("390") || ["002003", "002043", "003001", "000606"].contains(code) { return true }
        }
        if let s = sqlState, s.hasPrefix("28") || s.hasPrefix("42") { return true }
        return false
    }

    var quotedMessage: String {
        guard let message, !message.isEmpty else { return "" }
        return ": " + String(message.prefix(300))
    }
}
