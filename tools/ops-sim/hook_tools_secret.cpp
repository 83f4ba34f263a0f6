// ops-sim hook tools: secret-add, secret-get, secret-info-get, secret-set,
// secret-remove, secret-grant, secret-revoke, secret-ids.
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

struct SecretRow {
  std::string id, owner, label, description, rotate, expire;
  int revision = 0;
  json revisions;
};

// "secret:xid", "secret://uuid/xid" or "xid" -> "xid".
std::string secret_xid(const std::string& ref) {
  auto pos = ref.rfind('/');
  if (pos != std::string::npos) return ref.substr(pos + 1);
  if (ref.rfind("secret:", 0) == 0) return ref.substr(7);
  return ref;
}

std::optional<SecretRow> find_secret(Ctx& c, const std::string& xid) {
  SQLite::Statement q(c.db.sql(),
                      "SELECT id, owner, label, description, rotate, expire, revision, content "
                      "FROM secrets WHERE id = ?");
  q.bind(1, xid);
  if (!q.executeStep()) return std::nullopt;
  SecretRow s{q.getColumn(0).getString(), q.getColumn(1).getString(),
              q.getColumn(2).getString(), q.getColumn(3).getString(),
              q.getColumn(4).getString(), q.getColumn(5).getString(),
              q.getColumn(6).getInt(),    json::parse(q.getColumn(7).getString())};
  return s;
}

bool owns(Ctx& c, const SecretRow& s) { return s.owner == c.app || s.owner == c.unit; }

// Resolves the secret named by an id and/or a label (owner or consumer label).
SecretRow lookup_secret(Ctx& c, const std::string& id, const std::string& label) {
  const std::string shown = id.empty() ? label : id;
  if (!id.empty()) {
    auto s = find_secret(c, secret_xid(id));
    if (!s) throw ToolError("secret \"" + shown + "\" not found");
    return *s;
  }
  if (label.empty()) throw ToolError("require either a secret URI or label", 2);
  SQLite::Statement q(c.db.sql(),
                      "SELECT id FROM secrets WHERE label = ? AND (owner = ? OR owner = ?)");
  q.bind(1, label);
  q.bind(2, c.app);
  q.bind(3, c.unit);
  if (q.executeStep()) return *find_secret(c, q.getColumn(0).getString());
  SQLite::Statement q2(c.db.sql(),
                       "SELECT secret_id FROM secret_consumers WHERE label = ? AND unit = ?");
  q2.bind(1, label);
  q2.bind(2, c.unit);
  if (q2.executeStep()) {
    if (auto s = find_secret(c, q2.getColumn(0).getString())) return *s;
  }
  throw ToolError("secret \"" + shown + "\" not found");
}

bool has_access(Ctx& c, const SecretRow& s) {
  if (owns(c, s)) return true;
  SQLite::Statement q(
      c.db.sql(),
      "SELECT 1 FROM secret_access WHERE secret_id = ? AND (grantee = ? OR grantee = ?)");
  q.bind(1, s.id);
  q.bind(2, c.app);
  q.bind(3, c.unit);
  return q.executeStep();
}

std::map<std::string, std::string> secret_content_args(const std::vector<std::string>& pos,
                                                       size_t first) {
  std::map<std::string, std::string> content;
  for (size_t i = first; i < pos.size(); ++i) {
    const auto& p = pos[i];
    auto eq = p.find('=');
    if (eq == std::string::npos) throw ToolError("key value \"" + p + "\" not valid", 2);
    std::string key = p.substr(0, eq);
    std::string value = p.substr(eq + 1);
    if (auto hash = key.find('#'); hash != std::string::npos) {
      const auto how = key.substr(hash + 1);
      key = key.substr(0, hash);
      if (how == "file") {
        value = read_file(value);
      } else if (how != "base64") {
        throw ToolError("invalid secret key suffix \"#" + how + "\"", 2);
      }
    }
    if (!ops::detail::is_secret_content_key(key))
      throw ToolError("invalid secret key \"" + key + "\"");
    content[key] = value;
  }
  return content;
}

