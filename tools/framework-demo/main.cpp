// ops-framework-demo STATE_DB LABEL
//
// One "dispatch" of a tiny charm over the SQLite state file STATE_DB, the way
// Juju runs a charm once per event. Run it several times on the same file:
//   run 1: config_changed arrives before the workload is up, so its handler
//          defers it; the start handler brings the workload up.
//   run 2: the deferred config_changed is re-emitted first and now succeeds.
//   run 3: nothing is left to re-emit.
// A StoredState counter printed on every run shows that state survives.
// LABEL (e.g. run1) only prefixes the output lines.
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <iostream>
#include <string>

#include "ops/errors.hpp"
#include "ops/framework.hpp"
#include "ops/storage.hpp"

namespace {

std::string g_label;

void say(const std::string& line) { std::cout << "[" << g_label << "] " << line << std::endl; }

// config-changed with the port to configure: the data survives in the snapshot.
class ConfigChangedEvent : public ops::EventBase {
 public:
  explicit ConfigChangedEvent(ops::Handle handle) : EventBase(std::move(handle)) {}
  ConfigChangedEvent(ops::Handle handle, int port) : EventBase(std::move(handle)), port_(port) {}
  nlohmann::json snapshot() const override { return {{"port", port_}}; }
  void restore(const nlohmann::json& snapshot) override { port_ = snapshot.at("port"); }
  int port() const { return port_; }

 private:
  int port_ = 0;
};

struct StartEvent : ops::EventBase {
  using EventBase::EventBase;
};

struct DemoEvents : ops::ObjectEvents {
  using ObjectEvents::ObjectEvents;
  ops::EventSource<ConfigChangedEvent> config_changed{*this, "config_changed"};
  ops::EventSource<StartEvent> start{*this, "start"};
  ops::EventSource<StartEvent> update_status{*this, "update_status"};
};

class DemoCharm : public ops::Object {
 public:
  explicit DemoCharm(ops::Framework& framework) : Object(framework, "DemoCharm") {
    framework.observe<&DemoCharm::on_config_changed>(on.config_changed, *this);
    framework.observe<&DemoCharm::on_start>(on.start, *this);
    framework.observe<&DemoCharm::on_update_status>(on.update_status, *this);
    stored_.set_default({{"runs", 0}, {"workload_started_in_run", 0}, {"port", nullptr}});
    run_ = stored_.get<int>("runs") + 1;
    stored_.set("runs", run_);
  }

  int run() const { return run_; }

  void on_config_changed(ConfigChangedEvent& event) {
    const int started = stored_.get<int>("workload_started_in_run");
    if (started == 0 || started == run_) {
      say("on_config_changed(" + event.handle().path() + ", port=" + std::to_string(event.port()) +
          "): the workload is not up yet -> event.defer(), it will be re-emitted next run");
      event.defer();
      return;
    }
    stored_.set("port", event.port());
    say("on_config_changed(" + event.handle().path() + ", port=" + std::to_string(event.port()) +
        "): workload is up, port configured");
  }

  void on_start(StartEvent& event) {
    stored_.set("workload_started_in_run", run_);
    say("on_start(" + event.handle().path() +
        "): workload starting; it will be up by the next run");
  }

  void on_update_status(StartEvent& event) {
    const auto& port = stored_.get("port");
    say("on_update_status(" + event.handle().path() + "): " +
        (port.is_null() ? std::string("waiting for config") : "serving on port " + port.dump()));
  }

  DemoEvents on{*this};

 private:
  ops::StoredState stored_{*this};
  int run_ = 0;
};

std::string describe(const std::vector<ops::Notice>& notices) {
  if (notices.empty()) return "none";
  std::string out;
  for (const auto& n : notices) {
    if (!out.empty()) out += ", ";
    out += n.event_path + " -> " + n.observer_path + "." + n.method_name;
  }
  return out;
}

int run(const std::filesystem::path& state_file) {
  ops::Framework framework(ops::open_sqlite_storage(state_file));
  DemoCharm charm(framework);
  say("state file " + state_file.string() + ", dispatch #" + std::to_string(charm.run()) +
      " on it (StoredState counter runs=" + std::to_string(charm.run()) + ")");
  say("deferred notices waiting: " + describe(framework.storage().notices()));

  say("re-emitting deferred events first");
  framework.reemit();

  if (charm.run() == 1) {
    say("emitting config_changed(port=6379)");
    charm.on.config_changed.emit(6379);
    say("emitting start");
    charm.on.start.emit();
  } else {
    say("emitting update_status");
    charm.on.update_status.emit();
  }

  framework.commit();
  say("committed: deferred notices kept: " + describe(framework.storage().notices()) +
      "; event counter " + std::to_string(framework.event_count()));
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const bool help = argc == 2 && (std::string(argv[1]) == "--help" || std::string(argv[1]) == "-h");
  if (argc != 3 || help) {
    std::cerr << "usage: ops-framework-demo STATE_DB LABEL\n"
                 "  Runs one dispatch of a demo charm on the SQLite state file STATE_DB\n"
                 "  (created when missing). Run it several times on the same file:\n"
                 "  ops-framework-demo /tmp/demo.db run1; ... run2; ... run3\n";
    return help ? 0 : 2;
  }
  g_label = argv[2];
  try {
    return run(argv[1]);
  } catch (const ops::Error& e) {
    std::cerr << "ops-framework-demo: " << e.what() << "\n";
    return 1;
  }
}
