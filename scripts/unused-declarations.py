#!/usr/bin/env python3
"""Fails when a declaration in Sources/ is used nowhere: the test command's dead-code check.

    scripts/unused-declarations.py [INDEX_STORE]   (default: the debug build's, after swift build --build-tests)

It reads the index store that the compiler writes while building (SwiftPM's debug builds on Linux
index by default) through the toolchain's libIndexStore, the library Xcode and sourcekit-lsp read it
with. Every occurrence of every symbol in the package's own files is there, with its roles (definition,
reference, call, read, write) and relations (overrides, child of, accessor of).

A declaration made in Sources/ counts as used when:
  - some occurrence anywhere in Sources/ or Tests/ refers to it (a call, a read, a type name, an
    implicit use such as a synthesized initializer's), other than its own definition; or
  - it implements a requirement or overrides a member (a protocol witness, an override) whose
    original is used, or is declared outside the package (`description`, `run()`, `==`): the
    compiler calls those; or
  - it is the entry point: a `main()`, an `@main` type, a `@_cdecl` function (libFuzzer calls it).
What it does not judge: local variables and parameters (the compiler warns of those), enum cases of
a CaseIterable or raw-valued enum (reached through allCases and init(rawValue:)), CodingKeys, and
declarations only tests use (they count as used: a helper kept for tests is a choice, not an accident).
Exceptions, each with its reason, are in scripts/unused-declarations.allow (one USR or name a line).
"""
import ctypes
import glob
import os
import sys

ROLE_DECLARATION, ROLE_DEFINITION, ROLE_REFERENCE, ROLE_IMPLICIT = 1 << 0, 1 << 1, 1 << 2, 1 << 8
REL_CHILDOF, REL_OVERRIDEOF, REL_ACCESSOROF = 1 << 9, 1 << 11, 1 << 15
KIND_NAMES = {5: "enum", 6: "struct", 7: "class", 8: "protocol", 11: "typealias", 12: "function",
              13: "variable", 15: "enum case", 16: "method", 17: "class method", 18: "static method",
              19: "property", 20: "class property", 21: "static property", 22: "initializer"}
# Accessors (getters, setters) have their own symbols; they are judged through their property.
SUBKIND_ACCESSORS = set(range(1000, 1012))


class StringRef(ctypes.Structure):
    _fields_ = [("data", ctypes.c_char_p), ("length", ctypes.c_size_t)]

    def text(self):
        return ctypes.string_at(self.data, self.length).decode() if self.length else ""


def load_library():
    candidates = [os.environ.get("LT_LIBINDEXSTORE", "")]
    swiftc = next((os.path.join(d, "swiftc") for d in os.environ.get("PATH", "").split(":")
                   if os.path.exists(os.path.join(d, "swiftc"))), None)
    if swiftc:
        candidates.append(os.path.join(os.path.dirname(os.path.realpath(swiftc)), "..", "lib", "libIndexStore.so"))
    candidates += glob.glob("/opt/swift/usr/lib/libIndexStore.so*") + glob.glob("/usr/lib/libIndexStore.so*")
    for c in candidates:
        if c and os.path.exists(c):
            lib = ctypes.CDLL(c)
            break
    else:
        sys.exit("unused-declarations: no libIndexStore.so next to swiftc; set LT_LIBINDEXSTORE to its path")
    vp, b = ctypes.c_void_p, ctypes.c_bool
    sig = {
        "indexstore_store_create": (vp, [ctypes.c_char_p, ctypes.POINTER(vp)]),
        "indexstore_store_units_apply_f": (b, [vp, ctypes.c_uint, vp, vp]),
        "indexstore_unit_reader_create": (vp, [vp, ctypes.c_char_p, ctypes.POINTER(vp)]),
        "indexstore_unit_reader_dispose": (None, [vp]),
        "indexstore_unit_reader_get_modification_time": (None, [vp, ctypes.POINTER(ctypes.c_int64), ctypes.POINTER(ctypes.c_int64)]),
        "indexstore_unit_reader_dependencies_apply_f": (b, [vp, vp, vp]),
        "indexstore_unit_dependency_get_kind": (ctypes.c_int, [vp]),
        "indexstore_unit_dependency_get_name": (StringRef, [vp]),
        "indexstore_unit_dependency_get_filepath": (StringRef, [vp]),
        "indexstore_record_reader_create": (vp, [vp, ctypes.c_char_p, ctypes.POINTER(vp)]),
        "indexstore_record_reader_dispose": (None, [vp]),
        "indexstore_record_reader_occurrences_apply_f": (b, [vp, vp, vp]),
        "indexstore_occurrence_get_symbol": (vp, [vp]),
        "indexstore_occurrence_get_roles": (ctypes.c_uint64, [vp]),
        "indexstore_occurrence_get_line_col": (None, [vp, ctypes.POINTER(ctypes.c_uint), ctypes.POINTER(ctypes.c_uint)]),
        "indexstore_occurrence_relations_apply_f": (b, [vp, vp, vp]),
        "indexstore_symbol_relation_get_roles": (ctypes.c_uint64, [vp]),
        "indexstore_symbol_relation_get_symbol": (vp, [vp]),
        "indexstore_symbol_get_usr": (StringRef, [vp]),
        "indexstore_symbol_get_name": (StringRef, [vp]),
        "indexstore_symbol_get_kind": (ctypes.c_int, [vp]),
        "indexstore_symbol_get_subkind": (ctypes.c_int, [vp]),
    }
    for name, (res, args) in sig.items():
        f = getattr(lib, name)
        f.restype, f.argtypes = res, args
    return lib


