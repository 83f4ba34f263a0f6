// Tests of CharmMeta: the redis-k8s metadata parses to exact values, a
// charmcraft.yaml (metadata v2) gives the same, and malformed files are
// rejected with the file, line and field in the message.
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <limits>
#include <sstream>
#include <string>

#include <unistd.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "ops/charm_meta.hpp"
#include "ops/errors.hpp"
#include "support/files.hpp"
#include "support/temp_dir.hpp"

namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

std::filesystem::path source_dir() {
  const char* dir = std::getenv("OPS_SOURCE_DIR");
  return dir ? std::filesystem::path(dir) : std::filesystem::path(OPS_TEST_SOURCE_DIR);
}

void write_text(const std::filesystem::path& path, const std::string& text) {
  std::ofstream out(path);
  out << text;
}

// The message of the CharmMetaError `fn` throws; fails the test if none.
template <typename Fn>
std::string error_of(Fn&& fn) {
  try {
    fn();
  } catch (const ops::CharmMetaError& e) {
    return e.what();
  }
  ADD_FAILURE() << "no CharmMetaError thrown";
  return {};
}

std::string metadata_error(const std::string& metadata) {
  return error_of([&] { (void)ops::CharmMeta::from_yaml(metadata); });
}

// Checks every value of the repo-root redis-k8s metadata.
void expect_redis_k8s(const ops::CharmMeta& meta) {
  EXPECT_EQ(meta.name, "redis-k8s");
  EXPECT_EQ(meta.display_name, "Charmed Redis");
  EXPECT_EQ(meta.summary, "Redis with Sentinel high availability on Kubernetes.");
  EXPECT_EQ(meta.description.rfind("Redis is an in-memory data store, used as a database", 0), 0u);
  EXPECT_EQ(meta.description.back(), '\n');
  EXPECT_EQ(meta.assumes, nlohmann::json::array({"k8s-api"}));

  ASSERT_EQ(meta.containers.size(), 2u);
  const ops::ContainerMeta& redis = meta.containers.at("redis");
  EXPECT_EQ(redis.name, "redis");
  EXPECT_EQ(redis.resource, "redis-image");
  ASSERT_EQ(redis.mounts.size(), 1u);
  EXPECT_EQ(redis.mounts.at("database").storage, "database");
  EXPECT_EQ(redis.mounts.at("database").location(), "/var/lib/redis");
  const ops::ContainerMeta& sentinel = meta.containers.at("sentinel");
  EXPECT_EQ(sentinel.resource, "redis-image");
  EXPECT_TRUE(sentinel.mounts.empty());

  ASSERT_EQ(meta.resources.size(), 4u);
  EXPECT_EQ(meta.resources.at("redis-image").type, "oci-image");
  EXPECT_EQ(meta.resources.at("redis-image").filename, std::nullopt);
  EXPECT_EQ(meta.resources.at("redis-image").description, "OCI image for Redis");
  EXPECT_EQ(meta.resources.at("cert-file").type, "file");
  EXPECT_EQ(meta.resources.at("cert-file").filename, "redis.crt");
  EXPECT_EQ(meta.resources.at("key-file").filename, "redis.key");
  EXPECT_EQ(meta.resources.at("ca-cert-file").filename, "ca.crt");
  EXPECT_EQ(meta.resources.at("ca-cert-file").resource_name, "ca-cert-file");

  ASSERT_EQ(meta.storages.size(), 1u);
  const ops::StorageMeta& db = meta.storages.at("database");
  EXPECT_EQ(db.storage_name, "database");
  EXPECT_EQ(db.type, "filesystem");
  EXPECT_EQ(db.location, "/var/lib/redis");
  EXPECT_FALSE(db.shared);
  EXPECT_FALSE(db.read_only);
  EXPECT_EQ(db.multiple_min, std::nullopt);
  EXPECT_EQ(db.multiple_max, std::nullopt);

  ASSERT_EQ(meta.provides_relations.size(), 3u);
  EXPECT_EQ(meta.provides_relations.at("redis").interface_name, "redis");
  EXPECT_EQ(meta.provides_relations.at("redis").role, ops::RelationRole::kProvides);
  EXPECT_EQ(meta.provides_relations.at("redis").scope, "global");
  EXPECT_EQ(meta.provides_relations.at("redis").limit, std::nullopt);
  EXPECT_FALSE(meta.provides_relations.at("redis").optional);
  EXPECT_EQ(meta.provides_relations.at("metrics-endpoint").interface_name, "prometheus_scrape");
  EXPECT_EQ(meta.provides_relations.at("grafana-dashboard").interface_name, "grafana_dashboard");
  ASSERT_EQ(meta.requires_relations.size(), 1u);
  EXPECT_EQ(meta.requires_relations.at("logging").interface_name, "loki_push_api");
  EXPECT_EQ(meta.requires_relations.at("logging").role, ops::RelationRole::kRequires);
  EXPECT_TRUE(meta.requires_relations.at("logging").optional);
  ASSERT_EQ(meta.peer_relations.size(), 1u);
  EXPECT_EQ(meta.peer_relations.at("redis-peers").interface_name, "redis-peers");
  EXPECT_EQ(meta.peer_relations.at("redis-peers").role, ops::RelationRole::kPeer);
  EXPECT_EQ(meta.relations.size(), 5u);
  EXPECT_EQ(meta.relations.at("redis-peers").role, ops::RelationRole::kPeer);
  EXPECT_EQ(meta.relations.at("logging").relation_name, "logging");

  ASSERT_EQ(meta.config.size(), 1u);
  const ops::ConfigOption& tls = meta.config.at("enable-tls");
  EXPECT_EQ(tls.name, "enable-tls");
  EXPECT_EQ(tls.type, "boolean");
  EXPECT_EQ(tls.default_value, nlohmann::json(false));
  EXPECT_EQ(tls.description.rfind("Serve Redis over TLS with the certificate", 0), 0u);

  ASSERT_EQ(meta.actions.size(), 3u);
  EXPECT_EQ(meta.actions.at("check-service").description,
            "Check that the Redis service is running.");
  EXPECT_EQ(meta.actions.at("check-service").parameters, nlohmann::json::object());
  EXPECT_TRUE(meta.actions.at("check-service").required.empty());
  EXPECT_TRUE(meta.actions.at("check-service").additional_properties);
  EXPECT_EQ(meta.actions.at("get-initial-admin-password").description,
            "Print the password of the Redis admin user, set when the application was deployed.");
  EXPECT_EQ(meta.actions.at("get-sentinel-password").description,
            "Print the password of the Redis Sentinel.");
}

