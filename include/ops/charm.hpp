// Charm metadata: what a charm declares about itself.
//
// CharmMeta is the parsed form of a charm's metadata.yaml, config.yaml and
// actions.yaml (or of a single charmcraft.yaml with the metadata, config and
// actions in it, "metadata v2"). It is a plain value: the framework builds it
// once per dispatch from the charm directory and hands it to the Model, which
// uses it to know the charm's endpoints, containers, storages, resources,
// actions and config options. Parsing throws ops::CharmMetaError whose message
// names the file, the line and the field that is wrong
// ("metadata.yaml:12: requires.db.limit: expected an integer").
#pragma once

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace ops {

// Which section of metadata.yaml declared an endpoint.
enum class RelationRole { kRequires, kProvides, kPeer };

// The role's name as Juju spells it: "requires", "provides" or "peer".
std::string to_string(RelationRole role);

// One endpoint (relation) declared under requires/provides/peers.
struct RelationMeta {
  std::string relation_name;
  RelationRole role;
  std::string interface_name;
  std::optional<int> limit;
  std::string scope = "global";  // "global" or "container"
  bool optional = false;
};

// A storage mounted into a container.
struct ContainerMount {
  std::string storage;
  std::string location;
};

// A workload container (Kubernetes charms).
struct ContainerMeta {
  std::string name;
  std::optional<std::string> resource;  // the oci-image resource it runs
  std::vector<ContainerMount> mounts;
};

// A storage declared under `storage:`.
struct StorageMeta {
  std::string storage_name;
  std::string type;  // "filesystem" or "block"
  std::optional<std::string> location;
  std::string description;
  bool shared = false;
  bool read_only = false;
  std::string minimum_size;
  // From "multiple: range:": "1-3" -> 1..3, "2-" -> 2..unbounded (no max),
  // "3" -> 3..3. Both empty when the storage is not multiple.
  std::optional<int> multiple_min;
  std::optional<int> multiple_max;
};

// A resource declared under `resources:`.
struct ResourceMeta {
  std::string resource_name;
  std::string type;  // "file" or "oci-image"
  std::optional<std::string> filename;
  std::string description;
};

// An action from actions.yaml (or charmcraft.yaml's `actions:`).
struct ActionMeta {
  std::string name;
  std::string description;
  nlohmann::json parameters = nlohmann::json::object();  // JSON-schema properties
  std::vector<std::string> required;
  bool additional_properties = true;
};

// One option from config.yaml's `options:`.
struct ConfigOption {
  std::string name;
  std::string type;  // "string" | "int" | "float" | "boolean" | "secret"
  std::optional<nlohmann::json> default_value;
  std::string description;
};

// Everything a charm declares about itself.
struct CharmMeta {
  std::string name, display_name, summary, description;
  std::vector<std::string> maintainers, tags, series, extra_bindings;
  std::map<std::string, RelationMeta> requires_relations, provides_relations, peer_relations;
  std::map<std::string, RelationMeta> relations;  // all three sections together
  std::map<std::string, StorageMeta> storages;
  std::map<std::string, ContainerMeta> containers;
  std::map<std::string, ResourceMeta> resources;
  std::map<std::string, ActionMeta> actions;
  std::map<std::string, ConfigOption> config;
  nlohmann::json assumes = nlohmann::json::array();

  // Parses the texts of metadata.yaml, actions.yaml and config.yaml (the
  // last two may be empty). Errors name "metadata.yaml", "actions.yaml" or
  // "config.yaml" with the line. Throws CharmMetaError.
  static CharmMeta from_yaml(std::string_view metadata, std::string_view actions = {},
                             std::string_view config = {});

  // Parses a charmcraft.yaml carrying metadata, `config:` and `actions:` in
  // one file (metadata v2). Throws CharmMetaError naming "charmcraft.yaml".
  static CharmMeta from_charmcraft_yaml(std::string_view charmcraft);

  // Reads a charm directory: metadata.yaml (+ optional actions.yaml and
  // config.yaml) or, without metadata.yaml, charmcraft.yaml. Throws
  // CharmMetaError when neither exists or a file is malformed.
  static CharmMeta from_charm_dir(const std::filesystem::path& dir);
};

}  // namespace ops
