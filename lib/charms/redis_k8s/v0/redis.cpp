// The `redis` interface library: RedisRequires, RedisProvides.
#include "charms/redis_k8s/v0/redis.hpp"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <memory>

#include "ops/log.hpp"
#include "ops/model.hpp"

namespace charms::redis_k8s::v0 {

namespace {

constexpr const char* kUpdatedKind = "redis_relation_updated";

std::optional<std::string> non_empty(std::optional<std::string> value) {
  if (value && value->empty()) return std::nullopt;
  return value;
}

}  // namespace

ops::EventSource<RedisRelationUpdatedEvent>& redis_relation_updated(ops::CharmBase& charm) {
  if (charm.on.find(kUpdatedKind) != nullptr) {
    return charm.on.get<RedisRelationUpdatedEvent>(kUpdatedKind);
  }
  return charm.on.define_event<RedisRelationUpdatedEvent>(kUpdatedKind);
}

// ------------------------------------------------------------- RedisRequires

RedisRequires::RedisRequires(ops::CharmBase& charm, const std::string& relation_name,
                             bool auth_capable)
    : ops::Object(charm, "RedisRequires", relation_name),
      charm_(charm),
      relation_name_(relation_name),
      auth_capable_(auth_capable),
      updated_(redis_relation_updated(charm)) {
  const ops::RelationEndpointEvents& events = charm.on[relation_name];
  ops::Framework& fw = framework();
  fw.observe<&RedisRequires::on_relation_changed>(events.relation_joined, *this);
  fw.observe<&RedisRequires::on_relation_changed>(events.relation_changed, *this);
  fw.observe<&RedisRequires::on_relation_broken>(events.relation_broken, *this);
  if (auth_capable_) {
    fw.observe<&RedisRequires::on_announce>(events.relation_created, *this);
    fw.observe<&RedisRequires::on_announce>(events.relation_joined, *this);
    fw.observe<&RedisRequires::on_announce>(charm.on.leader_elected, *this);
    fw.observe<&RedisRequires::on_announce>(charm.on.upgrade_charm, *this);
  }
}

void RedisRequires::on_announce(ops::HookEvent&) {
  if (!charm_.unit().is_leader()) return;
  for (ops::Relation* relation : charm_.framework().model().relations(relation_name_)) {
    ops::RelationDataContent& bag = relation->data(charm_.app());
    if (bag.get(kAuthCapableKey) != "true") bag.set(kAuthCapableKey, "true");
  }
}

void RedisRequires::on_relation_changed(ops::RelationEvent& event) {
  // Only a unit publishes connection details; application-level changes
  // carry nothing this side reacts to.
  if (!event.unit_name()) return;
  updated_.emit();
}

void RedisRequires::on_relation_broken(ops::RelationBrokenEvent&) { updated_.emit(); }

std::optional<std::map<std::string, std::string>> RedisRequires::app_data() {
  ops::Relation* relation = charm_.framework().model().get_relation(relation_name_);
  if (relation == nullptr) return std::nullopt;
  ops::Application* app = relation->app();
  if (app == nullptr) return std::nullopt;
  return relation->data(*app).as_map();
}

std::optional<std::map<std::string, std::string>> RedisRequires::relation_data() {
  ops::Relation* relation = charm_.framework().model().get_relation(relation_name_);
  if (relation == nullptr || relation->units().empty()) return std::nullopt;
  return relation->data(*relation->units().front()).as_map();
}

std::optional<std::string> RedisRequires::url() {
  auto unit_data = relation_data();
  if (!unit_data) return std::nullopt;
  std::string host;
  if (auto it = unit_data->find("hostname"); it != unit_data->end()) host = it->second;
  if (auto app = app_data()) {
    if (auto it = app->find("leader-host"); it != app->end() && !it->second.empty()) {
      host = it->second;
    }
  }
  auto port = unit_data->find("port");
  if (host.empty() || port == unit_data->end() || port->second.empty()) return std::nullopt;
  return "redis://" + host + ":" + port->second;
}

bool RedisRequires::is_available() {
  for (ops::Relation* relation : charm_.framework().model().relations(relation_name_)) {
    for (ops::Unit* unit : relation->units()) {
      if (non_empty(relation->data(*unit).get("port"))) return true;
    }
  }
  return false;
}

std::vector<RedisUnitData> RedisRequires::units() {
  std::vector<RedisUnitData> out;
  for (ops::Relation* relation : charm_.framework().model().relations(relation_name_)) {
    for (ops::Unit* unit : relation->units()) {
      ops::RelationDataContent& bag = relation->data(*unit);
      auto host = non_empty(bag.get("host"));
      if (!host) host = non_empty(bag.get("hostname"));
      auto port = non_empty(bag.get("port"));
      if (!host || !port) continue;
      out.push_back(RedisUnitData{unit->name(), relation->id(), *host, *port,
                                  non_empty(bag.get("password"))});
    }
  }
  return out;
}

// ------------------------------------------------------------- RedisProvides

RedisProvides::RedisProvides(ops::CharmBase& charm, int port, AddressSource master_address,
                             PasswordSource password)
    : ops::Object(charm, "RedisProvides", kDefaultRelationName),
      charm_(charm),
      port_(port),
      master_address_(std::move(master_address)),
      password_(std::move(password)) {
  if (!master_address_) {
    throw ops::FrameworkError("RedisProvides needs a source of the master's address");
  }
  framework().observe<&RedisProvides::on_relation_changed>(
      charm.on[kDefaultRelationName].relation_changed, *this);
}

bool RedisProvides::publish(ops::Relation& relation) {
  const std::optional<std::string> address = master_address_();
  if (!address || address->empty()) {
    ops::log::warning("redis relation " + std::to_string(relation.id()) +
                      ": the master's address is not known yet; nothing published");
    return false;
  }
  ops::RelationDataContent& bag = relation.data(charm_.unit());
  std::map<std::string, std::string> values{
      {"hostname", *address}, {"host", *address}, {"port", std::to_string(port_)}};
  // An empty value deletes the key: a password that went away is withdrawn.
  values["password"] = password_ ? password_().value_or("") : "";
  bag.update(values);
  return true;
}

void RedisProvides::on_relation_changed(ops::RelationChangedEvent& event) {
  publish(event.relation());
}

void RedisProvides::publish_all() {
  for (ops::Relation* relation : charm_.framework().model().relations(kDefaultRelationName)) {
    if (relation->active()) publish(*relation);
  }
}

bool RedisProvides::is_legacy(ops::Relation& relation) {
  if (relation.units().empty()) return false;  // nobody to serve yet
  ops::Application* remote = relation.app();
  if (remote == nullptr) return true;
  return relation.data(*remote).get(kAuthCapableKey) != "true";
}

bool RedisProvides::any_legacy(std::optional<int> excluded) {
  for (ops::Relation* relation : charm_.framework().model().relations(kDefaultRelationName)) {
    if (relation->id() == excluded || !relation->active()) continue;
    if (is_legacy(*relation)) return true;
  }
  return false;
}

std::string resolve_ipv4(const std::string& hostname) {
  in_addr literal{};
  if (::inet_pton(AF_INET, hostname.c_str(), &literal) == 1) return hostname;
  addrinfo hints{};
  hints.ai_family = AF_INET;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* raw = nullptr;
  int rc = ::getaddrinfo(hostname.c_str(), nullptr, &hints, &raw);
  if (rc != 0 || raw == nullptr) {
    throw ops::Error("cannot resolve host '" + hostname + "': " + ::gai_strerror(rc));
  }
  std::unique_ptr<addrinfo, void (*)(addrinfo*)> addresses(raw, ::freeaddrinfo);
  char text[INET_ADDRSTRLEN] = {};
  const auto* address = reinterpret_cast<const sockaddr_in*>(raw->ai_addr);
  ::inet_ntop(AF_INET, &address->sin_addr, text, sizeof text);
  return text;
}

}  // namespace charms::redis_k8s::v0
