// ferry — the command-line client of ferryd (api.md §3).
#include <CLI/CLI.hpp>

#include <cstdio>

#include "cli/commands.h"
#include "cli/download_commands.h"

int main(int argc, char** argv) {
  using namespace ferry::cli;
  Globals g;
  CLI::App app{"ferry: background downloads through the ferryd service (BITS / Delivery Optimization for Linux)"};
  app.require_subcommand(1);
  app.add_flag("--json", g.json, "print one JSON document on stdout");
  app.add_flag("--user", g.user, "use the session bus (ferryd --user)");
  app.add_flag("--system", g.system, "use the system bus (ferryd --system)");
  app.add_option("--bus-address", g.bus_address, "use this D-Bus address");
  int rc = kOk;
  auto run = [&rc](auto fn) { return [&rc, fn] { rc = fn(); }; };

  GetArgs get;
  auto* c_get = app.add_subcommand("get", "download URL to PATH: create, add, resume, show progress, complete");
  c_get->add_option("url", get.url, "http, https or file URL")->required();
  c_get->add_option("-o,--output", get.output, "where to put the file (default: the URL's name here)");
  c_get->add_option("--sha256", get.sha256, "expected SHA-256 of the content (hex)");
  c_get->add_flag("--foreground", get.foreground, "foreground priority (not throttled, not queued)");
  c_get->callback(run([&] { return CmdGet(g, get); }));

  std::string name, job, url, path, prop, bg, fg;
  std::vector<std::string> ranges, values;
  bool all_users = false;
  int iterations = 0;
  double interval = 1.0, timeout = 0;

  auto* c_create = app.add_subcommand("create", "create a job (SUSPENDED)");
  c_create->add_option("name", name, "display name")->required();
  c_create->callback(run([&] { return CmdCreate(g, name); }));

  auto* c_add = app.add_subcommand("add", "add a file to a job");
  c_add->add_option("job", job, "GUID, unique prefix, or display name")->required();
  c_add->add_option("url", url)->required();
  c_add->add_option("path", path)->required();
  c_add->add_option("--range", ranges, "OFFSET:LENGTH (or OFFSET:eof); repeatable");
  c_add->callback(run([&] { return CmdAdd(g, job, url, path, ranges); }));

  for (const char* verb : {"resume", "suspend", "cancel", "complete"}) {
    auto* c = app.add_subcommand(verb, std::string(verb) + " a job");
    c->add_option("job", job, "GUID, unique prefix, or display name")->required();
    std::string v = verb;
    c->callback(run([&, v] { return CmdStateChange(g, v, job); }));
  }

  auto* c_list = app.add_subcommand("list", "list jobs");
  c_list->add_flag("--all-users", all_users, "every user's jobs (administrators)");
  c_list->callback(run([&] { return CmdList(g, all_users); }));

  auto* c_info = app.add_subcommand("info", "show a job");
  c_info->add_option("job", job)->required();
  c_info->callback(run([&] { return CmdInfo(g, job); }));

  auto* c_files = app.add_subcommand("files", "list a job's files");
  c_files->add_option("job", job)->required();
  c_files->callback(run([&] { return CmdFiles(g, job); }));

  auto* c_error = app.add_subcommand("error", "show a job's error");
  c_error->add_option("job", job)->required();
  c_error->callback(run([&] { return CmdError(g, job); }));

  auto* c_set = app.add_subcommand(
      "set", "set a property: priority|notify-flags|notify-cmd|retry-delay|no-progress-timeout|proxy|headers");
  c_set->add_option("job", job)->required();
  c_set->add_option("property", prop)->required();
  c_set->add_option("values", values, "the value(s)");
  c_set->callback(run([&] { return CmdSet(g, job, prop, values); }));

  auto* c_monitor = app.add_subcommand("monitor", "live table of jobs (Ctrl-C ends it)");
  c_monitor->add_option("job", job);
  c_monitor->add_option("-n,--iterations", iterations, "stop after N refreshes (0: never)");
  c_monitor->add_option("-i,--interval", interval, "seconds between refreshes");
  c_monitor->callback(run([&] { return CmdMonitor(g, job, iterations, interval); }));

  auto* c_wait = app.add_subcommand("wait", "block until TRANSFERRED (exit 0) or ERROR (exit 4)");
  c_wait->add_option("job", job)->required();
  c_wait->add_option("--timeout", timeout, "give up after this many seconds (exit 1)");
  c_wait->callback(run([&] { return CmdWait(g, job, timeout); }));

  auto* c_status = app.add_subcommand("status", "service-wide status");
  c_status->callback(run([&] { return CmdStatus(g); }));

  auto* c_limits = app.add_subcommand("limits", "view or change the global bandwidth limits");
  c_limits->add_option("--background", bg, "e.g. 20M, 512k, unlimited");
  c_limits->add_option("--foreground", fg, "e.g. 100M, unlimited");
  c_limits->callback(run([&] { return CmdLimits(g, bg, fg); }));

  RegisterDownloadCommands(app, g, &rc);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int code = app.exit(e);
    return code == 0 ? kOk : kUsage;
  }
  return rc;
}
