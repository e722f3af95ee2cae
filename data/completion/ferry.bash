# bash completion for ferry(1). Installed as
# share/bash-completion/completions/ferry. The man_pages test checks that it
# names every verb and every long option of `ferry VERB --help`.

_ferry() {
  local cur prev words cword
  if declare -F _init_completion >/dev/null; then
    _init_completion || return
  else
    words=("${COMP_WORDS[@]}")
    cword=$COMP_CWORD
    cur=${COMP_WORDS[COMP_CWORD]}
    prev=${COMP_WORDS[COMP_CWORD - 1]}
  fi

  local globals="--json --user --system --bus-address --help --version"
  local verbs="get create add resume suspend cancel complete list info files error set monitor wait status limits stats hash cache download"

  # The verb is the first word that is neither an option nor an option's value.
  local verb="" i
  for ((i = 1; i < cword; i++)); do
    case ${words[i]} in
      --bus-address) ((i++)) ;;
      -*) ;;
      *) verb=${words[i]}; break ;;
    esac
  done

  local opts="" takes_value=""
  case $verb in
    get)
      opts="-o --output -i --input-file --header --sha256 --content-id --foreground --limit-rate --download-mode --timeout --keep -q --quiet"
      takes_value="--header --sha256 --content-id --limit-rate --timeout" ;;
    add) opts="--range --sha256 --content-id"; takes_value="--range --sha256 --content-id" ;;
    list) opts="--all-users" ;;
    monitor) opts="-n --iterations -i --interval"; takes_value="-n --iterations -i --interval" ;;
    wait) opts="--timeout"; takes_value="--timeout" ;;
    hash) opts="--info-hash --group --content-id"; takes_value="--group --content-id" ;;
    limits) opts="--background --foreground"; takes_value="--background --foreground" ;;
    download) opts="-o --output --sha256 --content-id --foreground --blocking"; takes_value="--sha256 --content-id" ;;
  esac

  if [[ $prev == --bus-address || " $takes_value " == *" $prev "* ]]; then
    return
  fi
  if [[ $verb == get && ($prev == -o || $prev == --output || $prev == -i || $prev == --input-file) ]]; then
    COMPREPLY=($(compgen -f -- "$cur"))
    return
  fi
  if [[ -z $verb ]]; then
    COMPREPLY=($(compgen -W "$verbs $globals" -- "$cur"))
    return
  fi
  if [[ $cur == -* ]]; then
    COMPREPLY=($(compgen -W "$opts $globals -h" -- "$cur"))
    return
  fi
  if [[ $verb == download && $prev == download ]]; then
    COMPREPLY=($(compgen -W "start list status pause resume abort finalize" -- "$cur"))
    return
  fi
  if [[ $verb == cache && $prev == cache ]]; then
    COMPREPLY=($(compgen -W "list clear" -- "$cur"))
    return
  fi
  if [[ $verb == download && ($prev == -o || $prev == --output) ]]; then
    COMPREPLY=($(compgen -f -- "$cur"))
    return
  fi
  if [[ $verb == set && $prev != set && ${words[cword - 2]} == set ]]; then
    COMPREPLY=($(compgen -W "priority notify-flags notify-cmd retry-delay no-progress-timeout proxy headers rate-limit cost-policy download-mode description name" -- "$cur"))
    return
  fi
  # The download mode after `get --download-mode` and `set JOB download-mode`.
  if [[ $verb == get && $prev == --download-mode ]]; then
    COMPREPLY=($(compgen -W "http-only lan group internet simple bypass" -- "$cur"))
    return
  fi
  if [[ $prev == download-mode && ${words[cword - 3]} == set ]]; then
    COMPREPLY=($(compgen -W "http-only lan group internet simple bypass default" -- "$cur"))
    return
  fi
  if [[ $verb == add || $verb == get || $verb == hash ]]; then
    COMPREPLY=($(compgen -f -- "$cur"))
  fi
}
complete -F _ferry ferry
