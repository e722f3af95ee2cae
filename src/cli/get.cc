// `ferry get`: the one-shot download curl, wget and aria2 users expect. One
// job for every URL given (arguments and `-i FILE`), a progress display, and
// Complete at the end. A foreground get always ends (docs/cli.md): with the
// files in place (0), the job's error (4: the job is in ERROR, or it made no
// progress for --timeout seconds while not QUEUED), or Ctrl-C (130); the
// job is cancelled on the way out unless --keep is given.
#include <fmt/format.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>

#include "cli/commands.h"
#include "cli/job_view.h"
#include "cli/verbs.h"
#include "util/status_codes.h"
#include "util/torrent_source.h"

namespace ferry::cli {

namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

// A foreground download should not sit out BITS's 600 s default after a
// transient error: get's job retries every 10 s (raised to the service's
// floor when that is higher).
constexpr uint32_t kGetRetryDelaySeconds = 10;
// Off a terminal, at most one progress line per this interval.
constexpr auto kLineInterval = std::chrono::seconds(5);
constexpr auto kPollInterval = std::chrono::milliseconds(200);

struct GetArgs {
  std::vector<std::string> urls;
  std::string output, input, sha256, content_id, limit_rate, download_mode;
  std::vector<std::string> headers;
  bool foreground = false, quiet = false, keep = false, limit_rate_given = false;
  double timeout_s = 60;
};

// What `get` fetches: each URL and its absolute local name.
struct Plan {
  std::vector<std::string> urls, paths;
  std::string headers;    // "Name: value\r\n" lines for SetCustomHeaders
  uint64_t max_rate = 0;  // bytes/s; 0: no limit of its own
  std::optional<DownloadMode> mode;  // the job's own download mode; nullopt: ferryd's
  std::string make_dir;   // -o DIR that does not exist yet: made once the job can start
};

int Usage(const std::string& why) {
  std::fprintf(stderr, "ferry get: %s\n", why.c_str());
  return kUsage;
}

std::string PercentDecoded(std::string_view in) {
  std::string out;
  for (size_t i = 0; i < in.size(); ++i) {
    if (in[i] == '%' && i + 2 < in.size() && std::isxdigit(static_cast<unsigned char>(in[i + 1])) &&
        std::isxdigit(static_cast<unsigned char>(in[i + 2]))) {
      out.push_back(static_cast<char>(std::stoi(std::string(in.substr(i + 1, 2)), nullptr, 16)));
      i += 2;
    } else {
      out.push_back(in[i] == '+' ? ' ' : in[i]);
    }
  }
  return out;
}

// A magnet's parameter `key` ("dn", "xt"), percent-decoded; "" when absent.
std::string MagnetParam(const std::string& magnet, const std::string& key) {
  std::string q = magnet.substr(0, magnet.find('#'));
  size_t pos = q.find('?');
  while (pos != std::string::npos) {
    size_t end = q.find('&', pos + 1);
    std::string param = q.substr(pos + 1, end == std::string::npos ? end : end - pos - 1);
    if (param.rfind(key + "=", 0) == 0) return PercentDecoded(param.substr(key.size() + 1));
    pos = end;
  }
  return {};
}

// A torrent's local name (docs/p2p.md): the chosen file's (#file=), a
// magnet's display name (dn=, else its info-hash), a .torrent's name
// without ".torrent". "" when `url` is not a torrent.
std::string TorrentBaseName(const std::string& url) {
  TorrentSource src = ParseTorrentSource(url);
  std::string name;
  if (src.kind == TorrentSourceKind::kNone) return {};
  if (src.file) {
    name = src.file->substr(src.file->rfind('/') + 1);
  } else if (src.kind == TorrentSourceKind::kMagnet) {
    name = MagnetParam(url, "dn");
    if (name.empty()) name = MagnetParam(url, "xt").substr(9);  // urn:btih:…
  } else {
    std::string path = src.location.substr(0, src.location.find_first_of("?#"));
    name = path.substr(path.rfind('/') + 1);
    name.resize(name.size() - std::string_view(".torrent").size());
  }
  if (name.find('/') != std::string::npos || name == "." || name == "..") name.clear();
  return name.empty() ? "download" : name;
}

// The URL's last path segment, as curl -O and wget name files; a torrent's
// TorrentBaseName.
std::string BaseName(const std::string& url) {
  if (std::string t = TorrentBaseName(url); !t.empty()) return t;
  std::string u = url.substr(0, url.find_first_of("?#"));
  auto scheme = u.find("://");
  if (scheme != std::string::npos && u.find('/', scheme + 3) == std::string::npos)
    return "index.html";
  auto slash = u.rfind('/');
  std::string b = slash == std::string::npos ? u : u.substr(slash + 1);
  return b.empty() || b == "." || b == ".." ? "index.html" : b;
}

// One URL per line; blank lines and lines starting with '#' are skipped.
bool ReadUrlList(const std::string& file, std::vector<std::string>* urls) {
  std::ifstream in;
  if (file != "-") {
    in.open(file);
    if (!in) return false;
  }
  std::istream& s = file == "-" ? std::cin : in;
  std::string line;
  while (std::getline(s, line)) {
    auto first = line.find_first_not_of(" \t\r");
    if (first == std::string::npos || line[first] == '#') continue;
    auto last = line.find_last_not_of(" \t\r");
    urls->push_back(line.substr(first, last - first + 1));
  }
  return !s.bad();
}

// --header values: "Name: value", a token before the colon, no line breaks.
int JoinHeaders(const std::vector<std::string>& headers, std::string* block) {
  for (const std::string& h : headers) {
    auto colon = h.find(':');
    bool ok = colon != std::string::npos && colon > 0 &&
              h.find_first_of("\r\n") == std::string::npos &&
              h.substr(0, colon).find_first_of(" \t") == std::string::npos;
    if (!ok) return Usage(fmt::format("a header is 'Name: value', not '{}'", h));
    *block += h + "\r\n";
  }
  return kOk;
}

// A torrent or magnet without "#file=": ferryd saves each of its files below
// a directory (a local name ending in '/').
bool IsWholeTorrent(const std::string& url) {
  TorrentSource src = ParseTorrentSource(url);
  return src.kind != TorrentSourceKind::kNone && !src.file;
}

// One URL: -o PATH, or -o DIR (an existing directory) / the URL's name (a
// whole torrent: DIR/ and its files below it), or ./the URL's name. Several: -o names a directory (p->make_dir when
// missing), each file named after its URL.
int PlanPaths(const GetArgs& a, Plan* p) {
  std::error_code ec;
  bool is_dir = !a.output.empty() && fs::is_directory(a.output, ec);
  if (p->urls.size() == 1 && !a.output.empty() && !is_dir && a.output.back() != '/') {
    p->paths.push_back(Absolute(a.output));
    return kOk;
  }
  std::string dir = a.output.empty() ? "." : a.output;
  if (!is_dir && !a.output.empty()) {
    if (fs::exists(dir, ec))
      return Usage(fmt::format("-o {} must be a directory with several URLs", dir));
    p->make_dir = dir;
  }
  std::set<std::string> seen;
  for (const std::string& url : p->urls) {
    if (IsWholeTorrent(url)) {
      // Its files go below the directory, named as in the torrent.
      std::string d = Absolute(fs::path(dir).lexically_normal().string());
      while (d.size() > 1 && d.back() == '/') d.pop_back();
      p->paths.push_back(d == "/" ? d : d + "/");
      continue;
    }
    std::string path = Absolute((fs::path(dir) / BaseName(url)).lexically_normal().string());
    if (!seen.insert(path).second)
      return Usage(
          fmt::format("two URLs would be saved as {}; give them one at a time with -o", path));
    p->paths.push_back(path);
  }
  return kOk;
}

int MakePlan(const GetArgs& a, Plan* p) {
  p->urls = a.urls;
  if (!a.input.empty() && !ReadUrlList(a.input, &p->urls))
    return Usage(fmt::format("cannot read the URL list {}", a.input));
  if (p->urls.empty()) return Usage("no URL given (as arguments or with -i FILE)");
  if (!a.sha256.empty() && p->urls.size() != 1) return Usage("--sha256 needs exactly one URL");
  if (!a.content_id.empty() && p->urls.size() != 1)
    return Usage("--content-id needs exactly one URL");
  if (a.timeout_s < 0) return Usage("--timeout takes seconds (0: wait forever)");
  if (a.limit_rate_given && !ParseRate(a.limit_rate, &p->max_rate))
    return Usage(fmt::format("--limit-rate takes a rate in bytes/s (e.g. 500k, 2M), not '{}'",
                             a.limit_rate));
  if (!a.download_mode.empty() && !ParseDownloadMode(a.download_mode, &p->mode))
    return Usage(fmt::format(
        "--download-mode takes http-only, lan, group, internet, simple, bypass (or 0, 1, 2, 3, "
        "99, 100) or default, not '{}'",
        a.download_mode));
  if (int rc = JoinHeaders(a.headers, &p->headers); rc != kOk) return rc;
  return PlanPaths(a, p);
}

// Everything after CreateJob; `doing` names the step that failed.
Status Configure(Job& job, const GetArgs& a, const Plan& p, std::string* doing) {
  std::vector<FileInfo> files;
  for (size_t i = 0; i < p.urls.size(); ++i) files.push_back({p.urls[i], p.paths[i]});
  Status s;
  *doing = files.size() == 1 ? "adding " + p.urls[0] : "adding the files";
  if (!(s = job.AddFileSet(files)).ok()) return s;
  *doing = "setting the headers";
  if (!p.headers.empty() && !(s = job.SetCustomHeaders(p.headers)).ok()) return s;
  if (!(s = SetFileChecks(job, p.paths[0], a.sha256, a.content_id, doing)).ok()) return s;
  *doing = "setting the priority";
  if (a.foreground && !(s = job.SetPriority(JobPriority::kForeground)).ok()) return s;
  *doing = "setting the rate limit";
  if (p.max_rate != 0 && !(s = job.SetMaximumRate(p.max_rate)).ok()) return s;
  *doing = "setting the download mode";
  if (p.mode && !(s = job.SetDownloadMode(*p.mode)).ok()) return s;
  *doing = "setting the retry delay";
  if (!(s = job.SetMinimumRetryDelay(kGetRetryDelaySeconds)).ok()) return s;
  *doing = "starting the download";
  return job.Resume();
}

std::unique_ptr<Job> StartJob(const Globals& g, Manager& m, const GetArgs& a, const Plan& p,
                              int* exit) {
  std::string name = "ferry get " + BaseName(p.urls[0]);
  if (p.urls.size() > 1) name += fmt::format(" and {} more", p.urls.size() - 1);
  Guid id;
  std::unique_ptr<Job> job;
  Status s = m.CreateJob(name, JobType::kDownload, &id, &job);
  if (!s.ok()) {
    *exit = Fail(g, s, "creating the job");
    return nullptr;
  }
  std::string doing;
  if (!(s = Configure(*job, a, p, &doing)).ok()) {
    *exit = Fail(g, s, doing);
    job->Cancel();
    return nullptr;
  }
  return job;
}

std::string Eta(double seconds) {
  if (seconds < 0 || seconds > 359999) return "--:--";
  int s = static_cast<int>(seconds);
  return s >= 3600 ? fmt::format("{}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60)
                   : fmt::format("{:02}:{:02}", s / 60, s % 60);
}

// "[#########.........]  45%  120.0 MiB / 256.0 MiB  85.2 MiB/s  ETA 00:02"
std::string Bar(const JobProgress& p, double rate, bool tty) {
  bool known = p.bytes_total != kSizeUnknown && p.bytes_total > 0;
  double frac =
      known ? static_cast<double>(p.bytes_transferred) / static_cast<double>(p.bytes_total) : 0;
  std::string eta = known && rate > 0
                        ? Eta(static_cast<double>(p.bytes_total - p.bytes_transferred) / rate)
                        : "--:--";
  std::string sizes = fmt::format("{} / {}", HumanBytes(p.bytes_transferred),
                                  known ? HumanBytes(p.bytes_total) : std::string("?"));
  std::string speed = HumanBytes(static_cast<uint64_t>(rate));
  if (!tty) return fmt::format("{:5.1f}%  {}  {}/s  ETA {}", frac * 100, sizes, speed, eta);
  const int width = 30;
  int filled = static_cast<int>(frac * width);
  return fmt::format("[{}{}] {:5.1f}%  {}  {}/s  ETA {}", std::string(filled, '#'),
                     std::string(width - filled, '.'), frac * 100, sizes, speed, eta);
}

// What `get` prints while it waits, all on stderr: a bar redrawn in place on
// a terminal, a line every 5 s elsewhere, nothing with -q or --json; the
// reason of a transient error once when it appears (not with -q).
class Display {
 public:
  Display(const Globals& g, const GetArgs& a)
      : quiet_(a.quiet),
        tty_(isatty(STDERR_FILENO)),
        progress_(!a.quiet && !g.json),
        start_(Clock::now()),
        last_line_(start_) {}

  void Progress(const JobSummary& j, Clock::time_point now) {
    if (!progress_ || (!tty_ && now - last_line_ < kLineInterval)) return;
    double secs = std::chrono::duration<double>(now - start_).count();
    double rate = secs > 0.2 ? static_cast<double>(j.progress.bytes_transferred) / secs : 0;
    std::fprintf(stderr, tty_ ? "\r%s  %-15s" : "%s  %s\n", Bar(j.progress, rate, tty_).c_str(),
                 std::string(JobStateName(j.state)).c_str());
    bar_open_ = tty_;
    last_line_ = now;
  }

  void Transient(const JobSummary& j, uint32_t retry_delay) {
    if (quiet_ || j.error_code == reported_) return;
    reported_ = j.error_code;
    EndBar();
    std::fprintf(stderr, "ferry: %s; retrying in %u s\n",
                 Status(j.error_code, j.error_message).ToString().c_str(), retry_delay);
  }

  // Ends a bar line so that what follows starts on its own line.
  void EndBar() {
    if (bar_open_) std::fprintf(stderr, "\n");
    bar_open_ = false;
  }

  double Seconds() const { return std::chrono::duration<double>(Clock::now() - start_).count(); }
  bool quiet() const { return quiet_; }

 private:
  bool quiet_, tty_, progress_;
  bool bar_open_ = false;
  int32_t reported_ = 0;
  Clock::time_point start_, last_line_;
};

enum class End { kTransferred, kError, kNoProgress, kInterrupted, kLost };

// Polls the job until it ends one way or another; *last is what was read
// last (kLost: *lost says why reading failed).
End Follow(Job& job, const GetArgs& a, Display& display, JobSummary* last, Status* lost) {
  uint32_t retry_delay = kGetRetryDelaySeconds;
  job.GetMinimumRetryDelay(&retry_delay);
  auto timeout = std::chrono::duration<double>(a.timeout_s);
  auto progress_at = Clock::now();
  JobProgress seen;
  for (;;) {
    if (Interrupted()) return End::kInterrupted;
    if (!(*lost = job.GetSummary(last)).ok()) return End::kLost;
    auto now = Clock::now();
    const JobSummary& j = *last;
    // Waiting for its turn is not a failure to progress.
    if (j.progress.bytes_transferred != seen.bytes_transferred ||
        j.progress.files_transferred != seen.files_transferred || j.state == JobState::kQueued)
      progress_at = now;
    seen = j.progress;
    if (j.state == JobState::kTransientError) display.Transient(j, retry_delay);
    display.Progress(j, now);
    if (j.state == JobState::kTransferred) return End::kTransferred;
    if (j.state == JobState::kError) return End::kError;
    if (a.timeout_s > 0 && now - progress_at >= timeout) return End::kNoProgress;
    std::this_thread::sleep_for(kPollInterval);
  }
}

// The job's local names now: a torrent saved to a directory became one file
// per torrent file.
std::vector<std::string> LocalNames(Job& job, const std::vector<std::string>& planned) {
  std::vector<std::unique_ptr<File>> files;
  if (!job.EnumFiles(&files).ok()) return planned;
  std::vector<std::string> names;
  for (auto& f : files) {
    std::string name;
    if (!f->GetLocalName(&name).ok()) return planned;
    names.push_back(std::move(name));
  }
  return names;
}

int Finish(const Globals& g, Job& job, const Plan& plan, Display& display) {
  Plan p = plan;
  p.paths = LocalNames(job, plan.paths);
  if (Status s = job.Complete(); !s.ok()) return Fail(g, s, "completing the job");
  for (const std::string& path : p.paths) {
    if (access(path.c_str(), F_OK) != 0) {
      std::fprintf(stderr, "ferry: the job completed but %s is not there\n", path.c_str());
      return kServiceError;
    }
  }
  if (g.json) {
    JobView v;
    if (Status rs = ReadJob(job, /*error_file=*/true, &v); !rs.ok())
      return Fail(g, rs, "reading the finished job");
    nlohmann::json j = ToJson(v);
    j["path"] = p.paths[0];
    j["paths"] = p.paths;
    std::printf("%s\n", j.dump(2).c_str());
  } else if (!display.quiet()) {
    std::error_code ec;
    for (const std::string& path : p.paths)
      std::fprintf(stderr, "saved %s (%s in %.1f s)\n", path.c_str(),
                   HumanBytes(static_cast<uint64_t>(fs::file_size(path, ec))).c_str(),
                   display.Seconds());
  }
  return kOk;
}

// The job did not finish: say why, then cancel it or (--keep) say where it is.
int GiveUp(const Globals& g, const GetArgs& a, Job& job, End end, const JobSummary& last) {
  Status why = last.has_error ? Status(last.error_code, last.error_message)
                              : Status(code::kDownloadNoProgress, "the job made no progress");
  int rc = kJobError;
  if (end == End::kInterrupted) {
    rc = kInterrupted;
    std::fprintf(stderr, "ferry: interrupted\n");
  } else {
    if (end == End::kNoProgress)
      std::fprintf(stderr, "ferry: no progress for %g s (the job is %s); giving up\n", a.timeout_s,
                   std::string(JobStateName(last.state)).c_str());
    Fail(g, why, "downloading");
  }
  if (a.keep) {
    Guid guid;
    job.GetId(&guid);
    std::string id = guid.ToString();
    std::fprintf(stderr, "ferry: kept the job %s (`ferry info %s`)\n", id.c_str(), id.c_str());
  } else if (Status s = job.Cancel(); s.ok()) {
    std::fprintf(stderr, "ferry: the job was cancelled\n");
  }
  return rc;
}

// -o DIR made for this get (with its missing parents), and removed again
// when the get fails and leaves it empty: a failed get leaves no trace.
class OutputDir {
 public:
  // Makes `dir` ("" : nothing to make); false (with *error) when it cannot.
  bool Make(const std::string& dir, std::string* error) {
    if (dir.empty()) return true;
    std::error_code ec;
    for (fs::path p = fs::absolute(dir, ec).lexically_normal(); !p.empty() && !fs::exists(p, ec);
         p = p.parent_path()) {
      made_.push_back(p);  // deepest first
      if (p == p.parent_path()) break;
    }
    if (!fs::create_directories(dir, ec) && ec) {
      *error = fmt::format("cannot create the directory {}: {}", dir, ec.message());
      made_.clear();
      return false;
    }
    return true;
  }
  // Removes what Make made, deepest first, as far as it is empty.
  void RemoveIfEmpty() {
    std::error_code ec;
    for (const fs::path& p : made_)
      if (!fs::remove(p, ec)) break;
    made_.clear();
  }

 private:
  std::vector<fs::path> made_;
};

int CmdGet(const Globals& g, const GetArgs& a) {
  Plan plan;
  if (int rc = MakePlan(a, &plan); rc != kOk) return rc;
  if (Status s = CheckContentIdOption(a.content_id); !s.ok())
    return Fail(g, s, "checking the arguments");
  int exit = kOk;
  auto m = Connect(g, &exit);
  if (!m) return exit;
  OutputDir dir;
  if (std::string why; !dir.Make(plan.make_dir, &why)) return Usage(why);
  // From here on Ctrl-C cancels the job (Follow checks first thing).
  CatchInterrupts();
  auto job = StartJob(g, *m, a, plan, &exit);
  if (!job) {
    dir.RemoveIfEmpty();
    return exit;
  }
  Display display(g, a);
  JobSummary last;
  Status lost;
  End end = Follow(*job, a, display, &last, &lost);
  display.EndBar();
  if (end == End::kTransferred) return Finish(g, *job, plan, display);
  if (end == End::kLost) return Fail(g, lost, "watching the job");
  exit = GiveUp(g, a, *job, end, last);
  if (!a.keep) dir.RemoveIfEmpty();
  return exit;
}

}  // namespace

void AddGetVerb(Verbs& v) {
  auto a = std::make_shared<GetArgs>();
  auto* c = v.app.add_subcommand(
      "get", "download URLs: create a job, add, resume, show progress, complete");
  c->add_option("urls", a->urls, "http, https or file URLs");
  c->add_option(
      "-o,--output", a->output,
      "the file (one URL) or the directory (several URLs; default: here), named after the URL");
  c->add_option("-i,--input-file", a->input,
                "read URLs from FILE, one per line ('#' comments; - for stdin)");
  c->add_option("--header", a->headers, "'Name: value' sent with every request; repeatable")
      ->allow_extra_args(false);
  c->add_option("--sha256", a->sha256, "expected SHA-256 of the content (hex; one URL only)");
  c->add_option("--content-id", a->content_id,
                "the content's id (`ferry hash`), verified before delivery (one URL only)");
  c->add_flag("--foreground", a->foreground, "foreground priority (not throttled, not queued)");
  c->add_option(
       "--limit-rate", a->limit_rate,
       "the job's own rate limit in bytes/s (e.g. 500k, 2M; as `ferry set JOB rate-limit`)")
      ->each([a](const std::string&) { a->limit_rate_given = true; });
  c->add_option("--download-mode", a->download_mode,
                "the job's own download mode: http-only, lan, group, internet, simple, bypass "
                "(administrators only in system mode; as `ferry set JOB download-mode`)");
  c->add_option("--timeout", a->timeout_s,
                "give up after this many seconds without progress (default 60; 0: never)");
  c->add_flag("--keep", a->keep, "leave the job in the service when giving up or interrupted");
  c->add_flag("-q,--quiet", a->quiet, "no progress and no messages but errors");
  c->callback(v.Run([&g = v.globals, a] { return CmdGet(g, *a); }));
}

}  // namespace ferry::cli
