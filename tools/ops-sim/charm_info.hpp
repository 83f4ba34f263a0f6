// What ops-sim needs to know about a charm: its name, endpoints, containers,
// config options, actions, resources and storage, read from metadata.yaml,
// config.yaml and actions.yaml (or one charmcraft.yaml) in the charm dir.
//
// CharmInfo is a plain value stored as JSON in the model database, so that
// later commands need not re-read the charm. load() throws SimError naming
// the file and field at fault.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace ops_sim {

// One endpoint; role is "provides", "requires" or "peers".
struct EndpointInfo {
  std::string name;
  std::string role;
  std::string interface;
};

// One config option; default_value is null when the option has none.
struct ConfigOptionInfo {
  std::string name;
  std::string type;  // string, int, float, boolean, secret
  nlohmann::json default_value;
};

// A workload container and the storage it mounts.
struct ContainerInfo {
  std::string name;
  std::string resource;                                     // oci-image resource name, may be empty
  std::vector<std::pair<std::string, std::string>> mounts;  // storage, location
};

// A resource; type is "file" or "oci-image".
struct ResourceInfo {
  std::string name;
  std::string type;
  std::string filename;
};

// A storage declared by the charm.
struct StorageInfo {
  std::string name;
  std::string type;
  std::string location;
};

// An action and its JSON-schema parameters.
struct ActionInfo {
  std::string name;
  nlohmann::json params = nlohmann::json::object();  // name -> schema
  std::vector<std::string> required;
  bool additional_properties = true;
};

// Everything ops-sim reads from a charm's metadata.
struct CharmInfo {
  std::string name;
  std::vector<EndpointInfo> endpoints;
  std::vector<ConfigOptionInfo> config;
  std::vector<ContainerInfo> containers;
  std::vector<ResourceInfo> resources;
  std::vector<StorageInfo> storage;
  std::vector<ActionInfo> actions;

  // Reads the metadata files of an unpacked charm; throws SimError.
  static CharmInfo load(const std::filesystem::path& charm_dir);
  nlohmann::json to_json() const;
  static CharmInfo from_json(const nlohmann::json& j);

  const EndpointInfo* endpoint(const std::string& name) const;
  const ConfigOptionInfo* option(const std::string& name) const;
  const ActionInfo* action(const std::string& name) const;
  const ResourceInfo* resource(const std::string& name) const;
  const EndpointInfo* peer_endpoint() const;  // the first peers endpoint
  // Converts a command-line config value to the option's type; throws SimError.
  nlohmann::json convert_config_value(const std::string& key, const std::string& value) const;
  // The config as config-get shows it: defaults overlaid with set values.
  nlohmann::json effective_config(const nlohmann::json& set_values) const;
};

}  // namespace ops_sim
