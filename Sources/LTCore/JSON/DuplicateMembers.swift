/// Finds members that appear twice in one object.
///
/// JSON parsers disagree on which of two same-named members counts (the first, the last, an
/// error), so a member that decides something (a lookup key, where learning time goes) must not
/// be read from an object that repeats it: the partner's parser might read the other one.
public enum DuplicateMembers {
    /// The first of `names` that appears more than once among `members`, keys compared unescaped.
    public static func first(named names: [StaticString], in members: [JSONMember], of s: JSONScanner) -> String? {
        guard firstRepeat(in: members, of: s) != nil else { return nil }
        for name in names where count(name, in: members, of: s) > 1 { return name.description }
        return nil
    }

    /// The first key that appears more than once among `members`, compared unescaped.
    public static func first(in members: [JSONMember], of s: JSONScanner) -> String? {
        firstRepeat(in: members, of: s).map { s.keyText(members[$0]) }
    }

    /// The index of the first member whose key an earlier member has, or nil.
    ///
    /// Objects that decide anything have a handful of members, where comparing every pair of keys
    /// is cheaper than hashing each one (the check runs on every line); larger ones use a set.
    static func firstRepeat(in members: [JSONMember], of s: JSONScanner) -> Int? {
        guard members.count > 1 else { return nil }
        if members.count <= 16 {
            for i in 1..<members.count {
                for j in 0..<i where s.sameKey(members[i], members[j]) { return i }
            }
            return nil
        }
        var seen: Set<String> = []
        for (i, m) in members.enumerated() where !seen.insert(s.keyText(m)).inserted { return i }
        return nil
    }

    /// How many of `members` are named `name`.
    public static func count(_ name: StaticString, in members: [JSONMember], of s: JSONScanner) -> Int {
        members.reduce(0) { $0 + (s.key(of: $1, equals: name) ? 1 : 0) }
    }

    /// How many of `members` are named `name`, given at run time.
    public static func count(_ name: String, in members: [JSONMember], of s: JSONScanner) -> Int {
        members.reduce(0) { $0 + (s.key(of: $1, equalsString: name) ? 1 : 0) }
    }
}
