/// Finds members that appear twice in one object.
///
/// JSON parsers disagree on which of two same-named members counts (the first, the last, an
/// error), so a member that decides something (a lookup key, where learning time goes) must not
/// be read from an object that repeats it: the partner's parser might read the other one.
public enum DuplicateMembers {
    /// The first of `names` that appears more than once among `members`, keys compared unescaped.
    public static func first(named names: [StaticString], in members: [JSONMember], of s: JSONScanner) -> String? {
        for name in names where count(name, in: members, of: s) > 1 { return name.description }
        return nil
    }

    /// The first key that appears more than once among `members`, compared unescaped.
    public static func first(in members: [JSONMember], of s: JSONScanner) -> String? {
        guard members.count > 1 else { return nil }
        var seen: Set<String> = []
        for m in members where !seen.insert(s.keyText(m)).inserted { return s.keyText(m) }
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
