// `ferry set JOB PROPERTY [VALUE...]`. The properties are one table: the
// verb's --help, the usage message for an unknown property and the parsing
// all read it, and the man_pages test compares the list in --help with
// ferry(1) and the completions. Values are parsed before the service is
// asked anything: bad input exits 2 and changes nothing.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <functional>

#include "cli/commands.h"
#include "cli/verbs.h"

namespace ferry::cli {

namespace {

using Values = std::vector<std::string>;
// The call a parsed value makes on the job.
using Setter = std::function<Status(Job&)>;

struct Property {
  const char* name;
  const char* takes;  // for "ferry: set NAME takes TAKES"
  // Fills *set from the values; false when they do not fit.
  bool (*parse)(const Values& v, Setter* set);
};

bool One(const Values& v) { return v.size() == 1; }

bool Priority(const Values& v, Setter* set) {
  static const std::pair<const char*, JobPriority> kNames[] = {
      {"foreground", JobPriority::kForeground},
      {"high", JobPriority::kHigh},
      {"normal", JobPriority::kNormal},
      {"low", JobPriority::kLow}};
  for (const auto& [name, p] : kNames) {
    if (One(v) && v[0] == name) {
      *set = [p = p](Job& j) { return j.SetPriority(p); };
      return true;
    }
  }
  return false;
}

// A uint32 property; `allow_hex` as ParseUint32.
template <Status (Job::*kSetter)(uint32_t), bool kHex>
bool Number(const Values& v, Setter* set) {
  uint32_t n = 0;
  if (!One(v) || !ParseUint32(v[0], kHex, &n)) return false;
  *set = [n](Job& j) { return (j.*kSetter)(n); };
  return true;
}

bool NotifyCmd(const Values& v, Setter* set) {
  if (v.empty()) return false;
  std::string params;
  for (size_t i = 1; i < v.size(); ++i) params += (i > 1 ? " " : "") + v[i];
  *set = [program = v[0], params](Job& j) { return j.SetNotifyCmdLine(program, params); };
  return true;
}

bool Proxy(const Values& v, Setter* set) {
  if (v.empty() || v.size() > 2) return false;
  if (v[0] == "preconfig" || v[0] == "none") {
    if (v.size() != 1) return false;
    ProxyUsage u = v[0] == "none" ? ProxyUsage::kNoProxy : ProxyUsage::kPreconfig;
    *set = [u](Job& j) { return j.SetProxySettings(u, "", ""); };
  } else {
    *set = [list = v[0], bypass = v.size() > 1 ? v[1] : ""](Job& j) {
      return j.SetProxySettings(ProxyUsage::kOverride, list, bypass);
    };
  }
  return true;
}

bool Headers(const Values& v, Setter* set) {
  std::string h;
  for (const auto& line : v) h += line + "\r\n";
  *set = [h](Job& j) { return j.SetCustomHeaders(h); };
  return true;
}

bool Description(const Values& v, Setter* set) {
  if (v.size() > 1) return false;
  *set = [d = v.empty() ? "" : v[0]](Job& j) { return j.SetDescription(d); };
  return true;
}

bool Name(const Values& v, Setter* set) {
  if (!One(v)) return false;
  *set = [n = v[0]](Job& j) { return j.SetDisplayName(n); };
  return true;
}

bool RateLimit(const Values& v, Setter* set) {
  uint64_t rate = 0;
  if (!One(v) || !ParseRate(v[0], &rate)) return false;
  *set = [rate](Job& j) { return j.SetMaximumRate(rate); };
  return true;
}

// BITS_JOB_TRANSFER_POLICY by name (policy.md §2).
bool CostPolicy(const Values& v, Setter* set) {
  static const std::pair<const char*, uint32_t> kNames[] = {{"always", cost::kAlways},
                                                            {"not-roaming", cost::kNotRoaming},
                                                            {"no-surcharge", cost::kNoSurcharge},
                                                            {"standard", cost::kStandard},
                                                            {"unrestricted", cost::kUnrestricted}};
  for (const auto& [name, policy] : kNames) {
    if (One(v) && v[0] == name) {
      *set = [p = policy](Job& j) { return j.SetCostPolicy(p); };
      return true;
    }
  }
  return false;
}

// A name or number, or "default" (ferryd's mode again); administrators only
// in system mode (the service answers E_ACCESSDENIED).
bool Mode(const Values& v, Setter* set) {
  std::optional<DownloadMode> mode;
  if (!One(v) || !ParseDownloadMode(v[0], &mode)) return false;
  *set = [mode](Job& j) { return mode ? j.SetDownloadMode(*mode) : j.ClearDownloadMode(); };
  return true;
}

const Property kProperties[] = {
    {"priority", "foreground|high|normal|low", Priority},
    {"notify-flags", "a number (e.g. 3 or 0x3)", Number<&Job::SetNotifyFlags, true>},
    {"notify-cmd", "PROGRAM [ARGUMENTS...]", NotifyCmd},
    {"retry-delay", "seconds", Number<&Job::SetMinimumRetryDelay, false>},
    {"no-progress-timeout", "seconds", Number<&Job::SetNoProgressTimeout, false>},
    {"proxy", "preconfig | none | PROXY_LIST [BYPASS_LIST]", Proxy},
    {"headers", "\"Name: value\" lines (none: no headers)", Headers},
    {"description", "a text (none: empty)", Description},
    {"name", "a name", Name},
    {"rate-limit", "a rate in bytes/s (e.g. 500k, 2M, 1.5G; 0 or unlimited: none)", RateLimit},
    {"cost-policy", "always|not-roaming|no-surcharge|standard|unrestricted", CostPolicy},
    {"download-mode", "http-only|lan|group|internet|simple|bypass (or 0|1|2|3|99|100), or default",
     Mode},
};

// "priority|notify-flags|…|rate-limit".
std::string PropertyNames(const char* separator) {
  std::string names;
  for (const Property& p : kProperties)
    names += (names.empty() ? "" : separator) + std::string(p.name);
  return names;
}

}  // namespace

int CmdSet(const Globals& g, const std::string& ref, const std::string& prop,
           const std::vector<std::string>& values) {
  const Property* property = nullptr;
  for (const Property& p : kProperties)
    if (prop == p.name) property = &p;
  if (!property) {
    std::fprintf(stderr, "ferry: unknown property '%s' (%s)\n", prop.c_str(),
                 PropertyNames(", ").c_str());
    return kUsage;
  }
  Setter set;
  if (!property->parse(values, &set)) {
    std::fprintf(stderr, "ferry: set %s takes %s\n", prop.c_str(), property->takes);
    return kUsage;
  }
  int exit = kOk;
  auto m = Connect(g, &exit);
  if (!m) return exit;
  auto job = OpenJob(g, *m, ref, &exit);
  if (!job) return exit;
  if (Status s = set(*job); !s.ok()) return Fail(g, s, "set " + prop);
  return PrintJob(g, *job);
}

void AddSetVerb(Verbs& v) {
  struct SetArgs {
    std::string job, property;
    std::vector<std::string> values;
  };
  auto a = std::make_shared<SetArgs>();
  auto* c = v.app.add_subcommand("set", "set a property: " + PropertyNames("|"));
  c->add_option("job", a->job, "GUID, unique prefix, or display name")->required();
  c->add_option("property", a->property, PropertyNames("|"))->required();
  c->add_option("values", a->values, "the value(s)");
  c->callback(v.Run([&g = v.globals, a] { return CmdSet(g, a->job, a->property, a->values); }));
}

}  // namespace ferry::cli
