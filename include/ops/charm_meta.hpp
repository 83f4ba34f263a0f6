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

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
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

// Where a container mounts one storage (ops' ContainerStorageMeta); a storage
// may be mounted at several locations (Kubernetes subPath mounts).
struct ContainerStorageMeta {
  std::string storage;
  std::vector<std::string> locations;
  // The only location; ops::Error when there are several (use locations).
  [[nodiscard]] const std::string& location() const;
};

// One base a container image may be built on (charmcraft's containers.<name>.bases).
struct ContainerBase {
  std::string os_name;  // "ubuntu"
  std::string channel;  // "22.04"
  std::vector<std::string> architectures;
};

// A workload container (Kubernetes charms).
struct ContainerMeta {
  std::string name;
  std::optional<std::string> resource;  // the oci-image resource it runs
  std::vector<ContainerBase> bases;     // instead of resource (never both)
  // Mounts keyed by storage name, as ops' ContainerMeta.mounts.
  std::map<std::string, ContainerStorageMeta> mounts;
  std::optional<int> uid, gid;  // outside Juju's reserved 1000-9999
};

// A device declared under `devices:` (e.g. a GPU).
struct DeviceMeta {
  std::string name;
  std::string type;
  std::string description;
  std::int64_t count_min = 1;
  std::int64_t count_max = 1;
};

// A payload class declared under `payloads:`.
struct PayloadMeta {
  std::string payload_name;
  std::string type;
};

// The links of metadata (website, source, issues, docs or `links:`), as ops' MetadataLinks.
struct MetadataLinks {
  std::vector<std::string> websites, sources, issues;
  std::optional<std::string> documentation;
};

// A storage declared under `storage:`.
struct StorageMeta {
  std::string storage_name;
  std::string type;  // "filesystem" or "block"
  std::optional<std::string> location;
  std::string description;
  bool shared = false;
  bool read_only = false;
  std::string minimum_size;  // as written; Juju's size grammar ("10G", "512M", "1.5GiB")
  // From "multiple: range:" in Juju's grammar: 3 -> 3..3, "1-3" -> 1..3,
  // "2-" and "2+" -> 2..unbounded (no max). Both empty when not multiple.
  std::optional<int> multiple_min;
  std::optional<int> multiple_max;
  std::vector<std::string> properties;  // Juju accepts only "transient"

  // ops' multiple_range: (min, max or nullopt), nullopt when not multiple.
  [[nodiscard]] std::optional<std::pair<int, std::optional<int>>> multiple_range() const {
    if (!multiple_min) return std::nullopt;
    return std::make_pair(*multiple_min, multiple_max);
  }
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
  std::string title;
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
  std::vector<std::string> terms, categories;
  MetadataLinks links;
  bool subordinate = false;
  std::optional<std::string> min_juju_version;
  std::string charm_user = "root";  // "root", "sudoer" or "non-root"
  std::map<std::string, PayloadMeta> payloads;
  std::map<std::string, DeviceMeta> devices;
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
  [[nodiscard]] static CharmMeta from_yaml(std::string_view metadata, std::string_view actions = {},
                                           std::string_view config = {});

  // Parses a charmcraft.yaml carrying metadata, `config:` and `actions:` in
  // one file (metadata v2). Throws CharmMetaError naming "charmcraft.yaml".
  [[nodiscard]] static CharmMeta from_charmcraft_yaml(std::string_view charmcraft);

  // Reads a charm directory: metadata.yaml (+ optional actions.yaml and
  // config.yaml) or, without metadata.yaml, charmcraft.yaml. Throws
  // CharmMetaError when neither exists or a file is malformed.
  [[nodiscard]] static CharmMeta from_charm_dir(const std::filesystem::path& dir);
};

}  // namespace ops