FlagSpec secret_write_flags() {
  return {{{"label", true},
           {"description", true},
           {"expire", true},
           {"rotate", true},
           {"owner", true},
           {"file", true}}};
}

void secret_add(Ctx& c, const std::vector<std::string>& argv) {
  auto args = parse_args(argv, secret_write_flags());
  const std::string owner_kind = args.get("owner", "application");
  if (owner_kind != "application" && owner_kind != "unit") {
    throw ToolError("secret owner \"" + owner_kind + "\" not valid", 2);
  }
  if (owner_kind == "application" && !c.is_leader()) {
    throw ToolError("cannot create application secret: this unit is not the leader");
  }
  auto content = secret_content_args(args.pos, 0);
  if (content.empty()) throw ToolError("missing secret value", 2);
  static const char* kXid = "0123456789abcdefghijklmnopqrstuv";
  std::string xid;
  for (char h : random_hex(20)) xid += kXid[(h <= '9' ? h - '0' : h - 'a' + 10) * 2 % 32];
  xid[0] = 'c';
  c.ops.push_back({{"op", "secret-add"},
                   {"id", xid},
                   {"owner", owner_kind == "unit" ? c.unit : c.app},
                   {"label", args.get("label")},
                   {"description", args.get("description")},
                   {"rotate", args.get("rotate", "never")},
                   {"expire", args.get("expire")},
                   {"content", content}});
  c.out += "secret:" + xid + "\n";
}

void secret_get(Ctx& c, const std::vector<std::string>& argv) {
  auto args =
      parse_args(argv, {{{"format", true}, {"label", true}, {"refresh", false}, {"peek", false}}});
  const std::string id = args.pos.empty() ? "" : args.pos[0];
  auto s = lookup_secret(c, id, id.empty() ? args.get("label") : "");
  if (!has_access(c, s))
    throw ToolError("secret \"" + (id.empty() ? args.get("label") : id) + "\" not found");
  int revision = s.revision;
  if (owns(c, s)) {
    if (!id.empty() && args.has("label")) {
      c.ops.push_back({{"op", "secret-set"}, {"id", s.id}, {"label", args.get("label")}});
    }
  } else {
    SQLite::Statement q(
        c.db.sql(),
        "SELECT revision, label FROM secret_consumers WHERE secret_id = ? AND unit = ?");
    q.bind(1, s.id);
    q.bind(2, c.unit);
    std::optional<int> tracked;
    std::string label = args.get("label");
    if (q.executeStep()) {
      tracked = q.getColumn(0).getInt();
      if (label.empty() || id.empty()) label = q.getColumn(1).getString();
    }
    if (args.flag("peek")) {
      revision = s.revision;
    } else if (!tracked || args.flag("refresh") || label != args.get("label", label)) {
      revision = (!tracked || args.flag("refresh")) ? s.revision : *tracked;
      c.ops.push_back({{"op", "secret-track"},
                       {"id", s.id},
                       {"unit", c.unit},
                       {"label", label},
                       {"revision", revision}});
    } else {
      revision = *tracked;
    }
  }
  const auto key = std::to_string(revision);
  if (!s.revisions.contains(key)) throw ToolError("secret revision " + key + " not found");
  c.print(s.revisions[key], args);
}

void secret_info_get(Ctx& c, const std::vector<std::string>& argv) {
  auto args = parse_args(argv, {{{"format", true}, {"label", true}}});
  const std::string id = args.pos.empty() ? "" : args.pos[0];
  auto s = lookup_secret(c, id, args.get("label"));
  if (!owns(c, s))
    throw ToolError("secret \"" + (id.empty() ? args.get("label") : id) + "\" not found");
  json info = {{"revision", s.revision},
               {"label", s.label},
               {"owner", s.owner == c.app ? "application" : "unit"},
               {"rotation", s.rotate}};
  if (!s.description.empty()) info["description"] = s.description;
  if (!s.expire.empty()) info["expiry"] = s.expire;
  c.print(json{{s.id, info}}, args);
}

