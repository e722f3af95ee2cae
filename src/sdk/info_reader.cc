#include "sdk/info_reader.h"

#include <fmt/format.h>
#include <pwd.h>
#include <unistd.h>

#include <string_view>
#include <vector>

#include "util/status_codes.h"

namespace ferry::sdk {

namespace {

// Reads the a{sv} at the message's position into *info, reusing its
// entries' storage. False at the end of the enclosing array.
bool ReadDict(sdbus::Message& m, Info* info) {
  if (!m.enterContainer("{sv}")) {
    m.clearFlags();
    return false;
  }
  size_t n = 0;
  std::string type;
  while (m.enterDictEntry("sv")) {
    if (n == info->size()) info->emplace_back();
    auto& [key, v] = (*info)[n++];
    m >> key;
    m.peekType(type, v.signature);  // "v" and the value's signature
    if (v.signature.size() != 1 ||
        std::string_view("biuts").find(v.signature[0]) == std::string_view::npos) {
      sdbus::Variant any;
      m >> any;
      v.value = std::move(any);
    } else {
      m.enterVariant(v.signature);
      switch (v.signature[0]) {
        case 'b':
          m >> v.value.emplace<bool>();
          break;
        case 'i':
          m >> v.value.emplace<int32_t>();
          break;
        case 'u':
          m >> v.value.emplace<uint32_t>();
          break;
        case 't':
          m >> v.value.emplace<uint64_t>();
          break;
        default: {
          auto* text = std::get_if<std::string>(&v.value);
          m >> (text ? *text : v.value.emplace<std::string>());
        }
      }
      m.exitVariant();
    }
    m.exitDictEntry();
  }
  m.clearFlags();
  m.exitContainer();
  info->resize(n);
  return true;
}

Status Malformed(const char* method, const char* want, const sdbus::Error& e) {
  return Status(code::kUnexpected, fmt::format("the service's answer to {} is not {}: {}", method,
                                               want, e.getMessage()));
}

}  // namespace

Status ReadInfo(sdbus::Message& reply, const char* method, Info* info) {
  try {
    if (!ReadDict(reply, info))
      return Status(code::kUnexpected, fmt::format("the service's answer to {} is empty", method));
    return Status::OK();
  } catch (const sdbus::Error& e) {
    return Malformed(method, "a{sv}", e);
  }
}

Status ReadInfoList(sdbus::Message& reply, const char* method,
                    const std::function<Status(const Info&)>& each) {
  Info info;
  try {
    if (!reply.enterContainer("a{sv}"))
      return Status(code::kUnexpected, fmt::format("the service's answer to {} is empty", method));
    while (ReadDict(reply, &info))
      if (Status s = each(info); !s.ok()) return s;
    reply.exitContainer();
    return Status::OK();
  } catch (const sdbus::Error& e) {
    return Malformed(method, "aa{sv}", e);
  }
}

const InfoValue* InfoReader::Lookup(const char* key) const {
  for (const auto& [k, v] : info_)
    if (k == key) return &v;
  return nullptr;
}

const InfoValue* InfoReader::Find(const char* key, const std::string& signature) {
  if (!status_.ok()) return nullptr;
  const InfoValue* v = Lookup(key);
  if (!v) {
    if (missing_ == Missing::kError)
      status_ = Status(code::kNotImpl, fmt::format("the service does not report {}", key));
    return nullptr;
  }
  if (v->signature != signature) {
    status_ =
        Status(code::kUnexpected, fmt::format("the service sent {} as D-Bus type '{}', not '{}'",
                                              key, v->signature, signature));
    return nullptr;
  }
  return v;
}

InfoReader& InfoReader::Time(const char* key, std::chrono::system_clock::time_point* out) {
  if (const InfoValue* v = Find(key, sdbus::signature_of<uint64_t>::str())) {
    *out = std::chrono::system_clock::time_point(
        std::chrono::duration_cast<std::chrono::system_clock::duration>(
            std::chrono::nanoseconds(v->As<uint64_t>())));
  }
  return *this;
}

void ReadJobProgress(InfoReader& r, JobProgress* p) {
  r.Read("bytes_total", &p->bytes_total)
      .Read("bytes_transferred", &p->bytes_transferred)
      .Read("files_total", &p->files_total)
      .Read("files_transferred", &p->files_transferred);
}

void ReadJobTimes(InfoReader& r, JobTimes* t) {
  r.Time("creation_ns", &t->creation)
      .Time("modification_ns", &t->modification)
      .Time("transfer_completion_ns", &t->transfer_completion);
}

namespace {

std::string UserName(uint32_t uid) {
  std::vector<char> buf(16384);
  struct passwd pw;
  struct passwd* found = nullptr;
  if (::getpwuid_r(uid, &pw, buf.data(), buf.size(), &found) == 0 && found) return found->pw_name;
  return std::to_string(uid);
}

}  // namespace

void ReadJobOwner(InfoReader& r, uint32_t* uid, std::string* name) {
  uint32_t u = *uid;
  r.Read("owner", &u);
  if (!r.status().ok()) return;
  if (r.Has("owner_name")) {
    r.Read("owner_name", name);
  } else if (r.Has("owner")) {
    *name = UserName(u);
  }
  *uid = u;
}

Status DecodeFileStats(const Info& info, FileStats* stats) {
  *stats = FileStats{};
  uint64_t duration_ns = 0;
  InfoReader r(info, InfoReader::Missing::kKeepDefault);
  r.Read("file_size", &stats->file_size)
      .Read("total_bytes_downloaded", &stats->total_bytes_downloaded)
      .Read("bytes_from_http", &stats->bytes_from_http)
      .Read("bytes_from_lan_peers", &stats->bytes_from_lan_peers)
      .Read("bytes_from_group_peers", &stats->bytes_from_group_peers)
      .Read("bytes_from_internet_peers", &stats->bytes_from_internet_peers)
      .Read("bytes_from_cache_server", &stats->bytes_from_cache_server)
      .Read("bytes_to_peers", &stats->bytes_to_peers)
      .Read("bytes_to_lan_peers", &stats->bytes_to_lan_peers)
      .Read("bytes_to_group_peers", &stats->bytes_to_group_peers)
      .Read("bytes_to_internet_peers", &stats->bytes_to_internet_peers)
      .Read("http_connections", &stats->http_connections)
      .Read("lan_connections", &stats->lan_connections)
      .Read("group_connections", &stats->group_connections)
      .Read("internet_connections", &stats->internet_connections)
      .Read("cache_server_connections", &stats->cache_server_connections)
      .Read("duration_ns", &duration_ns)
      .Enum("download_mode", &stats->download_mode)
      .Enum("status_code", &stats->status)
      .Read("background", &stats->background);
  if (!r.status().ok()) return r.status();
  stats->duration = std::chrono::nanoseconds(duration_ns);
  return Status::OK();
}

void ReadJobDownloadMode(InfoReader& r, std::optional<DownloadMode>* mode) {
  int32_t v = mode->has_value() ? static_cast<int32_t>(**mode) : -1;
  r.Read("download_mode", &v);
  if (!r.status().ok()) return;
  if (v >= 0)
    *mode = static_cast<DownloadMode>(v);
  else
    mode->reset();
}

Status DecodeJobSummary(const Info& info, JobSummary* summary) {
  InfoReader r(info, InfoReader::Missing::kKeepDefault);
  JobSummary s;
  std::string id;
  r.Read("id", &id)
      .Enum("type", &s.type)
      .Read("display_name", &s.display_name)
      .Read("description", &s.description)
      .Enum("state_code", &s.state)
      .Enum("priority_code", &s.priority);
  ReadJobOwner(r, &s.owner_uid, &s.owner_name);
  ReadJobProgress(r, &s.progress);
  ReadJobTimes(r, &s.times);
  r.Read("error_count", &s.error_count).Read("notify_flags", &s.notify_flags);
  r.Read("maximum_rate", &s.max_rate);
  ReadJobDownloadMode(r, &s.download_mode);
  r.Enum("effective_download_mode", &s.effective_download_mode);
  // The error keys are there only while the job has an error.
  bool in_error = s.state == JobState::kError || s.state == JobState::kTransientError;
  if (in_error && r.Has("error_code")) {
    std::string message;
    r.Read("error_code", &s.error_code)
        .Enum("error_context", &s.error_context)
        .Read("error_message", &message)
        .Read("error_protocol", &s.error_protocol)
        .Read("error_file", &s.error_file);
    s.has_error = true;
    s.error_message = ErrorDescription(s.error_code, message);
  }
  if (!r.status().ok()) return r.status();
  if (!id.empty() && !Guid::Parse(id, &s.id))
    return Status(code::kUnexpected,
                  fmt::format("the service sent a job id that is not a GUID: '{}'", id));
  *summary = std::move(s);
  return Status::OK();
}

std::string ErrorDescription(int32_t c, const std::string& message) {
  return message.empty() ? StatusCodeMessage(c) : message;
}

}  // namespace ferry::sdk
