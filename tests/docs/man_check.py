#!/usr/bin/env python3
"""The man pages and shell completions against the programs themselves.

  man_check.py FERRY FERRYD SOURCE_DIR MAN_DIR

ferry.1: every verb of `ferry --help` (and sub-verbs of `ferry VERB --help`)
has a `.SS "ferry VERB ..."` subsection naming each long option of `ferry VERB
--help`; every such subsection is a real verb and names no option the verb
(or the global options) lacks; GLOBAL OPTIONS names exactly the global ones.
ferryd.8: OPTIONS names exactly the flags of `ferryd --help`.
ferryd.json.5: KEYS names exactly the keys of src/daemon/settings.cc and of
docs/configuration.md's table.
data/completion/{ferry.bash,_ferry}: name every verb and long option.
`ferry set`: the properties its --help lists are exactly those ferry.1's
subsection and both completions list.
Prints every disagreement and exits 1 when there is one.
"""
import os
import re
import shutil
import subprocess
import sys

OPTION = re.compile(r"(?<![\w-])--[a-z][a-z0-9-]*")
problems = []


def problem(text):
    problems.append(text)


def run(argv):
    r = subprocess.run(argv, capture_output=True, text=True, timeout=30)
    if r.returncode != 0:
        problem(f"{' '.join(argv)} exited {r.returncode}: {r.stderr.strip()}")
    return r.stdout


def help_sections(text):
    """CLI11 help: {"Options": [first columns], "Subcommands": [...], ...}."""
    sections, current = {}, None
    for line in text.splitlines():
        m = re.match(r"^([A-Z][A-Za-z ]*):$", line)
        if m:
            current = sections.setdefault(m.group(1), [])
        elif current is not None and line.startswith("  ") and line.strip():
            current.append(re.split(r"\s{2,}", line.strip())[0])
    return sections


def cli_verbs(ferry, path=()):
    """{("get",): {"--output", ...}, ("download", "start"): {...}, ...}."""
    out = {}
    for verb in help_sections(run([ferry, *path, "--help"])).get("Subcommands", []):
        sub = (*path, verb.split()[0])
        sections = help_sections(run([ferry, *sub, "--help"]))
        opts = {o for col in sections.get("Options", []) for o in OPTION.findall(col)} - {"--help"}
        out[sub] = opts
        out.update(cli_verbs(ferry, sub))
    return out


def roff_text(line):
    line = line.replace("\\-", "-").replace('"', "")
    return re.sub(r"\\f[BIRP]|\\\(..|\\&", "", line)


def roff_sections(path, macro):
    """{heading: [lines]} for each .SH (macro "SH") or .SS (macro "SS")."""
    sections, current = {}, None
    with open(path) as f:
        for raw in f:
            if raw.startswith(".\\\""):
                continue
            if raw.startswith(".SH") or raw.startswith(".SS"):
                current = None
            if raw.startswith("." + macro + " "):
                current = sections.setdefault(roff_text(raw[4:]).strip(), [])
            elif current is not None:
                current.append(roff_text(raw))
    return sections


def verb_of(heading):
    words = heading.split()
    if not words or words[0] != "ferry":
        return None
    verb = []
    for w in words[1:]:
        if not re.fullmatch(r"[a-z][a-z-]*", w):
            break
        verb.append(w)
    return tuple(verb)


def options_in(lines):
    return {o for line in lines for o in OPTION.findall(line)}


def tagged_options(lines):
    """Options in the tag line of each .TP paragraph (where an option is documented)."""
    return {o for prev, line in zip(lines, lines[1:]) if prev.startswith(".TP") for o in OPTION.findall(line)}


def check_ferry_1(ferry, page):
    verbs = cli_verbs(ferry)
    globals_ = {o for col in help_sections(run([ferry, "--help"])).get("Options", []) for o in OPTION.findall(col)}
    if not verbs:
        problem("ferry --help lists no verbs")
    documented = {}
    for heading, lines in roff_sections(page, "SS").items():
        verb = verb_of(heading)
        if verb is None:
            continue
        documented[verb] = (tagged_options(lines), options_in([heading] + lines))
        if verb not in verbs:
            problem(f"ferry.1 documents `ferry {' '.join(verb)}`, which the CLI does not have")
    parents = {v[:i] for v in verbs for i in range(1, len(v))}
    for verb, opts in verbs.items():
        name = " ".join(verb)
        if verb not in documented:
            if verb not in parents or opts:
                problem(f'ferry.1 has no .SS "ferry {name} ..." subsection')
            continue
        tagged, mentioned = documented[verb]
        for o in sorted(opts - tagged):
            problem(f"ferry.1: `ferry {name}` has no .TP paragraph for {o}")
        for o in sorted(mentioned - opts - globals_):
            problem(f"ferry.1: `ferry {name}` documents {o}, which `ferry {name} --help` lacks")
    section = roff_sections(page, "SH").get("GLOBAL OPTIONS", [])
    for o in sorted(globals_ - tagged_options(section)):
        problem(f"ferry.1: GLOBAL OPTIONS does not document {o}")
    for o in sorted(options_in(section) - globals_):
        problem(f"ferry.1: GLOBAL OPTIONS documents {o}, which `ferry --help` lacks")
    return verbs, globals_


def check_ferryd_8(ferryd, page):
    flags = set(OPTION.findall(run([ferryd, "--help"])))
    section = roff_sections(page, "SH").get("OPTIONS", [])
    for o in sorted(flags - tagged_options(section)):
        problem(f"ferryd.8: OPTIONS has no .TP paragraph for {o}")
    for o in sorted(options_in(section) - flags):
        problem(f"ferryd.8: OPTIONS documents {o}, which `ferryd --help` lacks")


