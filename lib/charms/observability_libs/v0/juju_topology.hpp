// Juju topology and rule files: what the three observability libraries
// (prometheus_k8s/v0, grafana_k8s/v0, loki_k8s/v1) share, as the Python COS
// libraries share `cosl` (JujuTopology, AlertRules).
//
// JujuTopology names where telemetry comes from (model, model UUID,
// application, unit, charm) and renders it the ways the COS consumers expect:
// as_dict() for `scrape_metadata` / `metadata`, identifier() for job and group
// names, label_matcher_dict() for the labels stamped on every rule.
//
// AlertRules reads Prometheus (promql) or Loki (logql) rule files from a file
// or a directory: `.rule`, `.rules`, `.yml` and `.yaml` files, each either in
// the official format (`groups: [{name, rules: [...]}]`) or holding a single
// rule (`alert:`/`record:` and `expr:`). Every group is renamed
// `<identifier>[_<subdir>]_<name>_rules` (characters outside [A-Za-z0-9_:]
// become `_`), every rule gets the topology labels
// it does not set, and `%%juju_topology%%` in an expression becomes the
// topology's label matchers (`juju_model="m",juju_model_uuid="...",
// juju_application="a"`). A file that cannot be parsed is logged and skipped,
// as the Python library does. as_dict() is `{"groups": [...]}`, or `{}`
// with no rules.
//
// Paths given to the libraries are resolved against the charm directory,
// charm_dir(): $JUJU_CHARM_DIR, else the directory of the running executable
// (the charm's `dispatch`).
#pragma once

#include <filesystem>
#include <map>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "ops/charm.hpp"

namespace charms::observability_libs::v0 {

struct JujuTopology {
  std::string model;
  std::string model_uuid;
  std::string application;
  std::string unit;
  std::string charm_name;

  // The running unit's topology (model name and UUID, app, unit, charm name).
  static JujuTopology from_charm(ops::CharmBase& charm);
  // From a `scrape_metadata`-style object; ops::Error naming a missing key.
  static JujuTopology from_dict(const nlohmann::json& data);

  // {"model", "model_uuid", "application", "unit", "charm_name"}.
  nlohmann::json as_dict() const;
  // "<model>_<first 8 characters of the UUID>_<application>" ('/' -> '_').
  std::string identifier() const;
  // juju_model, juju_model_uuid, juju_application, juju_charm (non-empty only).
  std::map<std::string, std::string> label_matcher_dict() const;
  // juju_model, juju_model_uuid, juju_application (non-empty only).
  std::map<std::string, std::string> alert_expression_dict() const;
  // alert_expression_dict() as PromQL/LogQL matchers: juju_model="m",...
  std::string alert_expression_matchers() const;

  bool operator==(const JujuTopology&) const = default;
};

enum class QueryType { kPromQL, kLogQL };

class AlertRules {
 public:
  explicit AlertRules(QueryType query_type, std::optional<JujuTopology> topology = std::nullopt)
      : query_type_(query_type), topology_(std::move(topology)) {}

  // Adds the rules of a file, or of every rule file in a directory (sorted,
  // nested directories too when recursive). A missing path adds nothing.
  void add_path(const std::filesystem::path& path, bool recursive = false);
  // Adds rules given as an official-format or single-rule object; ops::Error
  // when it is neither.
  void add(const nlohmann::json& rules, const std::string& group_name = {},
           const std::string& group_name_prefix = {});

  // {"groups": [...]}, or {} when there are no groups.
  nlohmann::json as_dict() const;

 private:
  void add_file(const std::filesystem::path& root, const std::filesystem::path& file);

  QueryType query_type_;
  std::optional<JujuTopology> topology_;
  nlohmann::json groups_ = nlohmann::json::array();
};

// YAML text as JSON (mappings -> objects, sequences -> arrays, scalars ->
// strings, null -> null); ops::Error naming the problem on malformed YAML.
nlohmann::json yaml_to_json(const std::string& yaml);

// The charm directory: $JUJU_CHARM_DIR, else the directory of /proc/self/exe.
std::filesystem::path charm_dir();
// `path` when absolute, else charm_dir() / path.
std::filesystem::path resolve_in_charm_dir(const std::filesystem::path& path);

// This machine's fully qualified name (Python's socket.getfqdn()).
std::string local_fqdn();

// Throws ops::FrameworkError unless the charm declares `relation_name` with
// `interface` in the `role` section (the Python libraries' RelationNotFoundError,
// RelationInterfaceMismatchError and RelationRoleMismatchError).
void validate_relation(const ops::CharmBase& charm, const std::string& relation_name,
                       const std::string& interface, ops::RelationRole role);

}  // namespace charms::observability_libs::v0