class CharmMetaTest : public ::testing::Test {
 protected:
  ops_test::TempDir tmp_{"charm_meta_test_"};
  const std::filesystem::path& dir_ = tmp_.path();
};

TEST_F(CharmMetaTest, RedisK8sRepoRootFilesParseToExactValues) {
  ops::CharmMeta meta =
      ops::CharmMeta::from_yaml(ops_test::read_file(source_dir() / "metadata.yaml"),
                                ops_test::read_file(source_dir() / "actions.yaml"),
                                ops_test::read_file(source_dir() / "config.yaml"));
  expect_redis_k8s(meta);
}

TEST_F(CharmMetaTest, FromCharmDirReadsTheThreeFiles) {
  for (const char* name : {"metadata.yaml", "actions.yaml", "config.yaml"}) {
    std::filesystem::copy_file(source_dir() / name, dir_ / name);
  }
  expect_redis_k8s(ops::CharmMeta::from_charm_dir(dir_));
}

// The same charm as one charmcraft.yaml: the metadata keys at the top,
// config under `config:` and actions under `actions:`.
std::string redis_k8s_charmcraft_yaml() {
  std::string metadata = ops_test::read_file(source_dir() / "metadata.yaml");
  std::string out = "type: charm\nbases:\n  - build-on:\n      - name: ubuntu\n";
  out += metadata;
  out += "\nconfig:\n";
  std::istringstream config(ops_test::read_file(source_dir() / "config.yaml"));
  for (std::string line; std::getline(config, line);) out += "  " + line + "\n";
  out += "actions:\n";
  std::istringstream actions(ops_test::read_file(source_dir() / "actions.yaml"));
  for (std::string line; std::getline(actions, line);) out += "  " + line + "\n";
  return out;
}

TEST_F(CharmMetaTest, CharmcraftYamlV2GivesTheSameMeta) {
  expect_redis_k8s(ops::CharmMeta::from_charmcraft_yaml(redis_k8s_charmcraft_yaml()));
}

TEST_F(CharmMetaTest, CharmDirWithOnlyCharmcraftYaml) {
  write_text(dir_ / "charmcraft.yaml", redis_k8s_charmcraft_yaml());
  expect_redis_k8s(ops::CharmMeta::from_charm_dir(dir_));
}

