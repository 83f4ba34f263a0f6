// ops::main: one dispatch, from the Juju environment to the committed state.
#include "ops/main.hpp"

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <optional>
#include <typeinfo>

#include "ops/detail/access.hpp"
#include "ops/detail/main_dispatch.hpp"
#include "ops/hookcmds.hpp"
#include "ops/juju_context.hpp"
#include "ops/log.hpp"
#include "ops/model.hpp"
#include "ops/model/juju_backend.hpp"
#include "ops/storage.hpp"

namespace ops {
namespace {

// Forwards ops::log lines to juju-log; a line logged while juju-log itself
// runs (or fails) is dropped rather than recursing.
void install_juju_log_sink(const JujuContext& context) {
  if (context.debug) log::set_level(log::Level::debug);
  log::set_sink([](log::Level level, std::string_view message) {
    static thread_local bool busy = false;
    if (busy) return;
    busy = true;
    try {
      hookcmds::juju_log(std::string(log::to_string(level)), std::string(message));
    } catch (...) {
      busy = false;
      throw;  // the seam swallows it: logging never fails a hook
    }
    busy = false;
  });
}

template <class... Events>
bool is_one_of(const std::type_info& type) {
  return ((type == typeid(Events)) || ...);
}

// What Juju says about a relation event, from the environment.
RelationEvent::Args relation_args(const EventSourceBase& source, const JujuContext& context) {
  const std::type_info& type = source.event_type();
  if (!context.relation_name || !context.relation_id) {
    throw JujuContextError("relation event " + source.kind() +
                           " needs JUJU_RELATION and JUJU_RELATION_ID");
  }
  RelationEvent::Args args{*context.relation_name, *context.relation_id};
  args.app_name = context.remote_app_name;
  if (!args.app_name && context.remote_unit_name) {
    const std::string& unit = *context.remote_unit_name;
    const auto slash = unit.find('/');
    if (slash == std::string::npos || slash == 0) {
      throw JujuContextError("JUJU_REMOTE_UNIT=\"" + unit + "\" is not valid: expected APP/NUMBER");
    }
    args.app_name = unit.substr(0, slash);
  }
  // relation-created and relation-broken are about the relation, not a unit.
  if (!is_one_of<RelationCreatedEvent, RelationBrokenEvent>(type)) {
    args.unit_name = context.remote_unit_name;
  }
  if (type == typeid(RelationDepartedEvent)) {
    args.departing_unit = context.relation_departing_unit_name;
  }
  return args;
}

std::string required_secret_id(const EventSourceBase& source, const JujuContext& context) {
  if (!context.secret_id) {
    throw JujuContextError("secret event " + source.kind() + " needs JUJU_SECRET_ID");
  }
  return *context.secret_id;
}

// The snapshot a Juju event of `source`'s type carries: the event class's
// Args, built from the environment (the Args spell the snapshot keys).
nlohmann::json juju_event_snapshot(const EventSourceBase& source, const JujuContext& context,
                                   Model& model) {
  const std::type_info& type = source.event_type();
  if (is_one_of<RelationCreatedEvent, RelationJoinedEvent, RelationChangedEvent,
                RelationDepartedEvent, RelationBrokenEvent>(type)) {
    return relation_args(source, context).snapshot();
  }
  if (is_one_of<StorageAttachedEvent, StorageDetachingEvent>(type)) {
    if (!context.storage_name || !context.storage_index) {
      throw JujuContextError("storage event " + source.kind() + " needs JUJU_STORAGE_ID");
    }
    const std::string id = *context.storage_name + "/" + std::to_string(*context.storage_index);
    return StorageEvent::Args{*context.storage_name, *context.storage_index,
                              model.backend().storage_get(id, "location")}
        .snapshot();
  }
  if (is_one_of<PebbleReadyEvent, PebbleCustomNoticeEvent, PebbleCheckFailedEvent,
                PebbleCheckRecoveredEvent>(type)) {
    if (!context.workload_name) {
      throw JujuContextError("workload event " + source.kind() + " needs JUJU_WORKLOAD_NAME");
    }
    if (type == typeid(PebbleCustomNoticeEvent)) {
      return PebbleNoticeEvent::Args{
          *context.workload_name,
          {context.notice_id.value_or(""), context.notice_type.value_or(""),
           context.notice_key.value_or("")}}
          .snapshot();
    }
    if (type == typeid(PebbleReadyEvent))
      return WorkloadEvent::Args{*context.workload_name}.snapshot();
    return PebbleCheckEvent::Args{*context.workload_name, context.pebble_check_name.value_or("")}
        .snapshot();
  }
  if (is_one_of<SecretChangedEvent, SecretRotateEvent>(type)) {
    return SecretEvent::Args{required_secret_id(source, context), context.secret_label}.snapshot();
  }
  if (is_one_of<SecretRemoveEvent, SecretExpiredEvent>(type)) {
    std::string id = required_secret_id(source, context);
    if (!context.secret_revision) {
      throw JujuContextError("secret event " + source.kind() + " needs JUJU_SECRET_REVISION");
    }
    return SecretRevisionEvent::Args{std::move(id), context.secret_label, *context.secret_revision}
        .snapshot();
  }
  if (type == typeid(ActionEvent)) {
    if (!context.action_uuid) {
      throw JujuContextError("action event " + source.kind() + " needs JUJU_ACTION_UUID");
    }
    return ActionEvent::Args{*context.action_uuid}.snapshot();
  }
  return nullptr;
}

void report(const std::string& message) {
  log::error(message);
  std::fprintf(stderr, "%s\n", message.c_str());
  std::fflush(stderr);
}

}  // namespace

std::string event_kind_from_dispatch_path(std::string_view dispatch_path) {
  const std::filesystem::path path(dispatch_path);
  std::string kind = path.filename().string();
  for (char& c : kind) {
    if (c == '-') c = '_';
  }
  if (path.parent_path().filename() == "actions") kind += "_action";
  return kind;
}

int run_dispatch(const CharmFactory& factory, int argc, char** argv) {
  JujuContext context;
  try {
    context = JujuContext::from_map(JujuContext::environ_map());
    context.validate();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "ops: cannot dispatch: %s\n", e.what());
    return 1;
  }
  install_juju_log_sink(context);
  const std::string kind = event_kind_from_dispatch_path(context.dispatch_path);

