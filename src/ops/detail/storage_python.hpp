// Taking over a state file written by Python ops (private to the storage).
//
// Python ops' SQLiteStorage uses the same two tables as ours; only the
// snapshots differ (pickles instead of JSON). convert_python_snapshot()
// turns one pickled snapshot into the JSON ops-cpp stores under the same
// handle path: stored state and the framework's event counter as they are,
// event snapshots through one conversion per event family (relation,
// workload, secret, storage, action, data-less hook events), custom events'
// snapshots as they are.
#pragma once

#include <string_view>

#include <nlohmann/json.hpp>

namespace ops::detail {

// The ops-cpp snapshot of the Python ops snapshot `pickle` stored under
// handle_path; throws pickle::PickleError (or std::runtime_error) saying why
// it cannot be migrated.
nlohmann::json convert_python_snapshot(std::string_view handle_path, std::string_view pickle);

// Points of the migration of a Python ops state file, for crash tests.
enum class MigrationPoint {
  converted,  // every snapshot read and converted, nothing written
  copied,     // the copy of the original is in place, the state file unchanged
  written,    // the converted rows are written, not committed
  committed,  // the state file is ops-cpp's
};

// Called at each MigrationPoint when set (tests kill the process there).
using MigrationCheckpoint = void (*)(MigrationPoint);
void set_migration_checkpoint(MigrationCheckpoint checkpoint) noexcept;
void migration_checkpoint(MigrationPoint point);

}  // namespace ops::detail
