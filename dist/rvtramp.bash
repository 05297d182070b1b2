# SPDX-License-Identifier: GPL-2.0-only
# bash completion for rvtramp (installed as
# share/bash-completion/completions/rvtramp). Plain compgen, so it also works
# without the bash-completion package: source it and `complete` is set.
_rvtramp() {
  local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]}
  local cmd="" i
  for ((i = 1; i < COMP_CWORD; i++)); do
    case ${COMP_WORDS[i]} in
      sites|rewrite|verify|report|help) cmd=${COMP_WORDS[i]}; break ;;
    esac
  done
  case $prev in
    --format)
      case $cmd in
        sites) COMPREPLY=($(compgen -W "text json" -- "$cur")) ;;
        *) COMPREPLY=($(compgen -W "text json csv html" -- "$cur")) ;;
      esac
      return ;;
    --state) COMPREPLY=($(compgen -W "disabled enabled" -- "$cur")); return ;;
    --disabled-toggle) COMPREPLY=($(compgen -W "auto j c.j" -- "$cur")); return ;;
    --budget-layout) COMPREPLY=($(compgen -W "stock call_ops seed24 seed26" -- "$cur")); return ;;
    --dest|--reserved|--max-overhead|--top) COMPREPLY=(); return ;;
    -o|--output|--report|--against|--baseline) COMPREPLY=($(compgen -f -- "$cur")); return ;;
  esac
  local opts
  case $cmd in
    "") opts="sites rewrite verify report help -h --help -V --version" ;;
    help) opts="sites rewrite verify report" ;;
    sites) opts="--format --time-passes -h --help" ;;
    rewrite) opts="-o --output --in-place --dest --state --disabled-toggle --strict --report -q --quiet
                   -v --verbose --allow-relax --emit-mcount-loc --reserved --fsync
                   --time-passes -h --help" ;;
    verify) opts="--against --strict -q --quiet -h --help" ;;
    report) opts="--format -o --output --baseline --max-overhead --budget-layout --top
                  --no-sites --time-passes -h --help" ;;
  esac
  if [[ $cur == -* || -z $cmd || $cmd == help ]]; then
    COMPREPLY=($(compgen -W "$opts" -- "$cur"))
  else
    COMPREPLY=($(compgen -f -- "$cur"))
  fi
}
complete -o filenames -F _rvtramp rvtramp
