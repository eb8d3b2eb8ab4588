/// libcurl refused an option at start-up: the client is not built as it must be, so nothing is sent.
public struct HTTPSetupError: LTError {
    public let message: String
    public let hint: String
    public var kind: ErrorKind { .configuration }

    init(option: String, code: String, safety: String?) {
        if let safety {
            message = "libcurl refused \(option) (\(code)), which \(safety) depends on"
            hint = "install libcurl 7.85 or later built with TLS (libcurl4-openssl-dev); nothing is sent without it"
        } else {
            message = "libcurl refused \(option) (\(code))"
            hint = "check the libcurl installed (curl --version); libcurl 7.85 or later is needed"
        }
    }
}
