/// Who is calling: the tenant and the id of the key used.
public struct ClientIdentity: Sendable, Hashable {
    /// The tenant id.
    public var tenant: String
    /// The key's non-secret id.
    public var keyID: String

    /// Creates an identity.
    public init(tenant: String, keyID: String) {
        self.tenant = tenant
        self.keyID = keyID
    }
}

/// The configured client keys, held only as SHA-256 digests.
public struct KeyRing: Sendable {
    private let identities: [KeyDigest: (digest: KeyDigest, identity: ClientIdentity)]

    /// Hashes every configured key.
    public init(keys: [ClientKeyConfig]) {
        var identities: [KeyDigest: (digest: KeyDigest, identity: ClientIdentity)] = [:]
        for key in keys {
            let digest = KeyDigest(key.key.value)
            identities[digest] = (digest, ClientIdentity(tenant: key.tenant, keyID: key.id))
        }
        self.identities = identities
    }

    /// The identity of `presentedKey`, or `nil` when no configured key matches.
    ///
    /// The lookup is by digest, so timing reveals nothing about the keys; the final comparison
    /// is constant-time all the same.
    public func identify(_ presentedKey: String) -> ClientIdentity? {
        let digest = KeyDigest(presentedKey)
        guard let match = self.identities[digest], match.digest.constantTimeEquals(digest) else { return nil }
        return match.identity
    }
}
