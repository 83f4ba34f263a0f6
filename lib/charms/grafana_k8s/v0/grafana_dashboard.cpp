// GrafanaDashboardProvider, and the xz/base64 and SHAKE-256 helpers.
#include "charms/grafana_k8s/v0/grafana_dashboard.hpp"

#include <lzma.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <algorithm>
#include <fstream>
#include <memory>
#include <sstream>
#include <vector>

#include "ops/log.hpp"
#include "ops/model.hpp"

namespace charms::grafana_k8s::v0 {

namespace {

using nlohmann::json;
namespace obs = charms::observability_libs::v0;

std::string to_hex(const unsigned char* data, std::size_t size) {
  static const char* digits = "0123456789abcdef";
  std::string out;
  out.reserve(size * 2);
  for (std::size_t i = 0; i < size; ++i) {
    out.push_back(digits[data[i] >> 4]);
    out.push_back(digits[data[i] & 0xf]);
  }
  return out;
}

std::string uuid4() {
  unsigned char b[16];
  if (RAND_bytes(b, sizeof b) != 1) throw ops::Error("RAND_bytes failed");
  b[6] = static_cast<unsigned char>((b[6] & 0x0f) | 0x40);
  b[8] = static_cast<unsigned char>((b[8] & 0x3f) | 0x80);
  std::string hex = to_hex(b, sizeof b);
  return hex.substr(0, 8) + "-" + hex.substr(8, 4) + "-" + hex.substr(12, 4) + "-" +
         hex.substr(16, 4) + "-" + hex.substr(20);
}

bool is_path40_uid(const json& uid) {
  if (!uid.is_string()) return false;
  const std::string& s = uid.get_ref<const std::string&>();
  return s.size() == 40 && std::all_of(s.begin(), s.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
         });
}

bool is_dashboard_file(const std::filesystem::path& path) {
  const std::string name = path.filename().string();
  return name.ends_with(".json") || name.ends_with(".json.tmpl") || name.ends_with(".tmpl");
}

}  // namespace

std::string lzma_base64_compress(const std::string& text) {
  // The streaming encoder, as Python's lzma.compress (xz container, LZMA2
  // preset 6, CRC64): the same bytes for the same text.
  lzma_stream stream = LZMA_STREAM_INIT;
  if (lzma_easy_encoder(&stream, 6, LZMA_CHECK_CRC64) != LZMA_OK) {
    throw ops::Error("cannot start the xz encoder");
  }
  std::unique_ptr<lzma_stream, void (*)(lzma_stream*)> guard(&stream, lzma_end);
  stream.next_in = reinterpret_cast<const uint8_t*>(text.data());
  stream.avail_in = text.size();
  std::vector<uint8_t> out;
  uint8_t buffer[16384];
  for (;;) {
    stream.next_out = buffer;
    stream.avail_out = sizeof buffer;
    lzma_ret rc = lzma_code(&stream, LZMA_FINISH);
    out.insert(out.end(), buffer, buffer + (sizeof buffer - stream.avail_out));
    if (rc == LZMA_STREAM_END) break;
    if (rc != LZMA_OK) {
      throw ops::Error("xz compression failed (liblzma error " + std::to_string(rc) + ")");
    }
  }
  const std::size_t out_pos = out.size();
  std::string encoded(4 * ((out_pos + 2) / 3), '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(encoded.data()), out.data(),
                          static_cast<int>(out_pos));
  encoded.resize(static_cast<std::size_t>(n));
  return encoded;
}

std::string lzma_base64_decompress(const std::string& encoded) {
  std::string compact;
  for (char c : encoded) {
    if (c != '\n' && c != '\r' && c != ' ') compact.push_back(c);
  }
  if (compact.size() % 4 != 0) throw ops::Error("dashboard content is not valid base64");
  std::vector<unsigned char> raw(compact.size() / 4 * 3 + 1);
  int n = EVP_DecodeBlock(raw.data(), reinterpret_cast<const unsigned char*>(compact.data()),
                          static_cast<int>(compact.size()));
  if (n < 0) throw ops::Error("dashboard content is not valid base64");
  std::size_t size = static_cast<std::size_t>(n);
  // EVP_DecodeBlock counts the padding as zero bytes.
  if (!compact.empty() && compact.back() == '=') --size;
  if (compact.size() > 1 && compact[compact.size() - 2] == '=') --size;

  lzma_stream stream = LZMA_STREAM_INIT;
  if (lzma_stream_decoder(&stream, UINT64_MAX, 0) != LZMA_OK) {
    throw ops::Error("cannot start the xz decoder");
  }
  std::unique_ptr<lzma_stream, void (*)(lzma_stream*)> guard(&stream, lzma_end);
  stream.next_in = raw.data();
  stream.avail_in = size;
  std::string out;
  uint8_t buffer[16384];
  for (;;) {
    stream.next_out = buffer;
    stream.avail_out = sizeof buffer;
    lzma_ret rc = lzma_code(&stream, LZMA_FINISH);
    out.append(reinterpret_cast<char*>(buffer), sizeof buffer - stream.avail_out);
    if (rc == LZMA_STREAM_END) return out;
    if (rc != LZMA_OK)
      throw ops::Error("corrupt xz stream (liblzma error " + std::to_string(rc) + ")");
  }
}

