// Verbs that create, change and read jobs. The progress bar of `get`, and
// `monitor` and `wait`, are in watch.cc.
#include "cli/commands.h"

#include <fmt/format.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <nlohmann/json.hpp>

#include "cli/job_view.h"
#include "cli/verbs.h"
#include "ferry/content_id.h"
#include "util/status_codes.h"

namespace ferry::cli {

int PrintJob(const Globals& g, Job& job) {
  JobView v;
  Status s = ReadJob(job, g.json, &v);
  if (!s.ok()) return Fail(g, s, "reading the job");
  if (g.json) {
    std::printf("%s\n", ToJson(v).dump(2).c_str());
  } else {
    std::printf("%s\n", ToLine(v).c_str());
  }
  return kOk;
}

// A job handle for a JOB argument, or the exit code after printing why not.
std::unique_ptr<Job> OpenJob(const Globals& g, Manager& m, const std::string& ref, int* exit) {
  std::unique_ptr<Job> job;
  Status s = ResolveJob(m, ref, &job);
  if (!s.ok()) {
    *exit = Fail(g, s, fmt::format("finding job '{}'", ref));
    return nullptr;
  }
  return job;
}

std::string Absolute(const std::string& path) {
  if (!path.empty() && path[0] == '/') return path;
  char cwd[PATH_MAX];
  if (!getcwd(cwd, sizeof cwd)) return path;
  return std::string(cwd) + "/" + path;
}

Status SetFileChecks(Job& job, const std::string& local_name, const std::string& sha256,
                     const std::string& content_id, std::string* doing) {
  if (sha256.empty() && content_id.empty()) return Status::OK();
  *doing = "finding the file";
  std::vector<std::unique_ptr<File>> files;
  if (Status s = job.EnumFiles(&files); !s.ok()) return s;
  for (auto it = files.rbegin(); it != files.rend(); ++it) {
    std::string name;
    if (!(*it)->GetLocalName(&name).ok() || name != local_name) continue;
    *doing = "setting the SHA-256";
    if (!sha256.empty())
      if (Status s = (*it)->SetIntegrity(sha256); !s.ok()) return s;
    *doing = "setting the content id";
    return content_id.empty() ? Status::OK() : (*it)->SetContentId(content_id);
  }
  return Status(code::kUnexpected, fmt::format("the job has no file {}", local_name));
}

Status CheckContentIdOption(const std::string& content_id) {
  if (content_id.empty()) return Status::OK();
  Status s = ValidateContentId(content_id);
  if (s.ok()) return s;
  return Status(s.code(), fmt::format("--content-id '{}': {}", content_id, s.message()));
}

int CmdCreate(const Globals& g, const std::string& name) {
  int exit = kOk;
  auto m = Connect(g, &exit);
  if (!m) return exit;
  Guid id;
  std::unique_ptr<Job> job;
  Status s = m->CreateJob(name, JobType::kDownload, &id, &job);
  if (!s.ok()) return Fail(g, s, "creating the job");
  return PrintJob(g, *job);
}

int CmdAdd(const Globals& g, const std::string& ref, const std::string& url,
           const std::string& path, const std::vector<std::string>& ranges,
           const std::string& sha256, const std::string& content_id) {
  // Usage errors before the service is asked anything.
  std::vector<FileRange> rs;
  for (const auto& r : ranges) {
    if (!ParseRange(r, &rs.emplace_back())) {
      std::fprintf(stderr, "ferry: a range is OFFSET:LENGTH (or OFFSET:eof), not '%s'\n",
                   r.c_str());
      return kUsage;
    }
  }
  // A bad id is refused before the file is added (as the service would).
  Status id_ok = CheckContentIdOption(content_id);
  if (id_ok.ok() && !content_id.empty() && !rs.empty())
    id_ok = Status(code::kInvalidArg, "--content-id names a whole file: not with --range");
  if (!id_ok.ok()) return Fail(g, id_ok, "adding the file");
  int exit = kOk;
  auto m = Connect(g, &exit);
  if (!m) return exit;
  auto job = OpenJob(g, *m, ref, &exit);
  if (!job) return exit;
  Status s = rs.empty() ? job->AddFile(url, Absolute(path))
                        : job->AddFileWithRanges("", url, Absolute(path), rs);
  if (!s.ok()) return Fail(g, s, "adding the file");
  std::string doing;
  if (!(s = SetFileChecks(*job, Absolute(path), sha256, content_id, &doing)).ok())
    return Fail(g, s, doing);
  return PrintJob(g, *job);
}

int CmdStateChange(const Globals& g, const std::string& verb, const std::string& ref) {
  int exit = kOk;
  auto m = Connect(g, &exit);
  if (!m) return exit;
  auto job = OpenJob(g, *m, ref, &exit);
  if (!job) return exit;
  Status s;
  if (verb == "resume")
    s = job->Resume();
  else if (verb == "suspend")
    s = job->Suspend();
  else if (verb == "cancel")
    s = job->Cancel();
  else if (verb == "complete")
    s = job->Complete();
  if (!s.ok()) return Fail(g, s, verb);
  if (s.code() != code::kOk) std::fprintf(stderr, "ferry: %s\n", s.ToString().c_str());
  return PrintJob(g, *job);
}

int CmdList(const Globals& g, bool all_users) {
  int exit = kOk;
  auto m = Connect(g, &exit);
  if (!m) return exit;
  std::vector<JobView> jobs;
  Status s = ListJobs(*m, all_users ? kEnumAllUsers : 0, g.json, &jobs);
  if (!s.ok()) return Fail(g, s, "listing jobs");
  nlohmann::json arr = nlohmann::json::array();
  for (const JobView& v : jobs) {
    if (g.json)
      arr.push_back(ToJson(v));
    else
      std::printf("%s\n", ToLine(v).c_str());
  }
  if (g.json) std::printf("%s\n", arr.dump(2).c_str());
  return kOk;
}

int CmdInfo(const Globals& g, const std::string& ref) {
  int exit = kOk;
  auto m = Connect(g, &exit);
  if (!m) return exit;
  auto job = OpenJob(g, *m, ref, &exit);
  if (!job) return exit;
  JobView view;
  Status s = ReadJob(*job, g.json, &view);
  if (!s.ok()) return Fail(g, s, "reading the job");
  if (g.json) {
    std::printf("%s\n", ToJson(view).dump(2).c_str());
    return kOk;
  }
  const JobSummary& v = view.job;
  std::printf("id:          %s\nname:        %s\n", v.id.ToString().c_str(),
              v.display_name.c_str());
  if (!v.description.empty()) std::printf("description: %s\n", v.description.c_str());
  std::printf("state:       %s\npriority:    %s\nowner:       %s\n",
              std::string(JobStateName(v.state)).c_str(),
              std::string(JobPriorityName(v.priority)).c_str(), v.owner_name.c_str());
  std::printf(
      "progress:    %s of %s, %u of %u files\n", HumanBytes(v.progress.bytes_transferred).c_str(),
      v.progress.bytes_total == kSizeUnknown ? "?" : HumanBytes(v.progress.bytes_total).c_str(),
      v.progress.files_transferred, v.progress.files_total);
  std::printf("rate limit:  %s\n",
              v.max_rate == 0 ? "none" : (HumanBytes(v.max_rate) + "/s").c_str());
  std::printf("mode:        %s (%s)\n",
              std::string(DownloadModeName(v.effective_download_mode)).c_str(),
              v.download_mode ? "the job's own" : "ferryd's");
  std::printf("errors:      %u\n", v.error_count);
  if (v.has_error)
    std::printf("error:       %s (%s)\n", Status(v.error_code, v.error_message).ToString().c_str(),
                std::string(ErrorContextName(v.error_context)).c_str());
  return kOk;
}

int CmdFiles(const Globals& g, const std::string& ref) {
  int exit = kOk;
  auto m = Connect(g, &exit);
  if (!m) return exit;
  auto job = OpenJob(g, *m, ref, &exit);
  if (!job) return exit;
  std::vector<FileView> files;
  Status s = ReadFiles(*job, &files);
  if (!s.ok()) return Fail(g, s, "listing files");
  nlohmann::json arr = nlohmann::json::array();
  for (const auto& f : files) {
    if (g.json) {
      arr.push_back(ToJson(f));
    } else {
      std::printf(
          "%s %10s/%-10s %s -> %s\n", f.progress.completed ? "done" : "    ",
          HumanBytes(f.progress.bytes_transferred).c_str(),
          f.progress.bytes_total == kSizeUnknown ? "?" : HumanBytes(f.progress.bytes_total).c_str(),
          f.remote_name.c_str(), f.local_name.c_str());
      if (!f.content_id.empty()) std::printf("     content id %s\n", f.content_id.c_str());
    }
  }
  if (g.json) std::printf("%s\n", arr.dump(2).c_str());
  return kOk;
}

int CmdError(const Globals& g, const std::string& ref) {
  int exit = kOk;
  auto m = Connect(g, &exit);
  if (!m) return exit;
  auto job = OpenJob(g, *m, ref, &exit);
  if (!job) return exit;
  std::unique_ptr<Error> err;
  Status s = job->GetError(&err);
  if (!s.ok()) return Fail(g, s, "reading the job's error");
  ErrorContext ctx{};
  int32_t c = 0;
  std::string msg, ctx_text, protocol, file;
  err->GetError(&ctx, &c);
  err->GetErrorDescription(&msg);
  err->GetErrorContextDescription(&ctx_text);
  err->GetProtocol(&protocol);
  std::unique_ptr<File> f;
  if (err->GetFile(&f).ok() && f) f->GetLocalName(&file);
  if (g.json) {
    nlohmann::json j = {{"code", fmt::format("0x{:08X}", static_cast<uint32_t>(c))},
                        {"code_value", c},
                        {"name", StatusCodeName(c)},
                        {"context", std::string(ErrorContextName(ctx))},
                        {"message", msg},
                        {"protocol", protocol},
                        {"file", file.empty() ? nlohmann::json(nullptr) : nlohmann::json(file)}};
    std::printf("%s\n", j.dump(2).c_str());
  } else {
    std::printf("%s\ncontext: %s%s%s\n", Status(c, msg).ToString().c_str(),
                std::string(ErrorContextName(ctx)).c_str(),
                file.empty() ? "" : "\nfile:    ", file.c_str());
  }
  return kOk;
}

namespace {

constexpr const char* kJobHelp = "GUID, unique prefix, or display name";

void AddCreateAndAdd(Verbs& v) {
  auto name = std::make_shared<std::string>();
  auto* c_create = v.app.add_subcommand("create", "create a job (SUSPENDED)");
  c_create->add_option("name", *name, "display name")->required();
  c_create->callback(v.Run([&g = v.globals, name] { return CmdCreate(g, *name); }));

  struct AddArgs {
    std::string job, url, path, sha256, content_id;
    std::vector<std::string> ranges;
  };
  auto a = std::make_shared<AddArgs>();
  auto* c_add = v.app.add_subcommand("add", "add a file to a job");
  c_add->add_option("job", a->job, kJobHelp)->required();
  c_add->add_option("url", a->url, "http, https or file URL")->required();
  c_add->add_option("path", a->path, "the file's local name")->required();
  c_add->add_option("--range", a->ranges, "OFFSET:LENGTH (or OFFSET:eof); repeatable")
      ->allow_extra_args(false);
  c_add->add_option("--sha256", a->sha256, "expected SHA-256 of the content (hex)");
  c_add->add_option("--content-id", a->content_id,
                    "the content's id (`ferry hash`): verified before delivery");
  c_add->callback(v.Run([&g = v.globals, a] {
    return CmdAdd(g, a->job, a->url, a->path, a->ranges, a->sha256, a->content_id);
  }));
}

void AddReaders(Verbs& v) {
  auto job = std::make_shared<std::string>();
  for (const char* verb : {"resume", "suspend", "cancel", "complete"}) {
    auto* c = v.app.add_subcommand(verb, std::string(verb) + " a job");
    c->add_option("job", *job, kJobHelp)->required();
    c->callback(v.Run(
        [&g = v.globals, job, verb = std::string(verb)] { return CmdStateChange(g, verb, *job); }));
  }
  auto all_users = std::make_shared<bool>(false);
  auto* c_list = v.app.add_subcommand("list", "list jobs");
  c_list->add_flag("--all-users", *all_users, "every user's jobs (administrators)");
  c_list->callback(v.Run([&g = v.globals, all_users] { return CmdList(g, *all_users); }));

  using Reader = int (*)(const Globals&, const std::string&);
  const std::pair<const char*, Reader> readers[] = {
      {"info", CmdInfo}, {"files", CmdFiles}, {"error", CmdError}};
  const char* help[] = {"show a job", "list a job's files", "show a job's error"};
  for (size_t i = 0; i < std::size(readers); ++i) {
    auto* c = v.app.add_subcommand(readers[i].first, help[i]);
    c->add_option("job", *job, kJobHelp)->required();
    c->callback(v.Run([&g = v.globals, job, fn = readers[i].second] { return fn(g, *job); }));
  }
}

}  // namespace

void AddJobVerbs(Verbs& v) {
  AddCreateAndAdd(v);
  AddReaders(v);
  AddSetVerb(v);
}

}  // namespace ferry::cli
