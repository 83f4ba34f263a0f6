// Collect-status: gathering statuses at the end of a dispatch and setting the
// most severe one.
#include <map>

#include "ops/charm.hpp"

namespace ops {

namespace detail {
std::map<const Framework*, CharmBase*>& charms_by_framework();
}  // namespace detail

void CollectStatusEvent::add_status(const StatusBase& status) {
  if (!status.is_settable()) {
    throw InvalidStatusError(
        "add_status: status must be active, blocked, maintenance or waiting, "
        "not " +
        status.to_string());
  }
  auto& charms = detail::charms_by_framework();
  auto it = charms.find(&framework());
  if (it == charms.end()) {
    throw FrameworkError("add_status: no charm is attached to the framework delivering " +
                         handle().path());
  }
  CharmBase& charm = *it->second;
  if (handle().kind() == "collect_app_status") {
    charm.app_statuses_.push_back(status);
  } else {
    charm.unit_statuses_.push_back(status);
  }
}

void evaluate_status(CharmBase& charm) {
  charm.app_statuses_.clear();
  charm.unit_statuses_.clear();
  // Only a leader collects the app status; without observers there is
  // nothing to collect, so is-leader is not asked at all.
  if (charm.on.collect_app_status.observer_count() > 0 && charm.unit().is_leader()) {
    charm.on.collect_app_status.emit();
    if (!charm.app_statuses_.empty()) {
      charm.app().set_status(StatusBase::highest_priority(charm.app_statuses_));
    }
  }
  charm.on.collect_unit_status.emit();
  if (!charm.unit_statuses_.empty()) {
    charm.unit().set_status(StatusBase::highest_priority(charm.unit_statuses_));
  }
}

}  // namespace ops
