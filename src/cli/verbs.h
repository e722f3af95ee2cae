// How a verb joins the `ferry` command line.
//
// Every verb is a CLI11 subcommand of the one CLI::App that main() builds.
// main() calls app.fallthrough() before any verb is added, and CLI11 copies
// that setting into every subcommand made afterwards (also a verb's own
// subcommands, e.g. `download start`): an option a verb does not know falls
// through to the app. That is how the global options (--json, --user,
// --system, --bus-address) work before or after the verb, as api.md §3 asks;
// a verb adds only its own options and never repeats the global ones.
//
// A new verb is one function `void AddXxxVerbs(Verbs& v)` in its own file,
// declared below and called once from main(). It adds its subcommand(s) to
// v.app, keeps its argument storage alive in the callback (a shared_ptr
// captured by the lambda), and sets its callback with v.Run(...), which
// stores the verb's exit code (cli.h). The callback runs after the whole
// command line is parsed, so v.globals is complete by then.
//
// Documentation follows the verb: docs/man/ferry.1 has a `.SS "ferry VERB …"`
// subsection naming every long option of the verb (the `man_pages` test
// compares it with `ferry VERB --help`), and data/completion/ferry.bash and
// _ferry list the verb and its long options (the same test).
#pragma once

#include <CLI/CLI.hpp>
#include <functional>

#include "cli/cli.h"

namespace ferry::cli {

struct Verbs {
  CLI::App& app;
  const Globals& globals;
  int* exit_code;

  // A subcommand callback that runs `verb` and keeps its exit code.
  std::function<void()> Run(std::function<int()> verb) {
    int* rc = exit_code;
    return [rc, verb = std::move(verb)] { *rc = verb(); };
  }
};

// get (get.cc)
void AddGetVerb(Verbs& v);
// create, add, resume, suspend, cancel, complete, list, info, files, error,
// set (commands.cc; set itself in set_command.cc)
void AddJobVerbs(Verbs& v);
void AddSetVerb(Verbs& v);
// monitor, wait, status, limits (watch.cc)
void AddWatchVerbs(Verbs& v);
// hash (hash_command.cc)
void AddHashVerb(Verbs& v);
// cache, cache clear (cache_command.cc)
void AddCacheVerb(Verbs& v);

}  // namespace ferry::cli
