// Reading the service's a{sv} dictionaries: a job's (GetInfo, and each entry
// of ListJobs; keys in docs/dbus-api.md "Job dictionary"), the service's
// (GetStatus) and a file's (GetFileStats). Every getter of the SDK decodes
// them here, so each key is read, typed and converted in one place.
//
// The dictionaries are read straight from the reply message: sdbus-c++'s own
// std::map<std::string, sdbus::Variant> costs a D-Bus message per value (a
// Variant is one), which for ListJobs's 10,000 jobs of 30 keys took over a
// second and 300 MB.
#pragma once

#include <sdbus-c++/sdbus-c++.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include "ferry/ferry.h"

namespace ferry::sdk {

// One value of a dictionary: its D-Bus signature, and the value itself for
// the basic types the SDK reads (b, i, u, t, s); anything else (a{su} …)
// stays a sdbus::Variant.
struct InfoValue {
  std::string signature;
  std::variant<bool, int32_t, uint32_t, uint64_t, std::string, sdbus::Variant> value;

  // The value as T; the signature must be T's.
  template <typename T>
  T As() const {
    if constexpr (std::is_same_v<T, bool> || std::is_same_v<T, int32_t> ||
                  std::is_same_v<T, uint32_t> || std::is_same_v<T, uint64_t> ||
                  std::is_same_v<T, std::string>)
      return std::get<T>(value);
    else
      return std::get<sdbus::Variant>(value).get<T>();
  }
};

// One a{sv} in the order of the message (a few dozen keys: searched linearly).
using Info = std::vector<std::pair<std::string, InfoValue>>;

// Reads the reply's a{sv} (its first argument). E_UNEXPECTED, naming
// `method`, when the reply is not one.
Status ReadInfo(sdbus::Message& reply, const char* method, Info* info);
// Reads the reply's aa{sv}, calling `each` for every dictionary (the Info is
// reused between calls); stops at the first failure and returns it.
Status ReadInfoList(sdbus::Message& reply, const char* method,
                    const std::function<Status(const Info&)>& each);

// Typed reads out of one dictionary. A value of the wrong D-Bus type is an
// error (E_UNEXPECTED naming the key and both types); a missing key is one
// too (E_NOTIMPL, "the service does not report …") with Missing::kError,
// else the output keeps what it held. The first failure is kept and later
// reads do nothing; outputs are written only by reads that succeed.
class InfoReader {
 public:
  enum class Missing { kKeepDefault, kError };
  InfoReader(const Info& info, Missing missing) : info_(info), missing_(missing) {}

  bool Has(const char* key) const { return Lookup(key) != nullptr; }

  template <typename T>
  InfoReader& Read(const char* key, T* out) {
    if (const InfoValue* v = Find(key, sdbus::signature_of<T>::str())) *out = v->As<T>();
    return *this;
  }
  // A u value as an enum class.
  template <typename E>
  InfoReader& Enum(const char* key, E* out) {
    uint32_t v = static_cast<uint32_t>(*out);
    Read(key, &v);
    if (status_.ok()) *out = static_cast<E>(v);
    return *this;
  }
  // A t value of nanoseconds since the Unix epoch.
  InfoReader& Time(const char* key, std::chrono::system_clock::time_point* out);

  const Status& status() const { return status_; }

 private:
  const InfoValue* Lookup(const char* key) const;
  // The key's value when it is there with the right type; nullptr else
  // (recording the failure, if it is one).
  const InfoValue* Find(const char* key, const std::string& signature);

  const Info& info_;
  Missing missing_;
  Status status_;
};

// Groups of keys of the job dictionary (one place per field).
void ReadJobProgress(InfoReader& r, JobProgress* progress);
void ReadJobTimes(InfoReader& r, JobTimes* times);
// "owner" and "owner_name"; without owner_name, the uid's user name here
// (or the uid as text).
void ReadJobOwner(InfoReader& r, uint32_t* uid, std::string* name);
// "download_mode" (i, -1: none) as the job's own mode.
void ReadJobDownloadMode(InfoReader& r, std::optional<DownloadMode>* mode);

// A whole job dictionary; missing keys keep JobSummary's defaults (a missing
// id stays nil: callers that need it check). E_UNEXPECTED for a value of the
// wrong type or an id that is not a GUID.
Status DecodeJobSummary(const Info& info, JobSummary* summary);

// The a{sv} of GetFileStats and Download.GetStats; missing keys keep
// FileStats' defaults. E_UNEXPECTED for a value of the wrong type.
Status DecodeFileStats(const Info& info, FileStats* stats);

// Error::GetErrorDescription's text: the service's message, or the code's
// standard sentence when it gave none.
std::string ErrorDescription(int32_t code, const std::string& message);

}  // namespace ferry::sdk
