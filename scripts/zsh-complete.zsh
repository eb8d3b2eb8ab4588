#!/usr/bin/env zsh -f
# Prints the matches zsh offers when Tab is pressed after a command line, one per line:
#   zsh -f scripts/zsh-complete.zsh FPATH_DIR 'lt-send --integrations int'
# It runs a real interactive zsh on a pseudo-terminal (zsh/zpty) with compinit and FPATH_DIR first
# in fpath, and wraps compadd to print the matches instead of inserting them (the technique of
# Valodim's zsh-capture-completion). Used by scripts/test-completions.sh.
zmodload zsh/zpty || exit 2
zpty z zsh -f -i
local line
zpty -w z "fpath=(${(q)1} \$fpath); autoload -U compinit; compinit -u -D"
zpty -w z 'bindkey "^I" complete-word'
zpty -w z "null-line() { echo -E - \$'\\0' }"
zpty -w z 'compprefuncs=( null-line ); comppostfuncs=( null-line exit )'
zpty -w z "zstyle ':completion:*' list-grouped false; zstyle ':completion:*' insert-tab false"
zpty -w z 'compadd() {
  if [[ ${@[1,(i)(-|--)]} == *-(O|A|D)\ * ]]; then builtin compadd "$@"; return $?; fi
  typeset -a __hits
  builtin compadd -A __hits "$@"
  local h
  for h in $__hits; do echo -E - "$IPREFIX$h"; done
}'
zpty -w z 'echo ready-marker'
while zpty -r z line; do [[ $line == ready-marker$'\r\n' ]] && break; done
zpty -w -n z "$2"$'\t'
integer tog=0
while zpty -r z line; do
  line=${${line%$'\n'}%$'\r'}
  if [[ $line == *$'\0' ]]; then
    (( tog++ )) && break || continue
  fi
  (( tog )) && print -r -- "$line"
done
zpty -d z