SecretRow owned_secret(Ctx& c, const std::string& id) {
  auto s = lookup_secret(c, id, "");
  if (!owns(c, s)) throw ToolError("secret \"" + id + "\" not found");
  if (s.owner == c.app && !c.is_leader()) {
    throw ToolError("cannot change application secret \"" + id + "\": this unit is not the leader");
  }
  return s;
}

void secret_set(Ctx& c, const std::vector<std::string>& argv) {
  auto args = parse_args(argv, secret_write_flags());
  if (args.pos.empty()) throw ToolError("missing secret URI", 2);
  auto s = owned_secret(c, args.pos[0]);
  json op = {{"op", "secret-set"}, {"id", s.id}};
  for (const char* f : {"label", "description", "rotate", "expire"}) {
    if (args.has(f)) op[f] = args.get(f);
  }
  auto content = secret_content_args(args.pos, 1);
  if (!content.empty()) op["content"] = content;
  c.ops.push_back(op);
}

void secret_remove(Ctx& c, const std::vector<std::string>& argv) {
  auto args = parse_args(argv, {{{"revision", true}}});
  if (args.pos.size() != 1) throw ToolError("missing secret URI", 2);
  auto s = owned_secret(c, args.pos[0]);
  json op = {{"op", "secret-remove"}, {"id", s.id}};
  if (args.has("revision")) {
    auto n = parse_int(args.get("revision"));
    if (!n) throw ToolError("invalid revision \"" + args.get("revision") + "\"", 2);
    op["revision"] = *n;
  }
  c.ops.push_back(op);
}

void secret_grant_revoke(Ctx& c, const std::vector<std::string>& argv, bool grant) {
  auto args =
      parse_args(argv, {{{"relation", true}, {"unit", true}, {"app", true}}, {{"r", "relation"}}});
  if (args.pos.size() != 1) throw ToolError("missing secret URI", 2);
  auto s = owned_secret(c, args.pos[0]);
  int relation_id = -1;
  std::string grantee = args.get("unit", args.get("app"));
  if (args.has("relation")) {
    auto rel = resolve_relation(c, args);
    relation_id = rel.id;
    if (grantee.empty()) grantee = rel.remote_app_of(c.app);
  }
  if (grantee.empty()) throw ToolError("missing relation or application or unit", 2);
  if (grant && relation_id < 0) throw ToolError("missing relation", 2);
  c.ops.push_back({{"op", grant ? "secret-grant" : "secret-revoke"},
                   {"id", s.id},
                   {"grantee", grantee},
                   {"relation_id", relation_id}});
}

void secret_ids(Ctx& c, const std::vector<std::string>& argv) {
  auto args = parse_args(argv, {{{"format", true}}});
  SQLite::Statement q(c.db.sql(),
                      "SELECT id FROM secrets WHERE owner = ? OR owner = ? ORDER BY id");
  q.bind(1, c.app);
  q.bind(2, c.unit);
  json out = json::array();
  while (q.executeStep()) out.push_back("secret:" + q.getColumn(0).getString());
  c.print(out, args);
}

}  // namespace

void add_secret_tools(ToolTable& tools) {
  tools.insert({
      {"secret-add", secret_add},
      {"secret-get", secret_get},
      {"secret-grant", [](Ctx& c, const auto& a) { secret_grant_revoke(c, a, true); }},
      {"secret-ids", secret_ids},
      {"secret-info-get", secret_info_get},
      {"secret-remove", secret_remove},
      {"secret-revoke", [](Ctx& c, const auto& a) { secret_grant_revoke(c, a, false); }},
      {"secret-set", secret_set},
  });
}

}  // namespace ops_sim::hook_tool