std::string shake_256_hex(const std::string& text, std::size_t bytes) {
  std::unique_ptr<EVP_MD_CTX, void (*)(EVP_MD_CTX*)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  std::vector<unsigned char> digest(bytes);
  if (!ctx || EVP_DigestInit_ex(ctx.get(), EVP_shake256(), nullptr) != 1 ||
      EVP_DigestUpdate(ctx.get(), text.data(), text.size()) != 1 ||
      EVP_DigestFinalXOF(ctx.get(), digest.data(), digest.size()) != 1) {
    throw ops::Error("SHAKE-256 failed");
  }
  return to_hex(digest.data(), digest.size());
}

GrafanaDashboardProvider::GrafanaDashboardProvider(ops::CharmBase& charm,
                                                   GrafanaDashboardOptions options)
    : ops::Object(charm, "GrafanaDashboardProvider", options.relation_name),
      charm_(charm),
      options_(std::move(options)) {
  obs::validate_relation(charm, options_.relation_name, kRelationInterface,
                         ops::RelationRole::kProvides);
  ops::Framework& fw = framework();
  const ops::RelationEndpointEvents& events = charm.on[options_.relation_name];
  fw.observe<&GrafanaDashboardProvider::on_refresh>(charm.on.leader_elected, *this);
  fw.observe<&GrafanaDashboardProvider::on_refresh>(charm.on.upgrade_charm, *this);
  fw.observe<&GrafanaDashboardProvider::on_refresh>(charm.on.config_changed, *this);
  fw.observe<&GrafanaDashboardProvider::on_refresh>(events.relation_created, *this);
  fw.observe<&GrafanaDashboardProvider::on_refresh>(events.relation_joined, *this);
  fw.observe<&GrafanaDashboardProvider::on_refresh>(events.relation_changed, *this);
}

json GrafanaDashboardProvider::dashboard_templates() const {
  namespace fs = std::filesystem;
  const std::string charm_name = charm_.meta().name;
  const fs::path dir = obs::resolve_in_charm_dir(options_.dashboards_path);
  json templates = json::object();
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) {
    ops::log::debug("No Grafana dashboards directory at " + dir.string());
    return templates;
  }
  std::vector<fs::path> files;
  for (const auto& entry : fs::directory_iterator(dir)) {
    if (entry.is_regular_file() && is_dashboard_file(entry.path())) files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  ops::Model& model = charm_.framework().model();
  const json topology = options_.inject_dropdowns ? json{{"model", model.name()},
                                                         {"model_uuid", model.uuid()},
                                                         {"application", charm_.app().name()},
                                                         {"unit", charm_.unit().name()}}
                                                  : json::object();
  for (const auto& path : files) {
    json dashboard;
    try {
      std::ifstream in(path, std::ios::binary);
      dashboard = json::parse(in);
    } catch (const json::exception& e) {
      ops::log::error("Failed to load dashboard '" + path.string() + "': " + e.what());
      continue;
    }
    if (!dashboard.is_object()) {
      ops::log::error("Invalid dashboard '" + path.string() + "': expected an object");
      continue;
    }
    if (!is_path40_uid(dashboard.value("uid", json()))) {
      std::string relative = path.lexically_relative(obs::charm_dir()).generic_string();
      if (relative.empty() || relative.starts_with("..")) relative = path.generic_string();
      dashboard["uid"] = shake_256_hex(charm_name + "-" + relative, 20);
    }
    json tags = dashboard.value("tags", json::array());
    if (!tags.is_array()) tags = json::array();
    bool tagged = std::any_of(tags.begin(), tags.end(), [](const json& tag) {
      return tag.is_string() && tag.get_ref<const std::string&>().starts_with("charm: ");
    });
    if (!tagged) tags.push_back("charm: " + charm_name);
    dashboard["tags"] = tags;

    const std::string id = "file:" + path.stem().string();
    templates[id] = {{"charm", charm_name},
                     {"content", lzma_base64_compress(dashboard.dump())},
                     {"juju_topology", topology},
                     {"inject_dropdowns", options_.inject_dropdowns},
                     {"dashboard_alt_uid", shake_256_hex(charm_name + "-" + id, 8)}};
  }
  return templates;
}

void GrafanaDashboardProvider::update_dashboards() {
  if (!charm_.unit().is_leader()) return;
  const auto& relations = charm_.framework().model().relations(options_.relation_name);
  if (relations.empty()) return;
  const json templates = dashboard_templates();
  for (ops::Relation* relation : relations) {
    json data{{"templates", templates}, {"uuid", uuid4()}};
    relation->data(charm_.app()).set("dashboards", data.dump());
  }
}

void GrafanaDashboardProvider::on_refresh(ops::HookEvent&) { update_dashboards(); }

}  // namespace charms::grafana_k8s::v0