def check_ferryd_json_5(source, page):
    with open(os.path.join(source, "src/daemon/settings.cc")) as f:
        code = set(re.findall(r'key == "([a-z0-9_]+)"', f.read()))
    with open(os.path.join(source, "docs/configuration.md")) as f:
        text = f.read()
    table = text[text.find("## Configuration file"):]
    doc = set(re.findall(r"^\| `([a-z0-9_]+)` \|", table, re.M))
    man = {m.group(1) for line in roff_sections(page, "SH").get("KEYS", [])
           if (m := re.match(r"^\.B ([a-z0-9_]+)\s*$", line))}
    if not code:
        problem("found no `key == \"...\"` in src/daemon/settings.cc: update man_check.py")
    for name, keys in (("ferryd.json.5 KEYS", man), ("docs/configuration.md", doc)):
        for k in sorted(code - keys):
            problem(f"{name} does not document the key {k}")
        for k in sorted(keys - code):
            problem(f"{name} documents the key {k}, which ferryd does not accept")


def check_completions(source, verbs, globals_):
    for name in ("ferry.bash", "_ferry"):
        with open(os.path.join(source, "data/completion", name)) as f:
            text = f.read()
        # Top-level verbs in the verb list (bash: verbs="..."; zsh: 'verb:description'),
        # sub-verbs anywhere.
        listed = set(" ".join(re.findall(r'^\s*local verbs="([^"]*)"', text, re.M)).split())
        listed |= set(re.findall(r"^\s*'([a-z][a-z0-9-]*):", text, re.M))
        words = set(re.findall(r"[a-z][a-z0-9-]*", text))
        for verb, opts in verbs.items():
            if verb[-1] not in (listed if len(verb) == 1 else words):
                problem(f"data/completion/{name} does not complete the verb `ferry {' '.join(verb)}`")
            for o in sorted(opts | globals_):
                if o not in OPTION.findall(text):
                    problem(f"data/completion/{name} does not complete {o} (`ferry {' '.join(verb)}`)")


def check_set_properties(ferry, page, source):
    """`ferry set --help` ("set a property: a|b|...") against ferry.1 and the completions."""
    m = re.search(r"set a property: ([a-z|-]+)", run([ferry, "set", "--help"]))
    if not m:
        problem("`ferry set --help` does not list its properties as `set a property: a|b|...`")
        return
    cli = set(m.group(1).split("|"))
    man = set()
    for heading, lines in roff_sections(page, "SS").items():
        if verb_of(heading) == ("set",):
            man = {m.group(1) for line in lines if (m := re.match(r"^\.BR? ([a-z][a-z-]*)", line))}
    lists = {"ferry.1": man}
    with open(os.path.join(source, "data/completion/ferry.bash")) as f:
        m = re.search(r'\$verb == set.*?compgen -W "([^"]*)"', f.read(), re.S)
        lists["data/completion/ferry.bash"] = set(m.group(1).split()) if m else set()
    with open(os.path.join(source, "data/completion/_ferry")) as f:
        m = re.search(r"'2:property:\(([^)]*)\)'", f.read())
        lists["data/completion/_ferry"] = set(m.group(1).split()) if m else set()
    for name, listed in lists.items():
        for prop in sorted(cli - listed):
            problem(f"{name} does not list the `ferry set` property {prop}")
        for prop in sorted(listed - cli):
            problem(f"{name} lists the `ferry set` property {prop}, which `ferry set --help` lacks")


def check_bash_completes(source):
    """A few completions through the real bash function (without bash-completion's helpers)."""
    bash = shutil.which("bash")
    if not bash:
        return
    script = os.path.join(source, "data/completion/ferry.bash")
    cases = [(["ferry", "cr"], "create"), (["ferry", "get", "--ti"], "--timeout"),
             (["ferry", "list", "--j"], "--json"), (["ferry", "--json", "li"], "list"),
             (["ferry", "set", "JOB", "pri"], "priority")]
    for words, want in cases:
        code = (f'source "{script}"; COMP_WORDS=({" ".join(words)}); COMP_CWORD={len(words) - 1}; '
                '_ferry; printf "%s\\n" "${COMPREPLY[@]}"')
        got = subprocess.run([bash, "-c", code], capture_output=True, text=True, timeout=30).stdout.split()
        if want not in got:
            problem(f"bash completion of `{' '.join(words)}` gives {got}, not {want}")


def check_roff(pages):
    groff = shutil.which("groff")
    if not groff:
        return
    for page in pages:
        r = subprocess.run([groff, "-man", "-ww", "-z", page], capture_output=True, text=True, timeout=30)
        if r.returncode != 0 or r.stderr.strip():
            problem(f"groff warns about {page}: {r.stderr.strip()}")


def main():
    ferry, ferryd, source, man_dir = sys.argv[1:5]
    pages = {n: os.path.join(man_dir, n) for n in ("ferry.1", "ferryd.8", "ferryd.json.5")}
    verbs, globals_ = check_ferry_1(ferry, pages["ferry.1"])
    check_ferryd_8(ferryd, pages["ferryd.8"])
    check_ferryd_json_5(source, pages["ferryd.json.5"])
    check_completions(source, verbs, globals_)
    check_set_properties(ferry, pages["ferry.1"], source)
    check_bash_completes(source)
    check_roff(pages.values())
    for p in problems:
        print(p)
    print(f"man pages and completions: {len(problems)} problem(s), {len(verbs)} verbs checked")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
