#!/usr/bin/env bash
# Checks that the packaged completions complete: file options offer the files in the current folder,
# and options with a fixed set of values offer those values, in bash (driven through bash-completion's
# own loader and _command_offset, as an interactive shell does), in zsh (a real interactive zsh on a
# pseudo-terminal, pressing Tab) and in fish (complete --do-complete).
#   scripts/test-completions.sh ROOT      ROOT: a package unpacked by scripts/test-package.sh
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$1" && pwd)
failures=0
fail() { echo "test-completions: FAIL: $*" >&2; failures=$((failures + 1)); }
work=$(mktemp -d /tmp/lt-completion-test.XXXXXX)
trap 'rm -rf "$work"' EXIT
cd "$work"
touch integrations.toml journal.log dead.ndjson attempts.ndjson rollout.json ca.pem metrics.prom input.ndjson enterprises.csv
export PATH=$root/usr/bin:$PATH

# Each case: the command line typed so far, then the candidates that must be offered for its last word,
# sorted.
cases=(
    "lt-send --integrations int|integrations.toml"
    "lt-send --journal jou|journal.log"
    "lt-send --dead-letter dea|dead.ndjson"
    "lt-send --cacert c|ca.pem"
    "lt-query --rollout rol|rollout.json"
    "lt-enrich --metrics-file met|metrics.prom"
    "lt-query inp|input.ndjson"
    "lt-query --flag |off on"
    "lt-query --cache-purge |all expired"
    "lt-enrich --log-level |debug error info warning"
    "lt-send --log-format |human json"
    "lt-enrich --format |object seconds"
    "lt-rollup --gap-policy |drop truncate"
    "lt-rollup --enterprises ent|enterprises.csv"
)
# --attempts (lt-send's attempts log) is checked once lt-send has it.
if lt-send --experimental-dump-help | grep -q '"attempts"'; then cases+=("lt-send --attempts att|attempts.ndjson"); fi

check() {  # shell, line, expected, got
    local got
    got=$(tr -s ' \n' '\n\n' <<< "$4" | sed '/^$/d' | sort -u | tr '\n' ' ')
    [ "${got% }" = "$3" ] || fail "$1: '$2' completes to '${got% }', expected '$3'"
}

# bash: bash-completion finds the package's completion in XDG_DATA_DIRS and _command_offset runs it.
bash_complete() {
    XDG_DATA_DIRS=$root/usr/share BASH_COMPLETION_USER_DIR=/nonexistent bash --norc --noprofile -c '
        source /usr/share/bash-completion/bash_completion
        line=$1
        read -ra COMP_WORDS <<< "$line"
        [[ $line == *" " ]] && COMP_WORDS+=("")
        COMP_CWORD=$(( ${#COMP_WORDS[@]} - 1 )); COMP_LINE=$line; COMP_POINT=${#line}; COMPREPLY=()
        _command_offset 0 2>/dev/null
        printf "%s\n" "${COMPREPLY[@]}"' bash "$1"
}
for c in "${cases[@]}"; do check bash "${c%%|*}" "${c#*|}" "$(bash_complete "${c%%|*}")"; done

# fish: the package's completions put first in fish_complete_path.
if command -v fish > /dev/null; then
    for c in "${cases[@]}"; do
        got=$(fish --no-config -c "set -p fish_complete_path $root/usr/share/fish/vendor_completions.d
            complete --do-complete '${c%%|*}'" | cut -f1)
        check fish "${c%%|*}" "${c#*|}" "$got"
    done
else
    fail "fish is not installed (scripts/setup-system.sh installs it)"
fi

# zsh: an interactive zsh on a pseudo-terminal with compinit and the package's functions, whose
# compadd is wrapped to print the matches it would offer when Tab is pressed.
zsh_complete() {  # tries again when the pseudo-terminal stalls (seen on a heavily loaded machine)
    local out attempt
    for attempt in 1 2 3; do
        if out=$(timeout 15 zsh -f "$here/zsh-complete.zsh" "$root/usr/share/zsh/vendor-completions" "$1"); then
            printf '%s\n' "$out"
            return
        fi
    done
    echo "(no answer in 3 tries of 15 s)"
}
if command -v zsh > /dev/null; then
    for c in "${cases[@]}"; do
        got=$(zsh_complete "${c%%|*}")
        check zsh "${c%%|*}" "${c#*|}" "$got"
    done
else
    fail "zsh is not installed (scripts/setup-system.sh installs it)"
fi

[ "$failures" -eq 0 ] || exit 1
echo "test-completions: ok: ${#cases[@]} command lines complete in bash, fish and zsh" >&2
