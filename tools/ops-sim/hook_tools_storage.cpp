// ops-sim hook tools: resource-get, open-port, close-port, opened-ports,
// storage-list, storage-get, storage-add.
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <iostream>
#include <map>
#include <set>

#include "hook_tool_context.hpp"
#include "model_changes.hpp"
#include "ops/detail/juju_names.hpp"
#include "output.hpp"
#include "util.hpp"

namespace ops_sim::hook_tool {

namespace {

void resource_get(Ctx& c, const std::vector<std::string>& argv) {
  auto args = parse_args(argv, {{}});
  if (args.pos.size() != 1) throw ToolError("expected exactly one resource name", 2);
  auto app = c.db.require_app(c.app);
  const auto& name = args.pos[0];
  if (!app.charm.resource(name) || !app.resources.contains(name)) {
    throw ToolError("could not download resource: resource#" + c.app + "/" + name + " not found");
  }
  c.out += app.resources[name].get<std::string>() + "\n";
}

// Normalises "80", "80/tcp", "8000-8100/udp" or "icmp" to Juju's form.
std::string normalise_port(const std::string& arg) {
  if (arg == "icmp") return arg;
  std::string range = arg, proto = "tcp";
  if (auto pos = arg.find('/'); pos != std::string::npos) {
    range = arg.substr(0, pos);
    proto = arg.substr(pos + 1);
  }
  if (proto != "tcp" && proto != "udp") {
    throw ToolError("invalid protocol \"" + proto + "\", expected \"tcp\", \"udp\", or \"icmp\"");
  }
  auto parts = split(range, '-');
  if (parts.size() > 2) throw ToolError("invalid port \"" + arg + "\"");
  for (const auto& p : parts) {
    auto n = parse_int(p);
    if (!n || *n < 1 || *n > 65535) {
      throw ToolError("invalid port \"" + arg + "\": port must be between 1 and 65535");
    }
  }
  return range + "/" + proto;
}

void open_close_port(Ctx& c, const std::vector<std::string>& argv, bool open) {
  auto args = parse_args(argv, {{{"endpoints", true}, {"format", true}}});
  if (args.pos.size() != 1) throw ToolError("expected exactly one port", 2);
  c.ops.push_back({{"op", open ? "open-port" : "close-port"},
                   {"unit", c.unit},
                   {"port", normalise_port(args.pos[0])}});
}

void opened_ports(Ctx& c, const std::vector<std::string>& argv) {
  auto args = parse_args(argv, {{{"endpoints", false}, {"format", true}}});
  json out = json::array();
  for (const auto& p : c.db.ports(c.unit)) out.push_back(args.flag("endpoints") ? p + " (*)" : p);
  c.print(out, args);
}

// ---- storage ----

std::string storage_location(Ctx& c, const std::string& id) {
  SQLite::Statement q(c.db.sql(), "SELECT location FROM storage WHERE id = ? AND unit = ?");
  q.bind(1, id);
  q.bind(2, c.unit);
  if (!q.executeStep())
    throw ToolError("invalid value \"" + id + "\" for option -s: storage not found");
  return q.getColumn(0).getString();
}

void storage_list(Ctx& c, const std::vector<std::string>& argv) {
  auto args = parse_args(argv, {{{"format", true}}});
  SQLite::Statement q(c.db.sql(), "SELECT id, name FROM storage WHERE unit = ? ORDER BY id");
  q.bind(1, c.unit);
  json out = json::array();
  while (q.executeStep()) {
    if (args.pos.empty() || q.getColumn(1).getString() == args.pos[0]) {
      out.push_back(q.getColumn(0).getString());
    }
  }
  c.print(out, args);
}

void storage_get(Ctx& c, const std::vector<std::string>& argv) {
  auto args = parse_args(argv, {{{"format", true}, {"storage", true}}, {{"s", "storage"}}});
  std::string id = args.get("storage", c.storage_id);
  if (id.empty()) throw ToolError("no storage instance specified");
  const auto location = storage_location(c, id);
  auto app = c.db.require_app(c.app);
  std::string kind = "filesystem";
  for (const auto& s : app.charm.storage) {
    if (s.name == split(id, '/')[0]) kind = s.type;
  }
  json out = {{"kind", kind}, {"location", location}};
  if (!args.pos.empty()) {
    if (!out.contains(args.pos[0]))
      throw ToolError("invalid storage attribute \"" + args.pos[0] + "\"");
    c.print(out[args.pos[0]], args);
  } else {
    c.print(out, args);
  }
}

void storage_add(Ctx& c, const std::vector<std::string>& argv) {
  auto args = parse_args(argv, {{}});
  if (args.pos.empty()) throw ToolError("storage add requires a storage directive", 2);
  auto app = c.db.require_app(c.app);
  for (const auto& directive : args.pos) {
    auto parts = split(directive, '=');
    const auto name = parts[0];
    long long count = 1;
    if (parts.size() == 2) {
      auto n = parse_int(parts[1]);
      if (!n || *n < 1) throw ToolError("invalid storage count in \"" + directive + "\"");
      count = *n;
    }
    bool declared = false;
    for (const auto& s : app.charm.storage) declared |= s.name == name;
    if (!declared) throw ToolError("storage \"" + name + "\" not found");
    // Instance numbers continue after the highest one (including this run's).
    long long next = 0;
    {
      SQLite::Statement q(c.db.sql(), "SELECT id FROM storage WHERE name = ?");
      q.bind(1, name);
      while (q.executeStep()) {
        auto id = q.getColumn(0).getString();
        next = std::max(next, parse_int(id.substr(id.rfind('/') + 1)).value_or(0) + 1);
      }
      for (const auto& op : c.ops) {
        if (op.value("name", "") == name) ++next;
      }
    }
    for (long long i = 0; i < count; ++i) {
      const auto n = next + i;
      const auto id = name + "/" + std::to_string(n);
      const auto location = c.db.dir() / "units" /
                            (c.app + "-" + std::to_string(unit_number(c.unit))) / "storage" /
                            (name + "-" + std::to_string(n));
      c.ops.push_back({{"op", "storage-add"},
                       {"id", id},
                       {"unit", c.unit},
                       {"name", name},
                       {"location", location.string()}});
    }
  }
}

}  // namespace

void add_storage_tools(ToolTable& tools) {
  tools.insert({
      {"close-port", [](Ctx& c, const auto& a) { open_close_port(c, a, false); }},
      {"open-port", [](Ctx& c, const auto& a) { open_close_port(c, a, true); }},
      {"opened-ports", opened_ports},
      {"resource-get", resource_get},
      {"storage-add", storage_add},
      {"storage-get", storage_get},
      {"storage-list", storage_list},
  });
}

}  // namespace ops_sim::hook_tool
