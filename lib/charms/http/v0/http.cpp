// The `http` interface library: HttpProvides, HttpRequires.
#include "charms/http/v0/http.hpp"

#include <algorithm>
#include <stdexcept>

#include "ops/log.hpp"

namespace charms::http::v0 {

namespace {

// The value as a plain string: a JSON string decoded, anything else as sent.
std::optional<std::string> text_value(const reactive::v0::RelatedUnit& unit, const char* key) {
  auto raw = unit.received_raw().get(key);
  if (!raw || raw->empty()) return std::nullopt;
  nlohmann::json decoded = reactive::v0::decode_json(*raw);
  if (decoded.is_string()) return decoded.get<std::string>();
  return raw;
}

// A port in 1..65535 from "8080", 8080 or "\"8080\"".
std::optional<int> port_value(const std::string& text) {
  if (text.empty() || text.size() > 5 ||
      !std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return std::nullopt;
  }
  const int port = std::stoi(text);
  if (port < 1 || port > 65535) return std::nullopt;
  return port;
}

}  // namespace

// ------------------------------------------------------------ HttpProvides

HttpProvides::HttpProvides(ops::CharmBase& charm, const std::string& endpoint_name)
    : Endpoint(charm, endpoint_name, "HttpProvides") {}

void HttpProvides::publish_info(int port, const std::optional<std::string>& hostname) {
  if (port < 1 || port > 65535) {
    throw std::invalid_argument("http publish_info: port " + std::to_string(port) +
                                " is not in 1..65535");
  }
  if (hostname && hostname->empty()) {
    throw std::invalid_argument("http publish_info: the hostname is empty");
  }
  ops::Model& model = charm().framework().model();
  for (ops::Relation* relation : relations()) {
    auto ingress = model.get_binding(*relation).network().ingress_address();
    if (!ingress) {
      throw ops::ModelError("http publish_info: Juju reports no ingress address for relation " +
                            endpoint_name() + ":" + std::to_string(relation->id()));
    }
    ops::RelationDataContent& bag = to_publish_raw(*relation);
    bag.set(kHostnameKey, hostname.value_or(*ingress));
    bag.set(kPortKey, std::to_string(port));
    bag.set(kPrivateAddressKey, *ingress);
  }
}

// ------------------------------------------------------------ HttpRequires

HttpRequires::HttpRequires(ops::CharmBase& charm, const std::string& endpoint_name)
    : Endpoint(charm, endpoint_name, "HttpRequires"),
      websites_changed_(on.define_event<WebsitesChangedEvent>("websites_changed")) {
  ops::Framework& fw = framework();
  fw.observe<&HttpRequires::on_endpoint_changed>(on.changed, *this);
  fw.observe<&HttpRequires::on_unit_gone>(on.departed, *this);
  fw.observe<&HttpRequires::on_unit_gone>(on.broken, *this);
}

void HttpRequires::on_endpoint_changed(reactive::v0::EndpointChangedEvent&) {
  // As the seed's interface layer: translate changed.hostname/changed.port
  // into the interface's own signal and clear them to see further changes.
  if (!is_changed(kHostnameKey) && !is_changed(kPortKey)) return;
  clear_changed(kHostnameKey);
  clear_changed(kPortKey);
  websites_changed_.emit();
}

void HttpRequires::on_unit_gone(reactive::v0::EndpointEvent&) { websites_changed_.emit(); }

std::vector<Website> HttpRequires::websites() const {
  std::vector<Website> out;
  for (const reactive::v0::RelatedUnit& unit : all_joined_units()) {
    auto hostname = text_value(unit, kHostnameKey);
    auto port_text = text_value(unit, kPortKey);
    if (!hostname || !port_text) continue;
    auto port = port_value(*port_text);
    if (!port) {
      ops::log::warning("http: " + unit.unit_name() + " on relation " + endpoint_name() + ":" +
                        std::to_string(unit.relation_id()) + " published port '" + *port_text +
                        "', not a port number; its site is left out");
      continue;
    }
    out.push_back(Website{*hostname, *port, unit.relation_id(), unit.unit_name()});
  }
  return out;
}

}  // namespace charms::http::v0
