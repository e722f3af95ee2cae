#include "conditions/bus_conditions.h"

#include <sdbus-c++/sdbus-c++.h>

#include <chrono>
#include <map>
#include <vector>

#include "util/log.h"

namespace ferry::conditions {

namespace {

constexpr char kPropertiesIface[] = "org.freedesktop.DBus.Properties";
constexpr char kNmName[] = "org.freedesktop.NetworkManager";
constexpr char kNmPath[] = "/org/freedesktop/NetworkManager";
constexpr char kUPowerName[] = "org.freedesktop.UPower";
constexpr char kUPowerPath[] = "/org/freedesktop/UPower";
constexpr char kDisplayPath[] = "/org/freedesktop/UPower/devices/DisplayDevice";
constexpr char kDeviceIface[] = "org.freedesktop.UPower.Device";
constexpr auto kCallTimeout = std::chrono::seconds(1);

using VariantMap = std::map<std::string, sdbus::Variant>;

PropertyMap ToPropertyMap(const VariantMap& in) {
  PropertyMap out;
  for (const auto& [name, v] : in) {
    try {
      std::string type = v.peekValueType();
      if (type == "b")
        out[name] = v.get<bool>();
      else if (type == "u")
        out[name] = v.get<uint32_t>();
      else if (type == "d")
        out[name] = v.get<double>();
      else if (type == "s")
        out[name] = v.get<std::string>();
    } catch (const sdbus::Error&) {
      // A value of another shape: not one ferry reads.
    }
  }
  return out;
}

}  // namespace

BusConditions::BusConditions(sys::Executor& loop, std::string address)
    : loop_(loop), address_(std::move(address)) {}

BusConditions::~BusConditions() {
  if (conn_ && loop_running_) conn_->leaveEventLoop();  // joins the bus thread
  display_proxy_.reset();
  upower_proxy_.reset();
  nm_proxy_.reset();
  bus_proxy_.reset();
  conn_.reset();
}

void BusConditions::Start() {
  Connect();
  if (!conn_) return;
  try {
    Subscribe();
  } catch (const sdbus::Error& e) {
    log::Warn("conditions: cannot follow the bus ({}); keeping the first reading", e.getMessage());
  }
  ReadNetwork(true);
  ReadPower(true);
  current_ = ToMachineState(network_, power_);
  try {
    conn_->enterEventLoopAsync();
    loop_running_ = true;
  } catch (const sdbus::Error& e) {
    log::Warn("conditions: cannot run the bus loop: {}", e.getMessage());
  }
}

void BusConditions::Connect() {
  try {
    conn_ = address_.empty() ? sdbus::createSystemBusConnection()
                             : sdbus::createSessionBusConnectionWithAddress(address_);
  } catch (const sdbus::Error& e) {
    log::Info("conditions: no {} ({}); assuming an unmetered, connected machine on mains power",
              address_.empty() ? std::string("system bus") : "bus at " + address_, e.getMessage());
  }
}

void BusConditions::Subscribe() {
  bus_proxy_ = sdbus::createProxy(*conn_, "org.freedesktop.DBus", "/org/freedesktop/DBus");
  bus_proxy_->uponSignal("NameOwnerChanged")
      .onInterface("org.freedesktop.DBus")
      .call([this](const std::string& name, const std::string&, const std::string& new_owner) {
        OnNameOwnerChanged(name, new_owner);
      });
  bus_proxy_->finishRegistration();

  nm_proxy_ = sdbus::createProxy(*conn_, kNmName, kNmPath);
  nm_proxy_->uponSignal("PropertiesChanged")
      .onInterface(kPropertiesIface)
      .call([this](const std::string& iface, const VariantMap& changed,
                   const std::vector<std::string>& invalidated) {
        if (iface != kNmName) return;
        {
          std::lock_guard lock(mu_);
          network_.present = true;
          ApplyNetworkProperties(ToPropertyMap(changed), &network_);
        }
        if (!invalidated.empty()) ReadNetwork(false);
        Publish();
      });
  nm_proxy_->finishRegistration();

  upower_proxy_ = sdbus::createProxy(*conn_, kUPowerName, kUPowerPath);
  upower_proxy_->uponSignal("PropertiesChanged")
      .onInterface(kPropertiesIface)
      .call([this](const std::string& iface, const VariantMap& changed,
                   const std::vector<std::string>&) {
        if (iface != kUPowerName) return;
        {
          std::lock_guard lock(mu_);
          power_.present = true;
          ApplyUPowerProperties(ToPropertyMap(changed), &power_);
        }
        Publish();
      });
  upower_proxy_->finishRegistration();

  display_proxy_ = sdbus::createProxy(*conn_, kUPowerName, kDisplayPath);
  display_proxy_->uponSignal("PropertiesChanged")
      .onInterface(kPropertiesIface)
      .call([this](const std::string& iface, const VariantMap& changed,
                   const std::vector<std::string>&) {
        if (iface != kDeviceIface) return;
        {
          std::lock_guard lock(mu_);
          ApplyDisplayDeviceProperties(ToPropertyMap(changed), &power_);
        }
        Publish();
      });
  display_proxy_->finishRegistration();
}

void BusConditions::ReadNetwork(bool sync) {
  if (!nm_proxy_) return;
  auto apply = [this](const VariantMap& props) {
    std::lock_guard lock(mu_);
    network_ = NetworkReading{};
    network_.present = true;
    ApplyNetworkProperties(ToPropertyMap(props), &network_);
    nm_absent_logged_ = false;
  };
  if (!sync) {
    nm_proxy_->callMethodAsync("GetAll")
        .onInterface(kPropertiesIface)
        .withTimeout(kCallTimeout)
        .withArguments(std::string(kNmName))
        .uponReplyInvoke([this, apply](const sdbus::Error* e, const VariantMap& props) {
          if (e) return NoteAbsent("NetworkManager", &nm_absent_logged_);
          apply(props);
          Publish();
        });
    return;
  }
  try {
    VariantMap props;
    nm_proxy_->callMethod("GetAll")
        .onInterface(kPropertiesIface)
        .withTimeout(kCallTimeout)
        .withArguments(std::string(kNmName))
        .storeResultsTo(props);
    apply(props);
  } catch (const sdbus::Error&) {
    NoteAbsent("NetworkManager", &nm_absent_logged_);
  }
}

void BusConditions::ReadPower(bool sync) {
  if (!upower_proxy_ || !display_proxy_) return;
  auto apply_main = [this](const VariantMap& props) {
    std::lock_guard lock(mu_);
    power_.present = true;
    ApplyUPowerProperties(ToPropertyMap(props), &power_);
    upower_absent_logged_ = false;
  };
  auto apply_display = [this](const VariantMap& props) {
    std::lock_guard lock(mu_);
    ApplyDisplayDeviceProperties(ToPropertyMap(props), &power_);
  };
  if (!sync) {
    upower_proxy_->callMethodAsync("GetAll")
        .onInterface(kPropertiesIface)
        .withTimeout(kCallTimeout)
        .withArguments(std::string(kUPowerName))
        .uponReplyInvoke([this, apply_main](const sdbus::Error* e, const VariantMap& props) {
          if (e) return NoteAbsent("UPower", &upower_absent_logged_);
          apply_main(props);
          Publish();
        });
    display_proxy_->callMethodAsync("GetAll")
        .onInterface(kPropertiesIface)
        .withTimeout(kCallTimeout)
        .withArguments(std::string(kDeviceIface))
        .uponReplyInvoke([this, apply_display](const sdbus::Error* e, const VariantMap& props) {
          if (e) return;
          apply_display(props);
          Publish();
        });
    return;
  }
  try {
    VariantMap props;
    upower_proxy_->callMethod("GetAll")
        .onInterface(kPropertiesIface)
        .withTimeout(kCallTimeout)
        .withArguments(std::string(kUPowerName))
        .storeResultsTo(props);
    apply_main(props);
  } catch (const sdbus::Error&) {
    NoteAbsent("UPower", &upower_absent_logged_);
    return;
  }
  try {
    VariantMap props;
    display_proxy_->callMethod("GetAll")
        .onInterface(kPropertiesIface)
        .withTimeout(kCallTimeout)
        .withArguments(std::string(kDeviceIface))
        .storeResultsTo(props);
    apply_display(props);
  } catch (const sdbus::Error&) {
    // No display device: the charge stays unknown.
  }
}

void BusConditions::NoteAbsent(const char* service, bool* logged) {
  bool first;
  {
    std::lock_guard lock(mu_);
    first = !*logged;
    *logged = true;
  }
  if (first)
    log::Info("conditions: {} is not on the bus; assuming {}", service,
              std::string(service) == "UPower" ? "mains power" : "an unmetered, connected network");
}

void BusConditions::OnNameOwnerChanged(const std::string& name, const std::string& new_owner) {
  bool nm = name == kNmName, upower = name == kUPowerName;
  if (!nm && !upower) return;
  if (new_owner.empty()) {
    {
      std::lock_guard lock(mu_);
      if (nm) network_ = NetworkReading{};
      if (upower) power_ = PowerReading{};
    }
    log::Info("conditions: {} left the bus", nm ? "NetworkManager" : "UPower");
    Publish();
    return;
  }
  log::Info("conditions: {} is on the bus", nm ? "NetworkManager" : "UPower");
  if (nm) ReadNetwork(false);
  if (upower) ReadPower(false);
}

void BusConditions::Publish() {
  sys::PostIfAlive(loop_, lifetime_, [this] { Update(); });
}

void BusConditions::Update() {
  core::MachineState next;
  {
    std::lock_guard lock(mu_);
    next = ToMachineState(network_, power_);
  }
  if (next == current_) return;
  current_ = next;
  if (changed_) changed_();
}

}  // namespace ferry::conditions