  // Declared in dependency order: destroyed charm first, metadata last.
  std::optional<CharmMeta> meta;
  std::unique_ptr<Model> model;
  std::unique_ptr<Framework> framework;
  std::unique_ptr<CharmBase> charm;
  std::unique_ptr<detail::CommitFlusher> flusher;
  const char* stage = "setting up";
  try {
    std::filesystem::path charm_dir = context.charm_dir;
    if (charm_dir.empty()) {
      charm_dir = argc > 0 ? std::filesystem::absolute(argv[0]).parent_path()
                           : std::filesystem::current_path();
    }
    meta = CharmMeta::from_charm_dir(charm_dir);
    model = std::make_unique<Model>(*meta, std::make_unique<JujuBackend>(context));
    if (kind.ends_with("_relation_broken")) {
      detail::ModelAccess::set_broken_relation_id(*model, context.relation_id);
    }
    framework = std::make_unique<Framework>(open_sqlite_storage(default_state_file(charm_dir)),
                                            model.get());

    stage = "constructing the charm";
    charm = factory(*framework);
    if (!charm) throw FrameworkError("the charm factory returned no charm");
    flusher = std::make_unique<detail::CommitFlusher>(*framework, *model, "ops_main");

    detail::run_dispatch_steps(*framework, *charm, kind, [&](const EventSourceBase& source) {
      return juju_event_snapshot(source, context, *model);
    });
    framework->close();
    return 0;
  } catch (const AbortDispatch& abort) {
    if (framework) framework->close();
    return abort.exit_code();
  } catch (const detail::DispatchFailure& failure) {
    report(failure.what());
  } catch (const std::exception& e) {
    report(detail::describe_uncaught(stage, kind, e));
  } catch (...) {
    report(std::string("Uncaught exception (not a std::exception) while ") + stage + " for " +
           kind);
  }
  if (framework) framework->close();
  return 1;
}

}  // namespace ops