TEST_F(CharmMetaTest, CharmcraftTitleIsTheDisplayName) {
  ops::CharmMeta meta = ops::CharmMeta::from_charmcraft_yaml("name: x\ntitle: The X\nsummary: s\n");
  EXPECT_EQ(meta.display_name, "The X");
}

TEST_F(CharmMetaTest, MissingOptionalFilesAreFine) {
  write_text(dir_ / "metadata.yaml", "name: tiny\n");
  ops::CharmMeta meta = ops::CharmMeta::from_charm_dir(dir_);
  EXPECT_EQ(meta.name, "tiny");
  EXPECT_TRUE(meta.actions.empty());
  EXPECT_TRUE(meta.config.empty());
  EXPECT_TRUE(meta.relations.empty());
  EXPECT_EQ(meta.assumes, nlohmann::json::array());
}

TEST_F(CharmMetaTest, EmptyConfigAndActionsFilesAreFine) {
  ops::CharmMeta meta = ops::CharmMeta::from_yaml("name: tiny\n", "", "options:\n");
  EXPECT_TRUE(meta.actions.empty());
  EXPECT_TRUE(meta.config.empty());
}

TEST_F(CharmMetaTest, MissingMetadataYamlInCharmDirIsAClearError) {
  write_text(dir_ / "config.yaml", "options: {}\n");
  std::string message = error_of([&] { (void)ops::CharmMeta::from_charm_dir(dir_); });
  EXPECT_THAT(message, HasSubstr(dir_.string()));
  EXPECT_THAT(message, HasSubstr("neither metadata.yaml nor charmcraft.yaml exists"));
}

TEST_F(CharmMetaTest, AnUnreadableFileInCharmDirIsAnErrorNamingIt) {
  write_text(dir_ / "metadata.yaml", "name: x\n");
  std::filesystem::create_directory(dir_ / "config.yaml");
  EXPECT_EQ(error_of([&] { (void)ops::CharmMeta::from_charm_dir(dir_); }),
            (dir_ / "config.yaml").string() + ": cannot be read: Is a directory");
}

TEST_F(CharmMetaTest, CharmDirTakesActionsAndConfigFromCharmcraftWhenTheirFilesAreMissing) {
  write_text(dir_ / "metadata.yaml", "name: x\n");
  write_text(
      dir_ / "charmcraft.yaml",
      "type: charm\nactions:\n  go: {}\nconfig:\n  options:\n    n: {type: int, default: 3}\n");
  ops::CharmMeta meta = ops::CharmMeta::from_charm_dir(dir_);
  EXPECT_EQ(meta.actions.count("go"), 1u);
  EXPECT_EQ(meta.config.at("n").default_value, nlohmann::json(3));
}

TEST_F(CharmMetaTest, RelationFields) {
  ops::CharmMeta meta = ops::CharmMeta::from_yaml(
      "name: x\n"
      "requires:\n"
      "  db:\n"
      "    interface: mysql\n"
      "    limit: 1\n"
      "    scope: container\n"
      "  cache: redis\n"
      "peers:\n"
      "  cluster: {interface: x-peers}\n");
  const ops::RelationMeta& db = meta.requires_relations.at("db");
  EXPECT_EQ(db.interface_name, "mysql");
  EXPECT_EQ(db.limit, 1);
  EXPECT_EQ(db.scope, "container");
  EXPECT_EQ(meta.requires_relations.at("cache").interface_name, "redis");
  EXPECT_EQ(meta.peer_relations.at("cluster").role, ops::RelationRole::kPeer);
  EXPECT_EQ(ops::to_string(ops::RelationRole::kPeer), "peer");
  EXPECT_EQ(ops::to_string(ops::RelationRole::kRequires), "requires");
  EXPECT_EQ(ops::to_string(ops::RelationRole::kProvides), "provides");
}

