// `ferry download start|list|status|pause|resume|abort|finalize` over the
// SDK's Download API. Text on stdout, or one JSON document with --json.
#include "cli/download_commands.h"

#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <thread>

#include "cli/cli.h"
#include "util/status_codes.h"

namespace ferry::cli {
namespace {

using P = DownloadProperty;
constexpr auto kPoll = std::chrono::milliseconds(200);

struct StartArgs {
  std::string url, output, sha256, content_id;
  bool foreground = false, blocking = false;
};

std::string Str(Download& d, P p) {
  PropertyValue v;
  if (!d.GetProperty(p, &v).ok()) return "";
  const auto* s = std::get_if<std::string>(&v);
  return s ? *s : "";
}

nlohmann::json ToJson(Download& d, const DownloadStatus& st) {
  nlohmann::json j = {
      {"id", Str(d, P::kId)},
      {"state", std::string(DownloadStateName(st.state))},
      {"state_code", static_cast<uint32_t>(st.state)},
      {"bytes_total",
       st.bytes_total == kSizeUnknown ? nlohmann::json(nullptr) : nlohmann::json(st.bytes_total)},
      {"bytes_transferred", st.bytes_transferred},
      {"uri", Str(d, P::kUri)},
      {"local_path", Str(d, P::kLocalPath)},
      {"display_name", Str(d, P::kDisplayName)},
      {"content_id", Str(d, P::kContentId)},
      {"error", nullptr},
      {"extended_error", nullptr}};
  auto code = [](int32_t c) {
    return nlohmann::json{{"code", fmt::format("0x{:08X}", static_cast<uint32_t>(c))},
                          {"name", StatusCodeName(c)},
                          {"message", StatusCodeMessage(c)}};
  };
  if (st.error) j["error"] = code(st.error);
  if (st.extended_error) j["extended_error"] = code(st.extended_error);
  return j;
}

void PrintLine(Download& d, const DownloadStatus& st) {
  std::string size = st.bytes_total == kSizeUnknown ? "?" : HumanBytes(st.bytes_total);
  std::string err = st.error            ? " error " + Status(st.error, "").ToString()
                    : st.extended_error ? " retrying: " + Status(st.extended_error, "").ToString()
                                        : "";
  std::printf("%s  %-12s %s/%s  %s -> %s%s\n", Str(d, P::kId).c_str(),
              std::string(DownloadStateName(st.state)).c_str(),
              HumanBytes(st.bytes_transferred).c_str(), size.c_str(), Str(d, P::kUri).c_str(),
              Str(d, P::kLocalPath).c_str(), err.c_str());
}

// Prints the download (text or JSON) and returns kOk.
int Show(const Globals& g, Download& d, std::string_view doing) {
  DownloadStatus st;
  if (Status s = d.GetStatus(&st); !s.ok()) return Fail(g, s, doing);
  if (g.json)
    std::printf("%s\n", ToJson(d, st).dump(2).c_str());
  else
    PrintLine(d, st);
  return kOk;
}

// A GUID (braces optional) or a unique prefix of the 32 hex digits.
Status Resolve(Manager& m, const std::string& ref, std::unique_ptr<Download>* out) {
  std::vector<std::unique_ptr<Download>> all;
  if (Status s = m.EnumDownloads(nullptr, &all); !s.ok()) return s;
  std::string want;
  for (char c : ref)
    if (std::isxdigit(static_cast<unsigned char>(c))) want += static_cast<char>(std::tolower(c));
  std::unique_ptr<Download>* found = nullptr;
  for (auto& d : all) {
    std::string hex;
    for (char c : Str(*d, P::kId))
      if (std::isxdigit(static_cast<unsigned char>(c))) hex += static_cast<char>(std::tolower(c));
    if (want.empty() || hex.rfind(want, 0) != 0) continue;
    if (found) return Status(code::kInvalidArg, fmt::format("'{}' matches several downloads", ref));
    found = &d;
  }
  if (!found)
    return Status(code::kJobNotFound,
                  fmt::format("no download '{}' (see `ferry download list`)", ref));
  *out = std::move(*found);
  return Status::OK();
}

// --foreground: progress on stderr until Transferred or failed, then Finalize.
int Follow(const Globals& g, Download& d) {
  for (;;) {
    DownloadStatus st;
    if (Status s = d.GetStatus(&st); !s.ok()) return Fail(g, s, "reading the download");
    if (st.error) {
      Show(g, d, "reading the download");
      return Fail(g, Status(st.error, "the download failed"), "downloading");
    }
    if (st.state == DownloadState::kTransferred) break;
    if (st.state != DownloadState::kTransferring && st.state != DownloadState::kPaused)
      return Fail(g, Status(code::kInvalidState, "the download stopped"), "downloading");
    std::this_thread::sleep_for(kPoll);
  }
  if (Status s = d.Finalize(); !s.ok()) return Fail(g, s, "finalizing");
  return Show(g, d, "reading the download");
}

int CmdStart(const Globals& g, const StartArgs& a) {
  int rc = kOk;
  auto m = Connect(g, &rc);
  if (!m) return rc;
  if (a.output.empty())
    return Fail(g, Status(code::kInvalidArg, "-o PATH is required"), "starting");
  std::string path = a.output;
  if (path[0] != '/') {
    std::error_code ec;
    path = (std::filesystem::current_path(ec) / path).lexically_normal().string();
  }
  std::unique_ptr<Download> d;
  if (Status s = m->CreateDownload(&d); !s.ok()) return Fail(g, s, "creating the download");
  // A download left to the service survives its restarts, as a job would.
  std::vector<std::pair<P, PropertyValue>> props = {
      {P::kUri, a.url}, {P::kLocalPath, path}, {P::kNonVolatile, !a.foreground}};
  if (a.foreground) props.emplace_back(P::kForegroundPriority, true);
  if (!a.sha256.empty())
    props.emplace_back(P::kIntegrityCheckInfo, "{\"Sha256\":\"" + a.sha256 + "\"}");
  if (!a.content_id.empty()) props.emplace_back(P::kContentId, a.content_id);
  if (a.blocking) props.emplace_back(P::kBlockingMode, true);
  for (auto& [p, v] : props) {
    if (Status s = d->SetProperty(p, v); !s.ok()) {
      d->Abort();
      return Fail(g, s, "setting the download's properties");
    }
  }
  if (Status s = d->Start(); !s.ok()) {
    d->Abort();
    return Fail(g, s, "starting the download");
  }
  if (a.foreground) return Follow(g, *d);
  return Show(g, *d, "reading the download");
}

int CmdList(const Globals& g) {
  int rc = kOk;
  auto m = Connect(g, &rc);
  if (!m) return rc;
  std::vector<std::unique_ptr<Download>> all;
  if (Status s = m->EnumDownloads(nullptr, &all); !s.ok()) return Fail(g, s, "listing downloads");
  nlohmann::json arr = nlohmann::json::array();
  for (auto& d : all) {
    DownloadStatus st;
    if (!d->GetStatus(&st).ok()) continue;  // gone meanwhile
    if (g.json)
      arr.push_back(ToJson(*d, st));
    else
      PrintLine(*d, st);
  }
  if (g.json) std::printf("%s\n", arr.dump(2).c_str());
  return kOk;
}

int CmdOne(const Globals& g, const std::string& verb, const std::string& ref) {
  int rc = kOk;
  auto m = Connect(g, &rc);
  if (!m) return rc;
  std::unique_ptr<Download> d;
  if (Status s = Resolve(*m, ref, &d); !s.ok()) return Fail(g, s, "finding the download");
  Status s;
  if (verb == "pause")
    s = d->Pause();
  else if (verb == "resume")
    s = d->Start();
  else if (verb == "abort")
    s = d->Abort();
  else if (verb == "finalize")
    s = d->Finalize();
  if (!s.ok()) return Fail(g, s, verb);
  return Show(g, *d, "reading the download");
}

}  // namespace

void RegisterDownloadCommands(CLI::App& app, Globals& g, int* exit_code) {
  auto* dl = app.add_subcommand("download",
                                "DO's single-download API: start, list, status, "
                                "pause, resume, abort, finalize");
  dl->require_subcommand(1);
  auto run = [exit_code](auto fn) { return [exit_code, fn] { *exit_code = fn(); }; };

  auto a = std::make_shared<StartArgs>();
  auto* start = dl->add_subcommand("start",
                                   "start a download of URL to PATH (Finalize makes "
                                   "the file appear)");
  start->add_option("url", a->url, "http, https or file URL")->required();
  start->add_option("-o,--output", a->output, "the file to create (at Finalize)")->required();
  start->add_option("--sha256", a->sha256, "expected SHA-256 of the content (hex)");
  start->add_option("--content-id", a->content_id,
                    "the content's id (`ferry hash`): ContentId, verified before delivery");
  start->add_flag("--foreground", a->foreground,
                  "foreground priority; wait, then finalize (exit 0 only when the file is there)");
  start->add_flag("--blocking", a->blocking, "BlockingMode: return once transferred or failed");
  start->callback(run([&g, a] { return CmdStart(g, *a); }));

  auto* list = dl->add_subcommand("list", "list your downloads");
  list->callback(run([&g] { return CmdList(g); }));

  auto id = std::make_shared<std::string>();
  for (const char* verb : {"status", "pause", "resume", "abort", "finalize"}) {
    auto* c = dl->add_subcommand(verb, std::string(verb) + " a download");
    c->add_option("id", *id, "the download's id (GUID or unique prefix)")->required();
    std::string v = verb;
    c->callback(run([&g, id, v] { return CmdOne(g, v, *id); }));
  }
}

}  // namespace ferry::cli
