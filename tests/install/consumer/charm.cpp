// A charm built against an installed ops-cpp: on install it bumps a counter
// in StoredState and sets ActiveStatus("consumer: installs N").
#include <string>

#include <ops/ops.hpp>

class ConsumerCharm : public ops::CharmBase {
 public:
  explicit ConsumerCharm(ops::Framework& framework) : CharmBase(framework, "ConsumerCharm") {
    stored_.set_default("installs", 0);
    framework.observe<&ConsumerCharm::on_install>(on.install, *this);
  }

  void on_install(ops::InstallEvent& /*event*/) {
    const int installs = stored_.get<int>("installs") + 1;
    stored_.set("installs", installs);
    unit().set_status(ops::ActiveStatus("consumer: installs " + std::to_string(installs)));
  }

 private:
  ops::StoredState stored_{*this};
};

OPS_MAIN(ConsumerCharm)
