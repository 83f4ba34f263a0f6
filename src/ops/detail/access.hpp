// The doors into Framework and Model that a dispatcher needs and a charm
// must not use.
//
// Harness and Context drive the Model and the Framework between simulated
// events (forget what was read from the backend, install an in-memory
// Pebble, keep notices that production would merge), and every dispatcher
// (ops::main's run_dispatch_steps, which Harness and Context share) emits
// an event from a snapshot and marks the relation being broken. Those
// members are private; these classes, friends of Framework, EventSourceBase
// and Model, are the only way to them. The header is not installed: charm
// code never sees it, and the framework's tests include it from src/.
#pragma once

#include <functional>
#include <optional>
#include <string_view>
#include <utility>

#include <nlohmann/json.hpp>

#include "ops/framework.hpp"
#include "ops/model.hpp"

namespace ops::detail {

class FrameworkAccess {
 public:
  // EventSourceBase::emit_snapshot: emits an event restored from `snapshot`.
  static void emit_snapshot(EventSourceBase& source, const nlohmann::json& snapshot) {
    source.emit_snapshot(snapshot);
  }
  // Framework::set_skip_duplicate_notices (true, as in production, by default).
  static void set_skip_duplicate_notices(Framework& framework, bool skip) noexcept {
    framework.set_skip_duplicate_notices(skip);
  }
  // What Framework::commit() runs after the commit event's handlers and
  // before it saves stored state (the dispatcher's relation-write flush);
  // an empty function removes it.
  static void set_before_save(Framework& framework, std::function<void()> hook) {
    framework.before_save_ = std::move(hook);
  }
  // Calls `listener` with each event the framework emits (its source and
  // snapshot, observed or not, before its handlers run; not the deferred
  // events reemit() delivers again); an empty function removes it.
  static void set_emit_listener(
      Framework& framework,
      std::function<void(const EventSourceBase&, const nlohmann::json&)> listener) {
    framework.emit_listener_ = std::move(listener);
  }
};

class ModelAccess {
 public:
  // Model::set_broken_relation_id: the relation whose relation-broken runs.
  static void set_broken_relation_id(Model& model, std::optional<int> relation_id) {
    model.set_broken_relation_id(relation_id);
  }
  // Model::invalidate_caches: the backend changed under the Model.
  static void invalidate_caches(Model& model) { model.invalidate_caches(); }
  // Model::set_pebble_client_factory: how containers' clients are made.
  static void set_pebble_client_factory(Model& model, PebbleClientFactory factory) {
    model.set_pebble_client_factory(std::move(factory));
  }
};

}  // namespace ops::detail
