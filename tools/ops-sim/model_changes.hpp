// The writes a hook makes, as data. Hook tools record each write as a JSON
// "op" in the pending table of its hook run; the scheduler applies them all
// in one transaction when the dispatch exits 0 and drops them otherwise.
// Reads inside a hook see committed state plus the run's own pending ops
// (with_overlay applies them in a transaction that is rolled back).
//
// Ops: relation-set, status-set, app-version, open-port, close-port,
// state-set, state-delete, leader-set, secret-add, secret-set, secret-remove,
// secret-grant, secret-revoke, secret-track, storage-add.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "model_db.hpp"

namespace ops_sim {

// What applying ops changed that other units must hear about.
struct ChangeEffects {
  struct Bag {
    int relation_id;
    std::string owner;  // unit or application name
    bool operator==(const Bag&) const = default;
  };
  std::vector<Bag> changed_bags;
  std::vector<std::string> changed_secrets;  // content changed: consumers get secret-changed
  std::vector<std::string> removed_secrets;
  std::vector<std::pair<std::string, std::string>> added_storage;  // unit, storage id
};

// Applies one op to the database; records its effects.
void apply_op(ModelDb& db, const nlohmann::json& op, ChangeEffects& effects);

// Runs fn inside a transaction where the run's pending ops are applied, then
// rolls everything back. Exceptions from fn propagate (after rollback).
void with_overlay(ModelDb& db, const std::string& run_id, const std::function<void()>& fn);

// Applies and drops the run's pending ops in one committed transaction, in
// which `also` runs too (e.g. dequeuing the hook that made them).
ChangeEffects commit_pending(ModelDb& db, const std::string& run_id,
                             const std::function<void()>& also = {});

}  // namespace ops_sim
