// The value types the Model (model.hpp) shares with the hook tools
// (hookcmds.hpp) and the testing backends: an opened port, a secret's
// rotation policy, metadata and attributes, and a binding's network. Plain
// values, so that model.hpp does not need the hook tools' declarations.
#pragma once

#include <chrono>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace ops {

// A port (or ICMP) opened for the unit. `port` is empty for ICMP.
struct Port {
  std::string protocol;  // "tcp", "udp" or "icmp"
  std::optional<int> port;

  auto operator<=>(const Port&) const = default;
};
// "8080/tcp" or "icmp".
[[nodiscard]] std::string to_string(const Port& port);
std::ostream& operator<<(std::ostream& out, const Port& port);

// How often Juju asks the owner to rotate a secret.
enum class SecretRotate { kNever, kHourly, kDaily, kWeekly, kMonthly, kQuarterly, kYearly };
// "never", "hourly", ... as the hook tools spell them.
[[nodiscard]] std::string to_string(SecretRotate rotate);
// Parses "never", "hourly", ...; throws ModelError for anything else.
SecretRotate secret_rotate_from_string(std::string_view text);

// A secret's metadata, as secret-info-get reports it (times in RFC 3339).
struct SecretInfo {
  std::string id;  // "secret:..."
  std::optional<std::string> label;
  int revision = 0;
  std::optional<std::string> expires;
  std::optional<SecretRotate> rotation;
  std::optional<std::string> rotates;
  std::optional<std::string> description;

  bool operator==(const SecretInfo&) const = default;
};

// One address of one network interface from network-get.
struct NetworkInterface {
  std::string name;     // e.g. "eth0"
  std::string address;  // e.g. "10.1.2.3"
  std::string subnet;   // CIDR, e.g. "10.1.2.0/24" ("" when Juju gave none)

  bool operator==(const NetworkInterface&) const = default;
};

// network-get's answer for one binding.
struct Network {
  std::vector<NetworkInterface> interfaces;
  std::vector<std::string> ingress_addresses;
  std::vector<std::string> egress_subnets;

  // The first interface's address: where the unit should listen.
  std::optional<std::string> bind_address() const;
  // The first ingress address: what the unit tells others to connect to.
  std::optional<std::string> ingress_address() const;
  // Parses network-get's JSON; throws ModelError on a malformed document.
  static Network from_json(const nlohmann::json& doc);

  bool operator==(const Network&) const = default;
};

namespace hookcmds {

// Optional attributes for secret-add / secret-set.
struct SecretAttributes {
  std::optional<std::string> label = std::nullopt;
  std::optional<std::string> description = std::nullopt;
  std::optional<std::chrono::system_clock::time_point> expire = std::nullopt;
  std::optional<SecretRotate> rotate = std::nullopt;
};

}  // namespace hookcmds
}  // namespace ops
