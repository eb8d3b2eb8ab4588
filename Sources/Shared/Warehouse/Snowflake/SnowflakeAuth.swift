import Crypto
import FoundationEssentials
import _CryptoExtras

/// How lt-query proves who it is to the Snowflake SQL API.
///
/// Key-pair authentication signs a short-lived JWT (RS256) with the service user's private key,
/// as Snowflake documents; OAuth and programmatic access tokens are passed on as they are.
public final class SnowflakeAuth {
    public enum Method {
        case keyPair(_RSA.Signing.PrivateKey)
        case oauth(String)
        case programmaticAccessToken(String)
    }

    let method: Method
    let account: SnowflakeAccount
    /// JWTs live at most this long; Snowflake accepts up to one hour.
    public var lifetime: Double = 3540
    private var cached: (token: String, renewAt: Double)?

    public init(method: Method, account: SnowflakeAccount) {
        self.method = method
        self.account = account
    }

    /// Reads the credentials from the environment: `SNOWFLAKE_PRIVATE_KEY_PATH` (PEM, PKCS#8,
    /// optionally encrypted with the passphrase in `SNOWFLAKE_PRIVATE_KEY_PASSPHRASE`), else
    /// `SNOWFLAKE_OAUTH_TOKEN`, else `SNOWFLAKE_PAT`.
    public static func fromEnvironment(_ env: [String: String], account: SnowflakeAccount) throws -> SnowflakeAuth {
        if let path = env["SNOWFLAKE_PRIVATE_KEY_PATH"], !path.isEmpty {
            guard let bytes = FileBytes.read(path) else {
                throw ConfigError(
                    "cannot read the private key \(path) named by SNOWFLAKE_PRIVATE_KEY_PATH",
                    hint: "check the path and its permissions")
            }
            let pem = String(decoding: bytes, as: UTF8.self)
            do {
                let key: _RSA.Signing.PrivateKey
                if pem.contains("ENCRYPTED") {
                    guard let passphrase = env["SNOWFLAKE_PRIVATE_KEY_PASSPHRASE"] else {
                        throw ConfigError(
                            "the private key \(path) is encrypted", hint: "set SNOWFLAKE_PRIVATE_KEY_PASSPHRASE")
                    }
                    key = try _RSA.Signing.PrivateKey(encryptedPEMRepresentation: pem) { setter in
                        setter(Array(passphrase.utf8))
                    }
                } else {
                    key = try _RSA.Signing.PrivateKey(pemRepresentation: pem)
                }
                return SnowflakeAuth(method: .keyPair(key), account: account)
            } catch let e as ConfigError {
                throw e
            } catch {
                throw ConfigError(
                    "cannot load the RSA private key \(path): \(error)",
                    hint:
                        "use a PEM PKCS#8 key of 2048 bits or more (openssl genrsa 2048 | openssl pkcs8 -topk8 -nocrypt)"
                )
            }
        }
        if let t = env["SNOWFLAKE_OAUTH_TOKEN"], !t.isEmpty {
            return SnowflakeAuth(method: .oauth(t), account: account)
        }
        if let t = env["SNOWFLAKE_PAT"], !t.isEmpty {
            return SnowflakeAuth(method: .programmaticAccessToken(t), account: account)
        }
        throw ConfigError(
            "no Snowflake credentials",
            hint: "set SNOWFLAKE_PRIVATE_KEY_PATH (key pair), SNOWFLAKE_OAUTH_TOKEN or SNOWFLAKE_PAT")
    }

    /// The value of `X-Snowflake-Authorization-Token-Type`.
    public var tokenType: String {
        switch method {
        case .keyPair: "KEYPAIR_JWT"
        case .oauth: "OAUTH"
        case .programmaticAccessToken: "PROGRAMMATIC_ACCESS_TOKEN"
        }
    }

    /// `SHA256:` and the base64 SHA-256 of the public key's DER SubjectPublicKeyInfo.
    public static func fingerprint(of key: _RSA.Signing.PrivateKey) -> String {
        "SHA256:" + Data(SHA256.hash(data: key.publicKey.derRepresentation)).base64EncodedString()
    }

    /// The bearer token, renewed five minutes before a JWT expires.
    public func token(now: Double = Timestamps.now()) throws -> String {
        switch method {
        case .oauth(let t), .programmaticAccessToken(let t):
            return t
        case .keyPair(let key):
            if let cached, now < cached.renewAt { return cached.token }
            let accountName = account.accountForToken
            let user = account.user.uppercased()
            let issued = Int(now)
            // Members in sorted order, as before; JSONBuffer escapes the account and user names.
            var header = JSONBuffer()
            header.beginObject()
            header.member("alg", "RS256")
            header.member("typ", "JWT")
            header.endObject()
            var payload = JSONBuffer()
            payload.beginObject()
            payload.member("exp", issued + Int(lifetime))
            payload.member("iat", issued)
            payload.member("iss", "\(accountName).\(user).\(SnowflakeAuth.fingerprint(of: key))")
            payload.member("sub", "\(accountName).\(user)")
            payload.endObject()
            let signingInput = base64URL(Data(header.bytes)) + "." + base64URL(Data(payload.bytes))
            let signature = try key.signature(for: Data(signingInput.utf8), padding: .insecurePKCS1v1_5)
            let token = signingInput + "." + base64URL(signature.rawRepresentation)
            cached = (token, now + lifetime - 300)
            return token
        }
    }

    private func base64URL(_ data: Data) -> String {
        data.base64EncodedString().replacing("+", with: "-").replacing("/", with: "_").replacing("=", with: "")
    }
}
