// The version of Juju running the charm, and what that version supports.
//
// JujuVersion parses the JUJU_VERSION strings Juju sets ("3.4.2",
// "2.9-beta1", "3.1.6.1", "2.9-rc2.3"), orders them the way Juju releases
// are ordered (a tagged pre-release sorts before the plain release of the same
// major.minor), and answers feature questions ("does this Juju have
// secrets?") so a charm never compares version numbers by hand. A malformed
// string throws ops::JujuContextError naming it.
#pragma once

#include <compare>
#include <ostream>
#include <string>
#include <string_view>

namespace ops {

class JujuVersion {
 public:
  // Parses "MAJOR.MINOR[.PATCH|-TAGPATCH][.BUILD]"; throws JujuContextError.
  explicit JujuVersion(std::string_view version);

  // The version Juju sets when JUJU_VERSION is absent (meter-status-changed).
  static JujuVersion unknown() { return JujuVersion("0.0.0"); }

  int major() const noexcept { return major_; }
  int minor() const noexcept { return minor_; }
  // The pre-release tag ("beta" in "2.9-beta1"), empty for a release.
  const std::string& tag() const noexcept { return tag_; }
  int patch() const noexcept { return patch_; }
  int build() const noexcept { return build_; }

  // Canonical text: "3.4.2", "2.9-beta1", "3.1.6.1".
  [[nodiscard]] std::string to_string() const;

  // Release order: major, minor, then tagged < untagged (tags compared as
  // text), then patch, then build.
  std::strong_ordering operator<=>(const JujuVersion& other) const;
  bool operator==(const JujuVersion& other) const;

  // Application relation data (Juju >= 2.7.0).
  [[nodiscard]] bool has_app_data() const;
  // The dispatch script instead of per-hook symlinks (Juju >= 2.8.0).
  [[nodiscard]] bool is_dispatch_aware() const;
  // Controller-side state storage (Juju >= 2.8.0).
  [[nodiscard]] bool has_controller_storage() const;
  // Usable secrets: secret-get --refresh and secret-info-get (Juju >= 3.0.3).
  [[nodiscard]] bool has_secrets() const;
  // open-port/close-port on Kubernetes (Juju >= 3.0.3).
  bool supports_open_port_on_k8s() const;
  // Pebble exec's service-context option (3.1.6+, but not 3.2.0).
  [[nodiscard]] bool supports_exec_service_context() const;
  // Pebble log forwarding targets (Juju >= 3.4.0).
  [[nodiscard]] bool supports_pebble_log_forwarding() const;

 private:
  [[nodiscard]] bool at_least(int major, int minor, int patch) const;

  int major_ = 0;
  int minor_ = 0;
  std::string tag_;
  int patch_ = 0;
  int build_ = 0;
};

// Prints to_string(); lets tests show versions in failure messages.
std::ostream& operator<<(std::ostream& out, const JujuVersion& version);

}  // namespace ops