TEST_F(CharmMetaTest, StorageFieldsAndMultipleRanges) {
  ops::CharmMeta meta = ops::CharmMeta::from_yaml(
      "name: x\n"
      "storage:\n"
      "  a:\n"
      "    type: filesystem\n"
      "    description: first\n"
      "    shared: true\n"
      "    read-only: true\n"
      "    minimum-size: 1G\n"
      "    location: /a\n"
      "    multiple: {range: 1-3}\n"
      "  b: {type: block, multiple: {range: 2-}}\n"
      "  c: {type: filesystem, multiple: {range: 3}}\n");
  const ops::StorageMeta& a = meta.storages.at("a");
  EXPECT_EQ(a.description, "first");
  EXPECT_TRUE(a.shared);
  EXPECT_TRUE(a.read_only);
  EXPECT_EQ(a.minimum_size, "1G");
  EXPECT_EQ(a.location, "/a");
  EXPECT_EQ(a.multiple_min, 1);
  EXPECT_EQ(a.multiple_max, 3);
  EXPECT_EQ(meta.storages.at("b").type, "block");
  EXPECT_EQ(meta.storages.at("b").multiple_min, 2);
  EXPECT_EQ(meta.storages.at("b").multiple_max, std::nullopt);
  EXPECT_EQ(meta.storages.at("b").location, std::nullopt);
  EXPECT_EQ(meta.storages.at("c").multiple_min, 3);
  EXPECT_EQ(meta.storages.at("c").multiple_max, 3);
}

// Juju's `m+` form (and `m-`): no upper bound. A charm using it must dispatch.
TEST_F(CharmMetaTest, StorageRangeWithPlus) {
  ops::CharmMeta meta = ops::CharmMeta::from_yaml(
      "name: x\nstorage:\n  d: {type: filesystem, multiple: {range: 10+}}\n");
  EXPECT_EQ(meta.storages.at("d").multiple_min, 10);
  EXPECT_EQ(meta.storages.at("d").multiple_max, std::nullopt);
  EXPECT_EQ(meta.storages.at("d").multiple_range(), std::make_pair(10, std::optional<int>()));
  // Juju accepts a maximum below the minimum (Meta.Check only refuses 0); so do we.
  meta = ops::CharmMeta::from_yaml(
      "name: x\nstorage:\n  d: {type: filesystem, multiple: {range: 3-1}}\n");
  EXPECT_EQ(meta.storages.at("d").multiple_range(), std::make_pair(3, std::optional<int>(1)));
}

// Juju refuses a mount without a location ("location must be specified on mount").
TEST_F(CharmMetaTest, MountWithoutLocationIsRefused) {
  EXPECT_EQ(metadata_error("name: x\n"
                           "storage: {data: {type: filesystem, location: /data}}\n"
                           "containers: {app: {mounts: [{storage: data}]}}\n"),
            "metadata.yaml:3: containers.app.mounts[0].location: missing (required)");
}

TEST_F(CharmMetaTest, MaintainersTagsSeriesExtraBindingsAssumes) {
  ops::CharmMeta meta = ops::CharmMeta::from_yaml(
      "name: x\n"
      "maintainer: A <a@example.com>\n"
      "maintainers: [B <b@example.com>]\n"
      "tags: [database, cache]\n"
      "extra-bindings:\n"
      "  public:\n"
      "  admin:\n"
      "assumes:\n"
      "  - juju >= 3.1\n"
      "  - any-of: [k8s-api, {all-of: [lxd]}]\n");
  EXPECT_THAT(meta.maintainers, ElementsAre("A <a@example.com>", "B <b@example.com>"));
  EXPECT_THAT(meta.tags, ElementsAre("database", "cache"));
  EXPECT_THAT(ops::CharmMeta::from_yaml("name: x\nseries: [jammy]\n").series, ElementsAre("jammy"));
  EXPECT_THAT(meta.extra_bindings, ElementsAre("public", "admin"));
  EXPECT_EQ(meta.assumes, nlohmann::json::parse(
                              R"(["juju >= 3.1", {"any-of": ["k8s-api", {"all-of": ["lxd"]}]}])"));
}