UNIT_APPLIER = ctypes.CFUNCTYPE(ctypes.c_bool, ctypes.c_void_p, StringRef)
PTR_APPLIER = ctypes.CFUNCTYPE(ctypes.c_bool, ctypes.c_void_p, ctypes.c_void_p)


def main():
    root = os.path.realpath(os.path.join(os.path.dirname(__file__), ".."))
    store_path = sys.argv[1] if len(sys.argv) > 1 else None
    if not store_path:
        found = glob.glob(os.path.join(root, ".build", "*", "debug", "index", "store"))
        if not found:
            sys.exit("unused-declarations: no index store; run swift build --build-tests first")
        store_path = found[0]
    lib = load_library()
    err = ctypes.c_void_p()
    store = lib.indexstore_store_create(store_path.encode(), ctypes.byref(err))
    if not store:
        sys.exit(f"unused-declarations: cannot open the index store {store_path}")

    ours = (os.path.join(root, "Sources") + "/", os.path.join(root, "Tests") + "/")
    units = []
    lib.indexstore_store_units_apply_f(store, 0, None, UNIT_APPLIER(lambda _, name: units.append(name.text()) or True))
    # A record holds one source file's symbols as of one build; the store keeps earlier builds' too,
    # so each file's record is taken from the newest unit that names it.
    newest = {}  # source file -> (unit time, record name)
    for unit in units:
        reader = lib.indexstore_unit_reader_create(store, unit.encode(), ctypes.byref(err))
        if not reader:
            continue
        seconds, nanoseconds = ctypes.c_int64(), ctypes.c_int64()
        lib.indexstore_unit_reader_get_modification_time(reader, ctypes.byref(seconds), ctypes.byref(nanoseconds))
        when = (seconds.value, nanoseconds.value)

        def dependency(_, dep):
            if lib.indexstore_unit_dependency_get_kind(dep) == 2:  # a record
                path = lib.indexstore_unit_dependency_get_filepath(dep).text()
                if path.startswith(ours) and os.path.exists(path) and (path not in newest or newest[path][0] < when):
                    newest[path] = (when, lib.indexstore_unit_dependency_get_name(dep).text())
            return True

        lib.indexstore_unit_reader_dependencies_apply_f(reader, None, PTR_APPLIER(dependency))
        lib.indexstore_unit_reader_dispose(reader)
    records = {record: path for path, (_, record) in newest.items()}
    # A file changed since it was last indexed (a C header whose module the build did not index again)
    # is not judged: its record may name what is gone and miss what is new.
    stale = {path for path, (when, _) in newest.items() if os.stat(path).st_mtime_ns > when[0] * 10**9 + when[1]}
    for path in sorted(stale):
        print(f"unused-declarations: {os.path.relpath(path, root)} changed since it was indexed; not judged")

    definitions = {}  # usr -> (path, line, kind, name)
    used = set()
    witnesses = {}  # usr -> usrs of what it implements or overrides
    children = {}  # usr -> usr of the type it belongs to
    entry_points = set()
    for record, path in records.items():
        reader = lib.indexstore_record_reader_create(store, record.encode(), ctypes.byref(err))
        if not reader:
            continue
        in_sources = path.startswith(ours[0]) and path not in stale

        def occurrence(_, occ):
            sym = lib.indexstore_occurrence_get_symbol(occ)
            usr = lib.indexstore_symbol_get_usr(sym).text()
            roles = lib.indexstore_occurrence_get_roles(occ)
            if roles & (ROLE_DEFINITION | ROLE_DECLARATION):
                kind = lib.indexstore_symbol_get_kind(sym)
                subkind = lib.indexstore_symbol_get_subkind(sym)
                relations = []

                def relation(_, rel):
                    relations.append((lib.indexstore_symbol_relation_get_roles(rel),
                                      lib.indexstore_symbol_get_usr(lib.indexstore_symbol_relation_get_symbol(rel)).text()))
                    return True

                lib.indexstore_occurrence_relations_apply_f(occ, None, PTR_APPLIER(relation))
                for rroles, rusr in relations:
                    if rroles & REL_OVERRIDEOF:
                        witnesses.setdefault(usr, set()).add(rusr)
                    if rroles & REL_CHILDOF:
                        children[usr] = rusr
                    if rroles & REL_ACCESSOROF:
                        used.add(usr)  # judged through its property
                if in_sources and kind in KIND_NAMES and subkind not in SUBKIND_ACCESSORS and not roles & ROLE_IMPLICIT:
                    line, col = ctypes.c_uint(), ctypes.c_uint()
                    lib.indexstore_occurrence_get_line_col(occ, ctypes.byref(line), ctypes.byref(col))
                    name = lib.indexstore_symbol_get_name(sym).text()
                    definitions.setdefault(usr, (path, line.value, KIND_NAMES[kind], name))
            elif roles & ROLE_REFERENCE:
                used.add(usr)
            return True

        lib.indexstore_record_reader_occurrences_apply_f(reader, None, PTR_APPLIER(occurrence))
        lib.indexstore_record_reader_dispose(reader)

    allow_file = os.path.join(root, "scripts", "unused-declarations.allow")
    allowed = set()
    if os.path.exists(allow_file):
        for line in open(allow_file):
            line = line.split("#", 1)[0].strip()
            if line:
                allowed.add(line)

    def is_used(usr, seen=()):
        if usr in used or usr in allowed:
            return True
        for original in witnesses.get(usr, ()):
            # A witness of a requirement declared outside the package, or of one that is used.
            if original not in definitions or (original not in seen and is_used(original, seen + (usr,))):
                return True
        return False

    source_lines = {}

    def text_at(path, line):
        if path not in source_lines:
            source_lines[path] = open(path, encoding="utf-8", errors="replace").read().split("\n")
        lines = source_lines[path]
        return lines[line - 1] if 0 < line <= len(lines) else ""

    def exempt(usr, path, line, kind, name):
        text = text_at(path, line)
        previous = text_at(path, line - 1)
        if name in ("main()", "CodingKeys") or "@main" in previous or "@_cdecl" in previous or "@main" in text:
            return True
        if name in allowed or f"{os.path.relpath(path, root)}:{name}" in allowed:
            return True
        if kind == "enum case":
            parent = children.get(usr)
            parent_def = definitions.get(parent)
            if parent_def:
                decl = text_at(parent_def[0], parent_def[1])
                if "CaseIterable" in decl or ": String" in decl or ": Int" in decl or ": UInt8" in decl:
                    return True
        return False

    unused = sorted(
        (path, line, kind, name) for usr, (path, line, kind, name) in definitions.items()
        if not is_used(usr) and not exempt(usr, path, line, kind, name))
    for path, line, kind, name in unused:
        print(f"{os.path.relpath(path, root)}:{line}: unused {kind} {name}")
    if unused:
        print(f"unused-declarations: {len(unused)} declarations are used nowhere; remove them, or add them to "
              "scripts/unused-declarations.allow with the reason")
        return 1
    print(f"unused-declarations: every one of {len(definitions)} declarations in Sources/ is used")
    return 0


if __name__ == "__main__":
    sys.exit(main())
