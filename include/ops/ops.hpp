// ops-cpp, the Juju charm framework: everything a charm author includes.
//
//   #include <ops/ops.hpp>
//   class MyCharm : public ops::CharmBase { ... };
//   OPS_MAIN(MyCharm)
//
// The testing library (Harness, Context/State) has its own headers under
// ops/testing/ and is not included here.
#pragma once

#include "ops/charm.hpp"         // CharmBase, CharmEvents, the event classes
#include "ops/charm_meta.hpp"    // CharmMeta: metadata.yaml, config.yaml, actions.yaml
#include "ops/errors.hpp"        // ops::Error and its subclasses
#include "ops/framework.hpp"     // Handle, Object, EventBase, Framework, StoredState
#include "ops/hookcmds.hpp"      // the hook tools as typed functions
#include "ops/juju_context.hpp"  // JujuContext: the JUJU_* environment
#include "ops/juju_version.hpp"  // JujuVersion
#include "ops/log.hpp"           // ops::log
#include "ops/main.hpp"          // ops::main, OPS_MAIN
#include "ops/model.hpp"         // Model, Unit, Application, Relation, statuses, secrets
#include "ops/pebble.hpp"        // ops::pebble: Layer, Client, ...
#include "ops/storage.hpp"       // SQLiteStorage: the unit's state file