TEST_F(CharmMetaTest, ActionParamsRequiredAndAdditionalProperties) {
  ops::CharmMeta meta = ops::CharmMeta::from_yaml("name: x\n",
                                                  "snapshot:\n"
                                                  "  description: Take a snapshot.\n"
                                                  "  params:\n"
                                                  "    target:\n"
                                                  "      type: string\n"
                                                  "      default: \"5\"\n"
                                                  "    count:\n"
                                                  "      type: integer\n"
                                                  "      default: 5\n"
                                                  "    ratio: {type: number, default: 0.5}\n"
                                                  "    force: {type: boolean, default: no}\n"
                                                  "  required: [target]\n"
                                                  "  additionalProperties: false\n"
                                                  "noop:\n");
  const ops::ActionMeta& snap = meta.actions.at("snapshot");
  EXPECT_EQ(snap.name, "snapshot");
  EXPECT_EQ(snap.description, "Take a snapshot.");
  EXPECT_EQ(snap.parameters, nlohmann::json::parse(R"({
      "target": {"type": "string", "default": "5"},
      "count": {"type": "integer", "default": 5},
      "ratio": {"type": "number", "default": 0.5},
      "force": {"type": "boolean", "default": false}})"));
  EXPECT_THAT(snap.required, ElementsAre("target"));
  EXPECT_FALSE(snap.additional_properties);
  EXPECT_EQ(meta.actions.at("noop").description, "");
  EXPECT_TRUE(meta.actions.at("noop").additional_properties);
}

TEST_F(CharmMetaTest, ConfigOptionTypesAndDefaults) {
  ops::CharmMeta meta = ops::CharmMeta::from_yaml("name: x\n", "",
                                                  "options:\n"
                                                  "  s: {type: string, default: 1.0}\n"
                                                  "  i: {type: int, default: 42}\n"
                                                  "  f: {type: float, default: 2}\n"
                                                  "  g: {type: float, default: 0.25}\n"
                                                  "  b: {type: boolean, default: true}\n"
                                                  "  k: {type: secret, description: a secret}\n");
  EXPECT_EQ(meta.config.at("s").default_value, nlohmann::json("1.0"));
  EXPECT_EQ(meta.config.at("i").default_value, nlohmann::json(42));
  EXPECT_EQ(meta.config.at("f").default_value, nlohmann::json(2.0));
  EXPECT_TRUE(meta.config.at("f").default_value->is_number_float());
  EXPECT_EQ(meta.config.at("g").default_value, nlohmann::json(0.25));
  EXPECT_EQ(meta.config.at("b").default_value, nlohmann::json(true));
  EXPECT_EQ(meta.config.at("k").default_value, std::nullopt);
  EXPECT_EQ(meta.config.at("k").type, "secret");
  EXPECT_EQ(meta.config.at("k").description, "a secret");
}

// The YAML the parser reads as yaml-cpp did: anchors and aliases, quoted
// scalars kept as strings, plain ones typed (hex integers, null spellings),
// block scalars, and only the first document of the file.
TEST_F(CharmMetaTest, YamlAnchorsQuotingBlockScalarsAndFirstDocumentOnly) {
  ops::CharmMeta meta = ops::CharmMeta::from_yaml("name: x\n",
                                                  "base: &common\n"
                                                  "  description: Shared.\n"
                                                  "  params:\n"
                                                  "    mode: {type: string, default: 'null'}\n"
                                                  "    level: {type: integer, default: 0x1F}\n"
                                                  "    note:\n"
                                                  "      type: string\n"
                                                  "      default: |\n"
                                                  "        two\n"
                                                  "        lines\n"
                                                  "    empty: {default: ~}\n"
                                                  "    blank: {default: Null}\n"
                                                  "copy: *common\n"
                                                  "---\n"
                                                  "ignored: {description: second document}\n");
  const nlohmann::json params = nlohmann::json::parse(R"({
      "mode": {"type": "string", "default": "null"},
      "level": {"type": "integer", "default": 31},
      "note": {"type": "string", "default": "two\nlines\n"},
      "empty": {"default": null},
      "blank": {"default": null}})");
  EXPECT_EQ(meta.actions.size(), 2u);
  EXPECT_EQ(meta.actions.at("base").description, "Shared.");
  EXPECT_EQ(meta.actions.at("base").parameters, params);
  EXPECT_EQ(meta.actions.at("copy").description, "Shared.");
  EXPECT_EQ(meta.actions.at("copy").parameters, params);
}

// ---- malformed input: each message names file, line and field ----

TEST_F(CharmMetaTest, MetadataNotAMapping) {
  EXPECT_EQ(metadata_error("- name\n- x\n"),
            "metadata.yaml:1: expected a mapping at the top, got a list");
}

TEST_F(CharmMetaTest, InvalidYamlSyntaxNamesTheLine) {
  EXPECT_EQ(metadata_error("name: x\nsummary: [unclosed\n"),
            "metadata.yaml:3: invalid YAML: while parsing a flow sequence: did not find "
            "expected ',' or ']'");
  EXPECT_EQ(metadata_error("name: x\n  bad: indent\n"),
            "metadata.yaml:2: invalid YAML: mapping values are not allowed in this context");
  EXPECT_EQ(metadata_error("name: *nowhere\n"), "metadata.yaml:1: invalid YAML: unknown anchor");
}

