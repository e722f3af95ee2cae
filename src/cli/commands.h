// One function per verb of api.md §3. Each returns the process exit code
// (cli.h) and prints either text or, with --json, one JSON document.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "cli/cli.h"
#include "cli/parsers.h"  // ParseRate, ParseRange

namespace ferry::cli {

int CmdCreate(const Globals& g, const std::string& name);
int CmdAdd(const Globals& g, const std::string& job, const std::string& url,
           const std::string& path, const std::vector<std::string>& ranges,
           const std::string& sha256, const std::string& content_id);
int CmdStateChange(const Globals& g, const std::string& verb, const std::string& job);
int CmdList(const Globals& g, bool all_users);
int CmdInfo(const Globals& g, const std::string& job);
int CmdFiles(const Globals& g, const std::string& job);
int CmdError(const Globals& g, const std::string& job);
// `ferry set` (set_command.cc).
int CmdSet(const Globals& g, const std::string& job, const std::string& property,
           const std::vector<std::string>& values);
int CmdMonitor(const Globals& g, const std::string& job, int iterations, double interval_s);
int CmdWait(const Globals& g, const std::string& job, double timeout_s);
int CmdStatus(const Globals& g);
int CmdLimits(const Globals& g, const std::string& background, const std::string& foreground);

// Prints the job (a line, or the JSON object with --json); the exit code.
int PrintJob(const Globals& g, Job& job);
// A handle for a JOB argument (ResolveJob), or nullptr after printing why
// not, with *exit set.
std::unique_ptr<Job> OpenJob(const Globals& g, Manager& m, const std::string& ref, int* exit);

// `path` made absolute against the current directory.
std::string Absolute(const std::string& path);
// Sets the SHA-256 and the content id (each when not empty) of the job's
// file whose local name is `local_name`; `doing` names the step that failed.
Status SetFileChecks(Job& job, const std::string& local_name, const std::string& sha256,
                     const std::string& content_id, std::string* doing);
// E_INVALIDARG for a malformed --content-id (ValidateContentId), checked
// before the service is asked anything; S_OK for none.
Status CheckContentIdOption(const std::string& content_id);

}  // namespace ferry::cli
