// The `grafana_dashboard` interface, provider side: hands a related Grafana
// (canonical/grafana-k8s-operator's GrafanaDashboardConsumer) the charm's
// dashboards, as the Python library charms.grafana_k8s.v0.grafana_dashboard
// does.
//
// The leader writes, in the application databag of every `grafana-dashboard`
// relation, `dashboards` = JSON
//   {"templates": {"file:<stem>": {"charm": <charm name>,
//                                  "content": base64(xz(dashboard JSON)),
//                                  "juju_topology": {model, model_uuid, application, unit},
//                                  "inject_dropdowns": true,
//                                  "dashboard_alt_uid": <16 hex>}, ...},
//    "uuid": <a fresh UUID4, so every publication is a change>}
// from the `.json`, `.json.tmpl` and `.tmpl` files of dashboards_path. Before
// compressing, each dashboard gets a stable `uid` (SHAKE-256 of
// "<charm>-<path relative to the charm dir>", 40 hex, unless it already has
// such a uid) and the tag "charm: <charm>", as the Python library does.
// "content" is the xz container (LZMA2, CRC64, preset 6) of the JSON text,
// base64-encoded: what Python's lzma.decompress(base64.b64decode(...)) reads.
//
// Published on leader-elected, upgrade-charm, config-changed and the
// relation's created, joined and changed events.
//
// Usage:
//
//   MyCharm(ops::Framework& fw) : CharmBase(fw, "MyCharm"), dashboards_(*this) {}
//   charms::grafana_k8s::v0::GrafanaDashboardProvider dashboards_;
//
// with `provides: {grafana-dashboard: {interface: grafana_dashboard}}` and
// dashboards in <charm dir>/grafana_dashboards/.
//
// Errors: the constructor throws ops::FrameworkError when the charm does not
// provide the endpoint with interface grafana_dashboard; a dashboard file
// that is not a JSON object is logged and skipped.
#pragma once

#include <filesystem>
#include <string>

#include <nlohmann/json.hpp>

#include "charms/observability_libs/v0/juju_topology.hpp"
#include "ops/charm.hpp"
#include "ops/framework.hpp"

namespace charms::grafana_k8s::v0 {

inline constexpr const char* LIBID = "c49eb9c7dfef40c7b6235ebd67010a3f";
inline constexpr int LIBAPI = 0;
inline constexpr int LIBPATCH = 1;

inline constexpr const char* kDefaultRelationName = "grafana-dashboard";
inline constexpr const char* kRelationInterface = "grafana_dashboard";
inline constexpr const char* kDefaultDashboardsPath = "grafana_dashboards";

// base64(xz(text)) and back (Python cosl's LZMABase64). decompress throws
// ops::Error on bad base64 or a corrupt stream.
std::string lzma_base64_compress(const std::string& text);
std::string lzma_base64_decompress(const std::string& encoded);

// SHAKE-256 of `text` as hex, `bytes` bytes long (Python's
// hashlib.shake_256(text).hexdigest(bytes)).
std::string shake_256_hex(const std::string& text, std::size_t bytes);

struct GrafanaDashboardOptions {
  std::string relation_name = kDefaultRelationName;
  // A directory of dashboards, relative to the charm directory unless absolute.
  std::filesystem::path dashboards_path = kDefaultDashboardsPath;
  bool inject_dropdowns = true;
};

class GrafanaDashboardProvider : public ops::Object {
 public:
  explicit GrafanaDashboardProvider(ops::CharmBase& charm, GrafanaDashboardOptions options = {});

  // The `templates` object built from the dashboards directory.
  nlohmann::json dashboard_templates() const;
  // Rereads the dashboards and, on the leader, republishes them.
  void update_dashboards();

  // Handler (public so the framework can name it; not for charm code).
  void on_refresh(ops::HookEvent& event);

 private:
  ops::CharmBase& charm_;
  GrafanaDashboardOptions options_;
};

}  // namespace charms::grafana_k8s::v0
