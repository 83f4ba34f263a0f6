// CharmBase: the charm's events, its view of the Model, and typed config.
#include <map>

#include "ops/charm.hpp"

namespace ops {

namespace detail {
// The charm of each framework, for CollectStatusEvent::add_status (the
// statuses are kept on the charm, as Python ops keeps them on the model).
std::map<const Framework*, CharmBase*>& charms_by_framework() {
  static std::map<const Framework*, CharmBase*> instance;
  return instance;
}
}  // namespace detail

CharmBase::CharmBase(Framework& framework, std::string_view name)
    : Object(framework, name), model_(framework.model()), on(*this, model_.meta()) {
  detail::charms_by_framework()[&framework] = this;
}

CharmBase::~CharmBase() {
  auto& charms = detail::charms_by_framework();
  auto it = charms.find(&framework());
  if (it != charms.end() && it->second == this) charms.erase(it);
}

Unit& CharmBase::unit() const { return model_.unit(); }
Application& CharmBase::app() const { return model_.app(); }
const CharmMeta& CharmBase::meta() const { return model_.meta(); }
Config& CharmBase::config() const { return model_.config(); }

void CharmBase::invalid_config(const std::string& message, OnInvalid on_invalid) const {
  if (on_invalid == OnInvalid::kBlocked) {
    unit().set_status(BlockedStatus("Invalid config: " + message));
    throw AbortDispatch(0);
  }
  throw ModelError("invalid config: " + message);
}

}  // namespace ops
