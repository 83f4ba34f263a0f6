// The dispatch benchmark's charm: on config-changed it reads one config
// value, bumps a StoredState counter and sets ActiveStatus. Nothing else runs
// a hook tool, so a dispatch costs exactly config-get + status-set.
#include "ops/ops.hpp"

class BenchCharm : public ops::CharmBase {
 public:
  explicit BenchCharm(ops::Framework& framework) : CharmBase(framework, "BenchCharm") {
    framework.observe<&BenchCharm::on_config_changed>(on.config_changed, *this);
  }

  void on_config_changed(ops::ConfigChangedEvent& /*event*/) {
    const int count = stored_.contains("count") ? stored_.get<int>("count") + 1 : 1;
    stored_.set("count", count);
    unit().set_status(
        ops::ActiveStatus(config().get<std::string>("name") + " #" + std::to_string(count)));
  }

 private:
  ops::StoredState stored_{*this};
};

OPS_MAIN(BenchCharm)
