#!/usr/bin/env python3
"""Writes lt's man pages: the hand-written parts in docs/man/, with each tool's OPTIONS section
generated from the built tool's own description of its arguments (--experimental-dump-help), so
an option added in the code appears in the page by itself, with its help text and default.

    scripts/man-pages.py BIN_DIR OUT_DIR     writes OUT_DIR/lt-query.1 … lt-rollout.5, prints their paths

BIN_DIR holds lt-query, lt-enrich, lt-send and lt-rollup (or links to the one lt binary under those names).
The pages' date is the last commit's (or SOURCE_DATE_EPOCH), so a rebuild gives the same pages.
"""
import datetime
import json
import os
import re
import subprocess
import sys
import textwrap

HERE = os.path.dirname(os.path.abspath(__file__))
MAN = os.path.join(HERE, "..", "docs", "man")
TOOLS = ["lt-query", "lt-enrich", "lt-send", "lt-rollup"]
FILE_PAGES = ["lt-integrations.5", "lt-rollout.5"]


def roff_text(text):
    """Plain text as roff: backslashes escaped, no line starting with a control character."""
    text = text.replace("\\", "\\e")
    lines = []
    for line in text.split("\n"):
        line = line.strip()
        if line.startswith((".", "'")):
            line = "\\&" + line
        lines.append(line)
    return "\n".join(lines)


def roff_word(word):
    """An option name or value: backslashes escaped and hyphens as minus signs, as man pages spell them."""
    return word.replace("\\", "\\e").replace("-", "\\-")


def name_text(name):
    prefix = {"long": "--", "short": "-", "longWithSingleDash": "-"}[name["kind"]]
    return roff_word(prefix + name["name"])


VERSION_TEXT = ("Print the tool's name, version and the commit it was built from, as in "
                "%s 0.1.0 (commit 0f5e6e7), then the versions of libcurl, libpq and SQLite it runs with. "
                "The commit ends in -dirty when the checkout had uncommitted changes to tracked files, and "
                "is unknown for a build from a copy of the sources with neither git nor the stamp that "
                "git archive writes (scripts/commit-stamp.sh).")


def option_item(arg, tool):
    """One .TP entry of the OPTIONS section for a dumped ArgumentParser argument."""
    kind = arg["kind"]
    value = arg.get("valueName") or "value"
    if kind == "positional":
        head = "\\fI%s\\fP" % roff_word(value) + (" ..." if arg.get("isRepeating") else "")
    else:
        names = ", ".join("\\fB%s\\fP" % name_text(n) for n in arg.get("names") or [])
        head = names if kind == "flag" else "%s \\fI%s\\fP" % (names, roff_word(value))
    text = (arg.get("abstract") or "").strip()
    if any(n["name"] == "version" for n in arg.get("names") or []):
        # ArgumentParser's own flag, whose help says only "Show the version."
        text = VERSION_TEXT % tool
    if arg.get("discussion"):
        text += "\n" + arg["discussion"].strip()
    if text and not text.endswith((".", ")")):
        text += "."
    extra = []
    values = arg.get("allValues") or []
    if values and not all(v in text for v in values):
        extra.append("One of: %s." % ", ".join(values))
    default = arg.get("defaultValue")
    if kind == "option" and default not in (None, "") and "default" not in text.lower():
        extra.append("Default: %s." % default)
    # Said once: a help text that already says so is not followed by the same sentence again.
    if kind != "positional" and arg.get("isRepeating") and not re.search(r"repeat|more than once", text, re.I):
        extra.append("May be given more than once.")
    body = roff_text(" ".join([text] + extra).strip())
    return ".TP\n%s\n%s\n" % (head, body)


def options_section(tool, bin_dir):
    dump = subprocess.run([os.path.join(bin_dir, tool), "--experimental-dump-help"],
                          check=True, capture_output=True, text=True).stdout
    command = json.loads(dump)["command"]
    # ArgumentParser lists its built-in `help` as a subcommand; the tools have no others.
    subcommands = [c["commandName"] for c in command.get("subcommands") or [] if c["commandName"] != "help"]
    if subcommands:
        sys.exit("%s: has subcommands (%s), which its page does not describe" % (tool, ", ".join(subcommands)))
    args = [a for a in command.get("arguments") or [] if a.get("shouldDisplay", True)]
    out = ".SH OPTIONS\n"
    out += "".join(option_item(a, tool) for a in args if a["kind"] == "positional")
    out += "".join(option_item(a, tool) for a in args if a["kind"] != "positional")
    return out


def page_date():
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if not epoch:
        try:
            epoch = subprocess.run(["git", "-C", HERE, "log", "-1", "--format=%ct"],
                                   check=True, capture_output=True, text=True).stdout.strip()
        except (OSError, subprocess.CalledProcessError):
            epoch = ""
    when = datetime.datetime.fromtimestamp(int(epoch), datetime.timezone.utc) if epoch else \
        datetime.datetime.now(datetime.timezone.utc)
    return when.strftime("%Y-%m-%d")


def wrap(text):
    """Text lines over 80 bytes broken at spaces (roff fills them again), outside no-fill blocks."""
    out, fill = [], True
    for line in text.split("\n"):
        if line.startswith((".EX", ".nf")):
            fill = False
        elif line.startswith((".EE", ".fi")):
            fill = True
        if fill and len(line.encode()) > 80 and not line.startswith((".", "'")):
            for piece in textwrap.wrap(line, 78, break_long_words=False, break_on_hyphens=False):
                out.append("\\&" + piece if piece.startswith((".", "'")) else piece)
        else:
            out.append(line)
    return "\n".join(out)


def expand(text, tool, bin_dir, version, date):
    def include(match):
        with open(os.path.join(MAN, match.group(1))) as f:
            return f.read().rstrip("\n")
    text = re.sub(r'^\.\\" @INCLUDE ([\w.-]+)@$', include, text, flags=re.M)
    if tool:
        text = re.sub(r'^\.\\" @OPTIONS@$', lambda _: options_section(tool, bin_dir).rstrip("\n"), text, flags=re.M)
    if "@OPTIONS@" in text or "@INCLUDE" in text:
        sys.exit("%s: a marker was left unexpanded" % (tool or "page"))
    return wrap(text.replace("@DATE@", date).replace("@VERSION@", version))


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    bin_dir, out_dir = sys.argv[1], sys.argv[2]
    os.makedirs(out_dir, exist_ok=True)
    version = subprocess.run([os.path.join(bin_dir, TOOLS[0]), "--version"],
                             check=True, capture_output=True, text=True).stdout.splitlines()[0].split()[1]
    date = page_date()
    pages = [(t + ".1", t) for t in TOOLS] + [(p, None) for p in FILE_PAGES]
    for page, tool in pages:
        with open(os.path.join(MAN, page)) as f:
            text = expand(f.read(), tool, bin_dir, version, date)
        path = os.path.join(out_dir, page)
        with open(path, "w") as f:
            f.write(text)
        print(path)


if __name__ == "__main__":
    main()
