// GrafanaDashboardProvider, and the xz/base64 and SHAKE-256 helpers.
#include "charms/grafana_k8s/v0/grafana_dashboard.hpp"

#include <lzma.h>
#include <sys/random.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <memory>
#include <optional>
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
  if (::getrandom(b, sizeof b, 0) != static_cast<ssize_t>(sizeof b)) {
    throw ops::Error(std::string("getrandom failed: ") + std::strerror(errno));
  }
  b[6] = static_cast<unsigned char>((b[6] & 0x0f) | 0x40);
  b[8] = static_cast<unsigned char>((b[8] & 0x3f) | 0x80);
  std::string hex = to_hex(b, sizeof b);
  return hex.substr(0, 8) + "-" + hex.substr(8, 4) + "-" + hex.substr(12, 4) + "-" +
         hex.substr(16, 4) + "-" + hex.substr(20);
}

// base64 (RFC 4648, with padding), ours: the charm's every hook would
// otherwise load libcrypto for EVP_EncodeBlock.
constexpr char kBase64Digits[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

std::string base64_encode(const std::vector<uint8_t>& bytes) {
  std::string out;
  out.reserve(4 * ((bytes.size() + 2) / 3));
  for (std::size_t at = 0; at < bytes.size(); at += 3) {
    std::size_t left = bytes.size() - at;
    std::uint32_t group = std::uint32_t(bytes[at]) << 16 |
                          (left > 1 ? std::uint32_t(bytes[at + 1]) << 8 : 0) |
                          (left > 2 ? std::uint32_t(bytes[at + 2]) : 0);
    out += kBase64Digits[group >> 18];
    out += kBase64Digits[(group >> 12) & 63];
    out += left > 1 ? kBase64Digits[(group >> 6) & 63] : '=';
    out += left > 2 ? kBase64Digits[group & 63] : '=';
  }
  return out;
}

// Decodes `text` (whitespace removed, a multiple of 4 long); nullopt when a
// character is not base64 or the padding is not one or two final '='.
std::optional<std::vector<uint8_t>> base64_decode(const std::string& text) {
  std::vector<uint8_t> out;
  out.reserve(text.size() / 4 * 3);
  for (std::size_t at = 0; at < text.size(); at += 4) {
    const bool last = at + 4 == text.size();
    std::uint32_t group = 0;
    int padding = 0;
    for (std::size_t i = 0; i < 4; ++i) {
      char c = text[at + i];
      int value;
      if (c == '=' && last && i >= 2) {
        value = 0;
        ++padding;
      } else {
        const char* digit = c == '\0' || padding > 0 ? nullptr : std::strchr(kBase64Digits, c);
        if (!digit) return std::nullopt;
        value = static_cast<int>(digit - kBase64Digits);
      }
      group = group << 6 | static_cast<std::uint32_t>(value);
    }
    out.push_back(static_cast<uint8_t>(group >> 16));
    if (padding < 2) out.push_back(static_cast<uint8_t>(group >> 8));
    if (padding < 1) out.push_back(static_cast<uint8_t>(group));
  }
  return out;
}

// Keccak-f[1600] (FIPS 202), for SHAKE-256.
void keccak_f1600(std::array<std::uint64_t, 25>& a) {
  static constexpr std::array<std::uint64_t, 24> kRoundConstants = {
      0x0000000000000001, 0x0000000000008082, 0x800000000000808a, 0x8000000080008000,
      0x000000000000808b, 0x0000000080000001, 0x8000000080008081, 0x8000000000008009,
      0x000000000000008a, 0x0000000000000088, 0x0000000080008009, 0x000000008000000a,
      0x000000008000808b, 0x800000000000008b, 0x8000000000008089, 0x8000000000008003,
      0x8000000000008002, 0x8000000000000080, 0x000000000000800a, 0x800000008000000a,
      0x8000000080008081, 0x8000000000008080, 0x0000000080000001, 0x8000000080008008};
  // The rho rotations and pi destinations along the lane walk from (1, 0).
  static constexpr std::array<int, 24> kRotations = {
      1, 3, 6, 10, 15, 21, 28, 36, 45, 55, 2, 14, 27, 41, 56, 8, 25, 43, 62, 18, 39, 61, 20, 44};
  static constexpr std::array<int, 24> kLanes = {10, 7,  11, 17, 18, 3, 5,  16, 8,  21, 24, 4,
                                                 15, 23, 19, 13, 12, 2, 20, 14, 22, 9,  6,  1};
  auto rotate_left = [](std::uint64_t x, int n) { return (x << n) | (x >> (64 - n)); };
  for (std::uint64_t round_constant : kRoundConstants) {
    std::array<std::uint64_t, 5> column{};
    for (int x = 0; x < 5; ++x) column[x] = a[x] ^ a[x + 5] ^ a[x + 10] ^ a[x + 15] ^ a[x + 20];
    for (int x = 0; x < 5; ++x) {
      std::uint64_t d = column[(x + 4) % 5] ^ rotate_left(column[(x + 1) % 5], 1);
      for (int y = 0; y < 25; y += 5) a[y + x] ^= d;
    }
    std::uint64_t carried = a[1];
    for (int i = 0; i < 24; ++i) {
      std::uint64_t next = a[kLanes[i]];
      a[kLanes[i]] = rotate_left(carried, kRotations[i]);
      carried = next;
    }
    for (int y = 0; y < 25; y += 5) {
      std::array<std::uint64_t, 5> row{a[y], a[y + 1], a[y + 2], a[y + 3], a[y + 4]};
      for (int x = 0; x < 5; ++x) a[y + x] = row[x] ^ (~row[(x + 1) % 5] & row[(x + 2) % 5]);
    }
    a[0] ^= round_constant;
  }
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
  return base64_encode(out);
}

std::string lzma_base64_decompress(const std::string& encoded) {
  std::string compact;
  for (char c : encoded) {
    if (c != '\n' && c != '\r' && c != ' ') compact.push_back(c);
  }
  if (compact.size() % 4 != 0) throw ops::Error("dashboard content is not valid base64");
  std::optional<std::vector<uint8_t>> raw = base64_decode(compact);
  if (!raw) throw ops::Error("dashboard content is not valid base64");

  lzma_stream stream = LZMA_STREAM_INIT;
  if (lzma_stream_decoder(&stream, UINT64_MAX, 0) != LZMA_OK) {
    throw ops::Error("cannot start the xz decoder");
  }
  std::unique_ptr<lzma_stream, void (*)(lzma_stream*)> guard(&stream, lzma_end);
  stream.next_in = raw->data();
  stream.avail_in = raw->size();
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
  // The sponge: absorb at the rate of 136 bytes, pad with SHAKE's domain bits
  // (0x1F ... 0x80), squeeze `bytes` bytes. Lanes are little-endian.
  constexpr std::size_t kRate = 136;
  std::array<std::uint64_t, 25> state{};
  auto absorb = [&state](const unsigned char* block) {
    for (std::size_t i = 0; i < kRate / 8; ++i) {
      std::uint64_t lane = 0;
      for (int b = 7; b >= 0; --b) lane = lane << 8 | block[8 * i + static_cast<std::size_t>(b)];
      state[i] ^= lane;
    }
    keccak_f1600(state);
  };
  const auto* data = reinterpret_cast<const unsigned char*>(text.data());
  std::size_t whole = text.size() / kRate * kRate;
  for (std::size_t at = 0; at < whole; at += kRate) absorb(data + at);
  unsigned char last[kRate] = {};
  if (text.size() > whole) std::memcpy(last, data + whole, text.size() - whole);
  last[text.size() - whole] ^= 0x1f;
  last[kRate - 1] ^= 0x80;
  absorb(last);
  std::vector<unsigned char> digest;
  digest.reserve(bytes);
  for (;;) {
    for (std::size_t i = 0; i < kRate && digest.size() < bytes; ++i) {
      digest.push_back(static_cast<unsigned char>(state[i / 8] >> (8 * (i % 8))));
    }
    if (digest.size() == bytes) break;
    keccak_f1600(state);
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
