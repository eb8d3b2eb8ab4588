import COpenSSL

#if canImport(Glibc)
import Glibc
#endif

/// A client certificate and its key, read and checked at start-up, before the first request and
/// whatever the URL's scheme (an `http://` endpoint never loads them, so a mistake would otherwise
/// wait for the day the URL became `https://`).
///
/// They are read with OpenSSL's libcrypto, the library libcurl's TLS reads them with here, so what
/// passes this check is what the handshake will load: a PEM certificate, a PEM private key (in its
/// own file or after the certificate), decrypted with the passphrase given, and the key matching
/// the certificate's public key. A passphrase is only ever taken from the value given: the
/// callback handed to OpenSSL fails when there is none, so OpenSSL never prompts on a terminal
/// (its default callback would, and lt-send would then wait there, deaf to SIGTERM).
///
/// Why libcrypto and not swift-crypto: swift-crypto reads neither X.509 certificates nor
/// encrypted keys, and a second parser could accept what libcurl refuses, or the reverse.
public enum TLSMaterial {
    /// The largest certificate or key file read (a chain of a few certificates is a few KiB).
    static let sizeLimit = 1 << 20

    /// Checks `certificate` for `owner` (an integration's name, or `--url`); throws a
    /// ``ConfigError`` (exit 2) saying what is wrong and how to fix it. Returns the warnings owed:
    /// a key file readable by group or others, as ssh says of an unprotected key, and a
    /// certificate past its end date.
    public static func check(_ certificate: ClientCertificate, owner: String) throws -> [String] {
        defer { ERR_clear_error() }
        let certPath = certificate.certificatePath
        let keyPath = certificate.keyPath ?? certPath
        let certBytes = try read(certPath, "client certificate", owner)
        let keyBytes = keyPath == certPath ? certBytes : try read(keyPath, "private key", owner)
        guard let x509 = parse(certBytes, { bio in PEM_read_bio_X509(bio, nil, refuse, nil) }) else {
            throw ConfigError(
                "\(owner): the client certificate \(certPath) is not a PEM certificate",
                hint: "give a file holding -----BEGIN CERTIFICATE-----")
        }
        defer { X509_free(x509) }
        let encrypted = keyBytes.contains("ENCRYPTED")
        let key: OpaquePointer? =
            if let passphrase = certificate.keyPassword {
                passphrase.withCString { given in
                    parse(keyBytes) { bio in
                        PEM_read_bio_PrivateKey(bio, nil, supply, UnsafeMutableRawPointer(mutating: given))
                    }
                }
            } else {
                parse(keyBytes) { bio in PEM_read_bio_PrivateKey(bio, nil, refuse, nil) }
            }
        guard let key else {
            let keyPlace = keyPath == certPath ? "in \(certPath)" : keyPath
            if encrypted && certificate.keyPassword == nil {
                throw ConfigError(
                    "\(owner): the private key \(keyPlace) is encrypted and no passphrase was given",
                    hint: "name the variable holding it with --key-password-env, or key_password_env in tls")
            }
            if encrypted {
                throw ConfigError(
                    "\(owner): the passphrase given does not decrypt the private key \(keyPlace)",
                    hint: "check the passphrase's variable or file")
            }
            throw ConfigError(
                "\(owner): no PEM private key \(keyPath == certPath ? "after the certificate in \(certPath)" : "in \(keyPath)")",
                hint: "give the key with --key (or key_file in tls), a file holding -----BEGIN PRIVATE KEY-----")
        }
        defer { EVP_PKEY_free(key) }
        guard X509_check_private_key(x509, key) == 1 else {
            throw ConfigError(
                "\(owner): the private key \(keyPath) does not match the client certificate \(certPath)",
                hint: "give the key the certificate was issued for")
        }
        var warnings: [String] = []
        var st = stat()
        if stat(keyPath, &st) == 0, st.st_mode & 0o077 != 0 {
            warnings.append(
                "\(owner): the private key \(keyPath) is readable by group or others (mode "
                    + "\(String(st.st_mode & 0o777, radix: 8))); run chmod 600 on it")
        }
        if X509_cmp_current_time(X509_get0_notAfter(x509)) < 0 {
            warnings.append("\(owner): the client certificate \(certPath) has expired; partners will refuse it")
        }
        return warnings
    }

    private static func read(_ path: String, _ what: String, _ owner: String) throws -> [UInt8] {
        guard let bytes = FileBytes.read(path, limit: sizeLimit) else {
            throw ConfigError(
                "\(owner): cannot read the \(what) \(path) (missing, unreadable, or over 1 MiB)",
                hint: "check the path and its permissions")
        }
        return bytes
    }

    /// Runs `reader` on a memory BIO over `bytes`.
    private static func parse<T>(_ bytes: [UInt8], _ reader: (OpaquePointer?) -> T?) -> T? {
        bytes.withUnsafeBytes { raw -> T? in
            guard let bio = BIO_new_mem_buf(raw.baseAddress, Int32(raw.count)) else { return nil }
            defer { BIO_free(bio) }
            return reader(bio)
        }
    }
}

/// OpenSSL's passphrase callback when none was given: fails, so OpenSSL never asks the terminal.
private let refuse: @convention(c) (UnsafeMutablePointer<CChar>?, Int32, Int32, UnsafeMutableRawPointer?) -> Int32 =
    { _, _, _, _ in -1 }

/// OpenSSL's passphrase callback with the passphrase given (a C string in `u`).
private let supply: @convention(c) (UnsafeMutablePointer<CChar>?, Int32, Int32, UnsafeMutableRawPointer?) -> Int32 =
    { buf, size, _, u in
        guard let buf, let u else { return -1 }
        let given = u.assumingMemoryBound(to: CChar.self)
        let n = strlen(given)
        guard n <= Int(size) else { return -1 }
        memcpy(buf, given, n)
        return Int32(n)
    }

extension [UInt8] {
    fileprivate func contains(_ text: String) -> Bool {
        let needle = Array(text.utf8)
        guard count >= needle.count else { return false }
        return (0...(count - needle.count)).contains { i in self[i..<(i + needle.count)].elementsEqual(needle) }
    }
}