TEST_F(CharmMetaTest, MissingName) {
  EXPECT_EQ(metadata_error("summary: s\n"), "metadata.yaml:1: name: missing (required)");
}

TEST_F(CharmMetaTest, WrongTypeOfField) {
  EXPECT_EQ(metadata_error("name: x\nrequires:\n  db:\n    interface: mysql\n    limit: many\n"),
            "metadata.yaml:5: requires.db.limit: expected an integer, got 'many'");
  EXPECT_EQ(metadata_error("name: x\ntags: database\n"),
            "metadata.yaml:2: tags: expected a list of strings, got a scalar");
  EXPECT_EQ(metadata_error("name: [a, b]\n"),
            "metadata.yaml:1: name: expected a string, got a list");
  EXPECT_EQ(
      metadata_error("name: x\nprovides:\n  db:\n    interface: mysql\n    optional: maybe\n"),
      "metadata.yaml:5: provides.db.optional: expected a boolean (true or false), got "
      "'maybe'");
}

TEST_F(CharmMetaTest, BadRelationSectionValues) {
  EXPECT_EQ(metadata_error("name: x\nrequires:\n  - db\n"),
            "metadata.yaml:3: requires: expected a mapping, got a list");
  EXPECT_EQ(metadata_error("name: x\nprovides:\n  db: [mysql]\n"),
            "metadata.yaml:3: provides.db: expected a mapping with an 'interface' key, got a list");
  EXPECT_EQ(metadata_error("name: x\npeers:\n  cluster:\n    interface: p\n    scope: galaxy\n"),
            "metadata.yaml:5: peers.cluster.scope: expected 'global' or 'container', got "
            "'galaxy'");
  EXPECT_EQ(metadata_error("name: x\nrequires:\n  db:\n    limit: 1\n"),
            "metadata.yaml:4: requires.db.interface: missing (required)");
}

TEST_F(CharmMetaTest, DuplicateEndpointNamesAcrossSections) {
  EXPECT_EQ(metadata_error("name: x\n"
                           "requires:\n"
                           "  db: {interface: mysql}\n"
                           "peers:\n"
                           "  db: {interface: db-peers}\n"),
            "metadata.yaml:5: peers.db: endpoint name 'db' is already declared under "
            "'requires'; endpoint names must be unique");
}

TEST_F(CharmMetaTest, BadStorage) {
  // Juju's grammar (storageCountC): m, m-n, m- or m+; a maximum of 0 is refused.
  EXPECT_EQ(metadata_error("name: x\nstorage:\n  d:\n    type: filesystem\n    multiple:\n"
                           "      range: 3-0\n"),
            "metadata.yaml:6: storage.d.multiple.range: invalid maximum count 0");
  EXPECT_EQ(metadata_error("name: x\nstorage:\n  d: {type: filesystem, multiple: {range: -2}}\n"),
            "metadata.yaml:3: storage.d.multiple.range: value '-2' does not match 'm', 'm-n', "
            "'m-' or 'm+'");
  EXPECT_EQ(metadata_error("name: x\nstorage:\n  d: {type: filesystem, multiple: {range: a-b}}\n"),
            "metadata.yaml:3: storage.d.multiple.range: value 'a-b' does not match 'm', 'm-n', "
            "'m-' or 'm+'");
  EXPECT_EQ(metadata_error("name: x\nstorage:\n  d: {type: filesystem, multiple: {range: 0}}\n"),
            "metadata.yaml:3: storage.d.multiple.range: invalid count 0 (must be at least 1)");
  EXPECT_EQ(metadata_error("name: x\nstorage:\n  d:\n    type: tape\n"),
            "metadata.yaml:4: storage.d.type: expected 'filesystem' or 'block', got 'tape'");
  EXPECT_EQ(metadata_error("name: x\nstorage:\n  d:\n    location: /d\n"),
            "metadata.yaml:4: storage.d.type: missing (required)");
}

TEST_F(CharmMetaTest, ContainerMountOfUndeclaredStorage) {
  EXPECT_EQ(metadata_error("name: x\ncontainers:\n  app:\n    mounts:\n      - storage: nope\n"
                           "        location: /n\n"),
            "metadata.yaml:5: containers.app.mounts[0].storage: no storage named 'nope' is "
            "declared");
}

