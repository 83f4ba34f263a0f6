// A charm for the dispatch tests (built as its own `dispatch`): it defers
// db-relation-changed while config defer-start is true, and logs the remote
// app and unit each time the event is handled, so that a test can see what
// a deferred relation event knows when it is re-emitted in a later dispatch
// (whose environment names no relation).
#include <string>

#include "ops/ops.hpp"

namespace {

class DeferringCharm : public ops::CharmBase {
 public:
  explicit DeferringCharm(ops::Framework& framework) : CharmBase(framework, "DeferringCharm") {
    framework.observe<&DeferringCharm::on_db_relation_changed>(on["db"].relation_changed, *this);
  }

  void on_db_relation_changed(ops::RelationChangedEvent& event) {
    const bool defer = config().get<bool>("defer-start");
    ops::log::info(std::string("db-changed") + (defer ? " deferred" : "") +
                   ": app=" + (event.app() ? event.app()->name() : "none") +
                   " unit=" + (event.unit() ? event.unit()->name() : "none"));
    if (defer) event.defer();
  }
};

}  // namespace

OPS_MAIN(DeferringCharm)
