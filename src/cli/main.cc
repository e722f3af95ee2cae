// ferry — the command-line client of ferryd (api.md §3).
#include <CLI/CLI.hpp>

#include "cli/stats_command.h"
#include "cli/verbs.h"
#include "cli/download_commands.h"

int main(int argc, char** argv) {
  using namespace ferry::cli;
  Globals g;
  CLI::App app{
      "ferry: background downloads through the ferryd service (BITS / Delivery Optimization for "
      "Linux)"};
  app.require_subcommand(1);
  // Before any verb is added: every verb inherits both (verbs.h).
  app.fallthrough();
  app.footer(
      "Global options go before or after the verb: --json, --user, --system, --bus-address ADDR.\n"
      "See ferry(1).");
  app.set_version_flag("--version", "ferry " FERRY_VERSION);
  app.add_flag("--json", g.json, "print one JSON document on stdout");
  app.add_flag("--user", g.user, "use the session bus (ferryd --user)");
  app.add_flag("--system", g.system, "use the system bus (ferryd --system)");
  app.add_option("--bus-address", g.bus_address, "use this D-Bus address");

  int rc = kOk;
  Verbs verbs{app, g, &rc};
  AddGetVerb(verbs);
  AddJobVerbs(verbs);
  AddWatchVerbs(verbs);
  AddHashVerb(verbs);
  AddCacheVerb(verbs);
  RegisterStatsCommand(app, g, &rc);

  RegisterDownloadCommands(app, g, &rc);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int code = app.exit(e);
    return code == 0 ? kOk : kUsage;
  }
  return rc;
}