TEST_F(CharmMetaTest, ContainerOfUndeclaredResource) {
  EXPECT_EQ(metadata_error("name: x\ncontainers:\n  app:\n    resource: img\n"),
            "metadata.yaml:4: containers.app.resource: no resource named 'img' is declared");
}

TEST_F(CharmMetaTest, BadResourceType) {
  EXPECT_EQ(metadata_error("name: x\nresources:\n  r:\n    type: blob\n"),
            "metadata.yaml:4: resources.r.type: expected 'file' or 'oci-image', got 'blob'");
}

TEST_F(CharmMetaTest, BadConfigType) {
  std::string message = error_of([] {
    (void)ops::CharmMeta::from_yaml("name: x\n", "",
                                    "options:\n  n:\n    type: integer\n    default: 1\n");
  });
  EXPECT_EQ(message,
            "config.yaml:3: options.n.type: unknown option type 'integer' (expected string, "
            "int, float, boolean or secret)");
}

TEST_F(CharmMetaTest, ConfigDefaultOfTheWrongType) {
  EXPECT_EQ(error_of([] {
              (void)ops::CharmMeta::from_yaml("name: x\n", "",
                                              "options:\n  n:\n    type: int\n    default: ten\n");
            }),
            "config.yaml:4: options.n.default: expected an integer (the option's type), got 'ten'");
  EXPECT_EQ(error_of([] {
              (void)ops::CharmMeta::from_yaml(
                  "name: x\n", "", "options:\n  n:\n    type: boolean\n    default: \"true\"\n");
            }),
            "config.yaml:4: options.n.default: expected a boolean (true or false), got 'true'");
  EXPECT_EQ(error_of([] {
              (void)ops::CharmMeta::from_yaml("name: x\n", "", "options:\n  n:\n    default: 1\n");
            }),
            "config.yaml:3: options.n.type: missing (required)");
}

TEST_F(CharmMetaTest, ConfigNotAMapping) {
  EXPECT_EQ(error_of([] { (void)ops::CharmMeta::from_yaml("name: x\n", "", "- a\n"); }),
            "config.yaml:1: expected a mapping at the top, got a list");
  EXPECT_EQ(error_of([] { (void)ops::CharmMeta::from_yaml("name: x\n", "", "options: 3\n"); }),
            "config.yaml:1: options: expected a mapping, got a scalar");
}

TEST_F(CharmMetaTest, BadActions) {
  EXPECT_EQ(error_of([] { (void)ops::CharmMeta::from_yaml("name: x\n", "go: [1]\n"); }),
            "actions.yaml:1: go: expected a mapping, got a list");
  EXPECT_EQ(error_of([] {
              (void)ops::CharmMeta::from_yaml("name: x\n",
                                              "go:\n  additionalProperties: sometimes\n");
            }),
            "actions.yaml:2: go.additionalProperties: expected a boolean (true or false), got "
            "'sometimes'");
}

TEST_F(CharmMetaTest, CharmcraftErrorsNameCharmcraftYaml) {
  EXPECT_EQ(error_of([] {
              (void)ops::CharmMeta::from_charmcraft_yaml(
                  "name: x\ntype: charm\nconfig:\n  options:\n    a: {type: text}\n");
            }),
            "charmcraft.yaml:5: config.options.a.type: unknown option type 'text' (expected "
            "string, int, float, boolean or secret)");
}

TEST_F(CharmMetaTest, MalformedFileInCharmDirNamesTheFile) {
  write_text(dir_ / "metadata.yaml", "name: x\n");
  write_text(dir_ / "actions.yaml", "go:\n  description: [not, text]\n");
  EXPECT_EQ(error_of([&] { (void)ops::CharmMeta::from_charm_dir(dir_); }),
            "actions.yaml:2: go.description: expected a string, got a list");
}

// ---- the YAML module's rules, as metadata meets them ----

