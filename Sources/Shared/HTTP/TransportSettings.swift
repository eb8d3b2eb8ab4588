/// How every transfer is made: TLS trust, the address guard and the response cap.
public struct TransportSettings: Sendable {
    /// CA certificates file (`--cacert`); without it, `CURL_CA_BUNDLE` or `SSL_CERT_FILE` as curl reads them,
    /// else libcurl's default bundle.
    public var caCertPath: String?
    /// CA certificates directory, from `SSL_CERT_DIR` when no file is given.
    public var caCertDirectory: String?
    /// Allow destinations on loopback, private, link-local and reserved addresses.
    public var allowPrivate = false
    /// Networks allowed although not public (`--allow-address`).
    public var allowedNetworks: [AddressGuard.Network] = []
    /// Largest part of a response body kept, in bytes; the rest is read and dropped.
    public var maxResponseBody = 64 * 1024
    public var userAgent = "lt-send/\(LTVersion.current)"

    public init() {}

    /// Fills the CA settings left unset from the environment, as the curl tool does:
    /// `CURL_CA_BUNDLE`, then `SSL_CERT_FILE` (and `SSL_CERT_DIR`). An explicit `--cacert` wins.
    public mutating func inheritCertificateAuthorities(from environment: [String: String]) {
        guard caCertPath == nil else { return }
        if let bundle = environment["CURL_CA_BUNDLE"], !bundle.isEmpty {
            caCertPath = bundle
        } else if let file = environment["SSL_CERT_FILE"], !file.isEmpty {
            caCertPath = file
        }
        if caCertDirectory == nil, let dir = environment["SSL_CERT_DIR"], !dir.isEmpty {
            caCertDirectory = dir
        }
    }

    /// True when `ip` may be connected to.
    func admits(_ ip: String) -> Bool {
        allowPrivate || AddressGuard.isPublic(ip) || allowedNetworks.contains { $0.contains(ip) }
    }

    /// The one message for every refused destination: the same whether the port is open or not,
    /// since no packet is sent.
    static func refusal(_ ip: String) -> String {
        "refused: \(ip) is a loopback, private, link-local or reserved address "
            + "(pass --allow-private or --allow-address to allow it)"
    }
}

/// A client certificate for mutual TLS: PEM certificate and key files, and the key's passphrase when
/// it is encrypted (read from a variable or file, never given on the command line).
public struct ClientCertificate: Sendable, Equatable {
    public var certificatePath: String
    public var keyPath: String?
    public var keyPassword: String?

    public init(certificatePath: String, keyPath: String?, keyPassword: String? = nil) {
        self.certificatePath = certificatePath
        self.keyPath = keyPath
        self.keyPassword = keyPassword
    }
}
