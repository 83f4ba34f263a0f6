// The reference charm's handler names: see python_aliases.hpp.
#include "python_aliases.hpp"

namespace redis_k8s {

const std::vector<ops::PythonHandlerAlias>& python_handler_aliases() {
  static const std::vector<ops::PythonHandlerAlias> kAliases = [] {
    const std::string charm = "RedisK8sCharm";
    std::vector<ops::PythonHandlerAlias> aliases = {
        {charm, "_redis_pebble_ready", charm, "on_redis_pebble_ready"},
        {charm, "_leader_elected", charm, "on_leader_elected"},
        {charm, "_config_changed", charm, "on_config_changed"},
        {charm, "_upgrade_charm", charm, "on_upgrade_charm"},
        {charm, "_update_status", charm, "on_update_status"},
        {charm, "_on_redis_relation_created", charm, "on_redis_relation_created"},
        {charm, "_peer_relation_changed", charm, "on_peer_relation_changed"},
        {charm, "_peer_relation_departed", charm, "on_peer_relation_departed"},
        // Actions cannot be deferred; listed so that the table is the whole map.
        {charm, "check_service", charm, "on_check_service_action"},
        {charm, "_get_password_action", charm, "on_get_initial_admin_password_action"},
        {charm, "_get_sentinel_password_action", charm, "on_get_sentinel_password_action"},
        // The reference's Sentinel object (src/sentinel.py) observes sentinel-pebble-ready.
        {charm + "/Sentinel[sentinel]", "_sentinel_pebble_ready", charm,
         "on_sentinel_pebble_ready"},
        // charms.redis_k8s.v0.redis: same object path in both charms.
        {charm + "/RedisProvides[redis]", "_on_relation_changed", charm + "/RedisProvides[redis]",
         "on_relation_changed"},
    };
    return aliases;
  }();
  return kAliases;
}

void declare_python_aliases(ops::Framework& framework) {
  framework.add_python_aliases(python_handler_aliases());
}

}  // namespace redis_k8s