// Plain scalars are typed by the YAML module's one rule (YAML 1.1 as PyYAML
// reads it, plus YAML 1.2's spellings): 017 is octal, as Python ops reads it.
TEST_F(CharmMetaTest, PlainScalarTypingOfDefaultsAndParams) {
  ops::CharmMeta meta = ops::CharmMeta::from_yaml(
      "name: x\n", "go:\n  params:\n    p: [True, OFF, 0o17, 017, 1e5, .inf, 2024-01-31, '1']\n",
      "options:\n"
      "  o: {type: int, default: 0o17}\n"
      "  d: {type: int, default: 017}\n"
      "  u: {type: int, default: 1_000}\n"
      "  b: {type: boolean, default: Yes}\n"
      "  f: {type: float, default: 1e5}\n"
      "  h: {type: float, default: 0x10}\n");
  EXPECT_EQ(meta.config.at("o").default_value, nlohmann::json(15));
  EXPECT_EQ(meta.config.at("d").default_value, nlohmann::json(15));
  EXPECT_EQ(meta.config.at("u").default_value, nlohmann::json(1000));
  EXPECT_EQ(meta.config.at("b").default_value, nlohmann::json(true));
  EXPECT_EQ(meta.config.at("f").default_value, nlohmann::json(100000.0));
  EXPECT_EQ(meta.config.at("h").default_value, nlohmann::json(16.0));
  const nlohmann::json& p = meta.actions.at("go").parameters.at("p");
  ASSERT_EQ(p.size(), 8u);
  EXPECT_EQ(p[0], nlohmann::json(true));
  EXPECT_EQ(p[1], nlohmann::json(false));
  EXPECT_EQ(p[2], nlohmann::json(15));
  EXPECT_EQ(p[3], nlohmann::json(15));
  EXPECT_EQ(p[4], nlohmann::json(100000.0));
  EXPECT_EQ(p[5], nlohmann::json(std::numeric_limits<double>::infinity()));
  EXPECT_EQ(p[6], nlohmann::json("2024-01-31"));
  EXPECT_EQ(p[7], nlohmann::json("1"));
}

// A mapping key is text by the YAML module's one rule: a null key is
// "null"; a list or mapping as a key is refused, naming the line and field.
TEST_F(CharmMetaTest, MappingKeysMustBeStrings) {
  EXPECT_EQ(metadata_error("name: x\nrequires:\n  ? [a]\n  : {interface: i}\n"),
            "metadata.yaml:3: requires: a mapping key must be a string, not a list");
  EXPECT_EQ(error_of([] {
              (void)ops::CharmMeta::from_yaml("name: x\n",
                                              "go:\n  params:\n    ? {a: b}\n    : x\n");
            }),
            "actions.yaml:3: go.params: a mapping key must be a string, not a mapping");
  ops::CharmMeta meta = ops::CharmMeta::from_yaml("name: x\nrequires:\n  ~: {interface: i}\n",
                                                  "go:\n  params:\n    ~: {type: string}\n");
  EXPECT_EQ(meta.requires_relations.at("null").interface_name, "i");
  EXPECT_EQ(meta.actions.at("go").parameters,
            nlohmann::json::parse(R"({"null": {"type": "string"}})"));
}

TEST_F(CharmMetaTest, LegitimateAliasLoads) {
  ops::CharmMeta meta = ops::CharmMeta::from_yaml(
      "name: x\n"
      "requires:\n"
      "  db: &db {interface: postgresql_client, limit: 1}\n"
      "  replica: *db\n");
  ASSERT_EQ(meta.requires_relations.size(), 2u);
  EXPECT_EQ(meta.requires_relations.at("db").interface_name, "postgresql_client");
  EXPECT_EQ(meta.requires_relations.at("replica").interface_name, "postgresql_client");
  EXPECT_EQ(meta.requires_relations.at("replica").limit, 1);
}

TEST_F(CharmMetaTest, DeepNestingAndBillionLaughsAreRefused) {
  EXPECT_EQ(metadata_error("name: x\nassumes: " + std::string(5000, '[') + "\n"),
            "metadata.yaml:2: invalid YAML: lists and mappings nested deeper than 1000 levels");
  std::string laughs = "a: &a [x, x, x, x, x, x, x, x, x, x]\n";
  for (char level = 'b'; level <= 'i'; ++level) {
    const std::string alias = std::string("*") + static_cast<char>(level - 1);
    laughs += std::string(1, level) + ": &" + level + " [" + alias;
    for (int i = 1; i < 10; ++i) laughs += ", " + alias;
    laughs += "]\n";
  }
  EXPECT_EQ(error_of([&] { (void)ops::CharmMeta::from_yaml("name: x\n", laughs); }),
            "actions.yaml:5: invalid YAML: excessive aliasing: aliases expand to more than "
            "100000 nodes");
}

}  // namespace
