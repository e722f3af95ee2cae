#include "support/dbusmock_fixture.h"

#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <sstream>
#include <thread>

#include "support/temp_dir.h"

namespace ferry::test {

namespace {
constexpr auto kStartLimit = std::chrono::seconds(20);
constexpr auto kBusctlLimit = std::chrono::milliseconds(10000);
}  // namespace

DbusMockService::DbusMockService(std::string template_name, std::string bus_name)
    : template_name_(std::move(template_name)), bus_name_(std::move(bus_name)) {}

DbusMockService::~DbusMockService() { Stop(); }

bool DbusMockService::Available() {
  if (::access(kPython, X_OK) != 0 || ::access("/usr/bin/busctl", X_OK) != 0) return false;
  RunOptions o;
  o.timeout = std::chrono::seconds(30);
  return RunCommand({kPython, "-c", "import dbusmock"}, o).exit_code == 0;
}

Status DbusMockService::Start(const std::string& bus_address) {
  if (child_.running()) return Status(code::kInvalidArg, "the mock is running");
  address_ = bus_address;
  dir_ = std::make_unique<TempDir>("ferry-dbusmock");
  if (!dir_->ok()) return Status(code::kUnexpected, "no temp dir for the mock");
  std::string log = dir_->Path("mock.log");
  SpawnOptions so;
  so.env["DBUS_SYSTEM_BUS_ADDRESS"] = bus_address;
  so.env["DBUS_SESSION_BUS_ADDRESS"] = bus_address;
  so.output_path = log;
  Status s = child_.Spawn({kPython, "-m", "dbusmock", "--template", template_name_}, so);
  if (!s.ok()) return s;
  auto deadline = std::chrono::steady_clock::now() + kStartLimit;
  while (std::chrono::steady_clock::now() < deadline) {
    if (child_.Exited()) return Status(code::kUnexpected, "dbusmock exited: " + Log());
    if (NameHasOwner()) return Status::OK();
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  Stop();
  return Status(code::kUnexpected, bus_name_ + " did not appear within 20 s: " + Log());
}

void DbusMockService::Stop() {
  if (child_.running()) child_.Terminate(std::chrono::seconds(5));
}

std::string DbusMockService::Log() const {
  if (!dir_) return "";
  std::ifstream in(dir_->Path("mock.log"));
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

bool DbusMockService::NameHasOwner() {
  RunOptions o;
  o.timeout = kBusctlLimit;
  CommandResult r =
      RunCommand({"/usr/bin/busctl", "--address=" + address_, "call", "org.freedesktop.DBus",
                  "/org/freedesktop/DBus", "org.freedesktop.DBus", "NameHasOwner", "s", bus_name_},
                 o);
  return r.exit_code == 0 && r.out.find("true") != std::string::npos;
}

Status DbusMockService::Busctl(std::vector<std::string> args) {
  args.insert(args.begin(), {"/usr/bin/busctl", "--address=" + address_});
  RunOptions o;
  o.timeout = kBusctlLimit;
  CommandResult r = RunCommand(args, o);
  if (r.exit_code != 0) return Status(code::kUnexpected, "busctl: " + r.Describe());
  return Status::OK();
}

Status DbusMockService::SetProperty(const std::string& path, const std::string& interface,
                                    const std::string& property, const std::string& signature,
                                    const std::vector<std::string>& values) {
  std::vector<std::string> args = {"set-property", bus_name_, path, interface, property, signature};
  args.insert(args.end(), values.begin(), values.end());
  return Busctl(std::move(args));
}

Status DbusMockService::AddProperty(const std::string& path, const std::string& interface,
                                    const std::string& property, const std::string& signature,
                                    const std::vector<std::string>& values) {
  std::vector<std::string> args = {"call",        bus_name_, path,      "org.freedesktop.DBus.Mock",
                                   "AddProperty", "ssv",     interface, property,
                                   signature};
  args.insert(args.end(), values.begin(), values.end());
  return Busctl(std::move(args));
}

}  // namespace ferry::test
