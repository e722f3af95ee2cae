// `ferry download …`: DO's single-download API from the shell (api.md §3,
// do-download.md). A download is named by its id (a GUID, with or without
// braces, or a unique prefix of its 32 hex digits).
#pragma once

namespace CLI {
class App;
}

namespace ferry::cli {

struct Globals;

// Adds the `download` verb and its subcommands (start, list, status, pause,
// resume, abort, finalize) to `app`; each sets *exit_code when it runs.
// `g` and `exit_code` must outlive app.parse().
void RegisterDownloadCommands(CLI::App& app, Globals& g, int* exit_code);

}  // namespace ferry::cli
