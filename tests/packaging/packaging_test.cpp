// `cmake --build build --target charm`: build/<name>.charm and
// build/charm/<name>/, checked from the outside as Juju would see them.
#include <elf.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "support/fake_juju.hpp"
#include "support/files.hpp"
#include "support/temp_dir.hpp"

namespace fs = std::filesystem;
using ::testing::HasSubstr;

namespace {

fs::path binary_dir() {
  const char* dir = std::getenv("OPS_BINARY_DIR");
  return dir ? fs::path(dir) : fs::path(OPS_PACKAGING_BINARY_DIR);
}
fs::path source_dir() {
  const char* dir = std::getenv("OPS_SOURCE_DIR");
  return dir ? fs::path(dir) : fs::current_path();
}

std::uint32_t le32(const std::string& s, std::size_t at) {
  return std::uint32_t(std::uint8_t(s[at])) | std::uint32_t(std::uint8_t(s[at + 1])) << 8 |
         std::uint32_t(std::uint8_t(s[at + 2])) << 16 |
         std::uint32_t(std::uint8_t(s[at + 3])) << 24;
}
std::uint16_t le16(const std::string& s, std::size_t at) {
  return std::uint16_t(std::uint8_t(s[at]) | std::uint8_t(s[at + 1]) << 8);
}

// The entries of a zip file, name -> unix mode, from its central directory.
std::map<std::string, unsigned> zip_entries(const fs::path& path) {
  std::string zip = ops_test::read_file(path);
  std::size_t eocd = zip.rfind(std::string("PK\x05\x06", 4));
  if (eocd == std::string::npos) throw std::runtime_error(path.string() + " is not a zip file");
  std::uint16_t count = le16(zip, eocd + 10);
  std::size_t at = le32(zip, eocd + 16);
  std::map<std::string, unsigned> entries;
  for (int i = 0; i < count; ++i) {
    if (zip.compare(at, 4, std::string("PK\x01\x02", 4)) != 0) {
      throw std::runtime_error("bad central directory entry in " + path.string());
    }
    std::uint16_t name_len = le16(zip, at + 28), extra_len = le16(zip, at + 30),
                  comment_len = le16(zip, at + 32);
    std::uint32_t external = le32(zip, at + 38);
    entries[zip.substr(at + 46, name_len)] = external >> 16;
    at += 46 + name_len + extra_len + comment_len;
  }
  return entries;
}

struct RunResult {
  int status;
  std::string output;
};

// Runs `command` with /bin/sh, stdout and stderr together.
RunResult run(const std::string& command) {
  FILE* pipe = ::popen((command + " 2>&1").c_str(), "r");
  std::string out;
  char buf[4096];
  std::size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, pipe)) > 0) out.append(buf, n);
  int status = ::pclose(pipe);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, out};
}

TEST(Packaging, RedisK8sArchiveHoldsTheCharm) {
  auto entries = zip_entries(binary_dir() / "redis-k8s.charm");
  for (const char* name :
       {"dispatch", "metadata.yaml", "config.yaml", "actions.yaml", "manifest.yaml"}) {
    EXPECT_TRUE(entries.count(name)) << name;
  }
  EXPECT_EQ(entries.at("dispatch") & 0777, 0755u);
  EXPECT_EQ(entries.at("metadata.yaml") & 0777, 0644u);
}

TEST(Packaging, RedisClientArchiveHoldsTheCharm) {
  auto entries = zip_entries(binary_dir() / "redis-client.charm");
  EXPECT_TRUE(entries.count("dispatch"));
  EXPECT_TRUE(entries.count("metadata.yaml"));
  EXPECT_TRUE(entries.count("manifest.yaml"));
  EXPECT_EQ(entries.at("dispatch") & 0111, 0111u);
}

TEST(Packaging, CharmDirectoryCopiesTheMetadataAndWritesTheManifest) {
  fs::path dir = binary_dir() / "charm" / "redis-k8s";
  for (const char* name : {"metadata.yaml", "config.yaml", "actions.yaml"}) {
    EXPECT_EQ(ops_test::read_file(dir / name), ops_test::read_file(source_dir() / name)) << name;
  }
  std::string manifest = ops_test::read_file(dir / "manifest.yaml");
  EXPECT_THAT(manifest, HasSubstr("bases:\n- architectures:\n  - "));
  EXPECT_THAT(manifest, HasSubstr("\n  channel: '24.04'\n  name: ubuntu\n"));
  EXPECT_THAT(manifest,
              ::testing::ContainsRegex("charmcraft-started-at: '[0-9]{4}-[0-9]{2}-[0-9]{2}T"));
  EXPECT_EQ(ops_test::read_file(binary_dir() / "charm" / "redis-client" / "metadata.yaml"),
            ops_test::read_file(source_dir() / "charms" / "redis-client" / "metadata.yaml"));
}

TEST(Packaging, PackagedDispatchIsStrippedAndTheBuildCopyIsNot) {
  std::string packaged = ops_test::read_file(binary_dir() / "charm" / "redis-k8s" / "dispatch");
  std::string built =
      ops_test::read_file(binary_dir() / "charms" / "redis-k8s" / "redis-k8s-dispatch");
  EXPECT_EQ(packaged.compare(0, 4,
                             "\x7f"
                             "ELF"),
            0);
  EXPECT_EQ(packaged.find(".symtab"), std::string::npos);
  EXPECT_NE(built.find(".symtab"), std::string::npos);
  EXPECT_LT(packaged.size(), built.size());
}

// What ldd says a binary loads: soname -> resolved path.
std::map<std::string, std::string> loaded_libraries(const fs::path& binary) {
  RunResult result = run("ldd '" + binary.string() + "'");
  if (result.status != 0) throw std::runtime_error("ldd failed: " + result.output);
  std::map<std::string, std::string> libraries;
  std::istringstream lines(result.output);
  std::string line;
  while (std::getline(lines, line)) {
    std::size_t arrow = line.find(" => ");
    if (arrow == std::string::npos) continue;  // the vdso and the dynamic loader
    std::size_t start = line.find_first_not_of(" \t");
    std::size_t end = line.find(" (", arrow);
    libraries[line.substr(start, arrow - start)] = line.substr(arrow + 4, end - arrow - 4);
  }
  return libraries;
}

// Sanitizer builds link dispatch against the sanitizers' runtimes, which need
// the shared libstdc++: ops_lean_link then leaves the C++ runtime shared and
// the lean-link checks below do not apply (the release pass runs them).
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
constexpr bool kSanitizerBuild = true;
#else
constexpr bool kSanitizerBuild = false;
#endif

// Whether an ELF executable names a dynamic loader (has a PT_INTERP
// program header), read from its headers.
bool has_dynamic_loader(const fs::path& binary) {
  std::ifstream in(binary, std::ios::binary);
  Elf64_Ehdr header{};
  in.read(reinterpret_cast<char*>(&header), sizeof header);
  if (!in || std::memcmp(header.e_ident, ELFMAG, SELFMAG) != 0 ||
      header.e_ident[EI_CLASS] != ELFCLASS64) {
    throw std::runtime_error(binary.string() + " is not a 64-bit ELF file");
  }
  for (int i = 0; i < header.e_phnum; ++i) {
    Elf64_Phdr program{};
    in.seekg(static_cast<std::streamoff>(header.e_phoff + i * header.e_phentsize));
    in.read(reinterpret_cast<char*>(&program), sizeof program);
    if (!in) throw std::runtime_error(binary.string() + ": truncated program headers");
    if (program.p_type == PT_INTERP) return true;
  }
  return false;
}

// "libssl.so.3" -> "libssl"
std::string stem(const std::string& soname) { return soname.substr(0, soname.find(".so")); }

// ops_add_charm links dispatch lean (ops_lean_link): libstdc++, libyaml,
// yaml-cpp (the juju_topology library's), SQLite, spdlog and fmt are in the
// executable, so the charm bundles only the C libraries redis-k8s itself uses
// (hiredis and OpenSSL for Redis, liblzma for the Grafana dashboards), and
// the container needs nothing else than glibc.
TEST(Packaging, LeanDispatchBundlesOnlyTheCLibrariesItUses) {
  if (kSanitizerBuild) GTEST_SKIP() << "sanitizer build: dispatch is not linked lean";
  std::set<std::string> bundled;
  for (const auto& [name, mode] : zip_entries(binary_dir() / "redis-k8s.charm")) {
    if (name.rfind("lib/", 0) == 0 && name != "lib/") bundled.insert(stem(name.substr(4)));
  }
  EXPECT_EQ(bundled, (std::set<std::string>{"libcrypto", "libhiredis", "liblzma", "libssl"}));
  for (const auto& [name, mode] : zip_entries(binary_dir() / "redis-client.charm")) {
    EXPECT_NE(name.rfind("lib/", 0), 0u) << "redis-client bundles " << name;
  }
}

TEST(Packaging, PackagedDispatchLoadsGlibcAndItsBundledLibrariesOnly) {
  if (kSanitizerBuild) GTEST_SKIP() << "sanitizer build: dispatch is not linked lean";
  fs::path charm = binary_dir() / "charm" / "redis-k8s";
  std::set<std::string> stems;
  for (const auto& [soname, path] : loaded_libraries(charm / "dispatch")) {
    stems.insert(stem(soname));
    if (soname.rfind("libc.", 0) != 0 && soname.rfind("libm.", 0) != 0) {
      EXPECT_EQ(fs::path(path).parent_path(), charm / "lib") << soname;
    }
  }
  // OpenSSL is bundled but not linked: the Redis client dlopens it on its
  // first TLS connection (see PackagedDispatchWithoutTlsDoesNotLoadOpenSsl).
  EXPECT_EQ(stems, (std::set<std::string>{"libc", "libhiredis", "liblzma", "libm"}));
  std::set<std::string> client_stems;
  for (const auto& [soname, path] :
       loaded_libraries(binary_dir() / "charm" / "redis-client" / "dispatch")) {
    client_stems.insert(stem(soname));
  }
  EXPECT_EQ(client_stems, (std::set<std::string>{"libc", "libm"}));
}

// ops_add_charm ... STATIC (test-charm) links glibc in too: the dispatch has
// no dynamic loader and runs with nothing from the container's libraries;
// a lean one (redis-client) names the loader.
TEST(Packaging, StaticDispatchHasNoDynamicLoader) {
  if (kSanitizerBuild) GTEST_SKIP() << "sanitizer build: dispatch is not linked lean";
  EXPECT_FALSE(has_dynamic_loader(binary_dir() / "charm" / "test-charm" / "dispatch"));
  EXPECT_FALSE(has_dynamic_loader(binary_dir() / "charms" / "test-charm" / "dispatch"));
  EXPECT_TRUE(has_dynamic_loader(binary_dir() / "charm" / "redis-client" / "dispatch"));
  RunResult ldd =
      run("ldd '" + (binary_dir() / "charm" / "test-charm" / "dispatch").string() + "'");
  EXPECT_NE(ldd.status, 0);
  EXPECT_THAT(ldd.output, HasSubstr("not a dynamic executable"));
}

// A lean dispatch (libyaml static, libstdc++ static) reports a metadata.yaml
// that is not YAML with the file, the line and libyaml's problem.
TEST(Packaging, LeanDispatchReportsInvalidYamlWithFileAndLine) {
  if (kSanitizerBuild) GTEST_SKIP() << "sanitizer build: dispatch is not linked lean";
  ops_test::TempDir charm_tmp("packaging-test-charm-");
  fs::path charm = charm_tmp.path() / "test-charm";
  fs::copy(binary_dir() / "charm" / "test-charm", charm, fs::copy_options::recursive);
  EXPECT_FALSE(has_dynamic_loader(charm / "dispatch"));
  std::ofstream(charm / "metadata.yaml") << "name: [unclosed\n";
  RunResult result =
      run("env -i PATH=/usr/bin:/bin JUJU_DISPATCH_PATH=hooks/install "
          "JUJU_UNIT_NAME=test-charm/0 JUJU_MODEL_NAME=test JUJU_VERSION=3.5.0 "
          "JUJU_CHARM_DIR='" +
          charm.string() + "' '" + (charm / "dispatch").string() + "'");
  EXPECT_EQ(result.status, 1);
  EXPECT_THAT(result.output,
              HasSubstr("Uncaught exception while setting up for install: ops::CharmMetaError: "
                        "metadata.yaml:2: invalid YAML: while parsing a flow sequence: did not "
                        "find expected ',' or ']'\n"));
}

TEST(Packaging, DispatchWithoutJujuEnvironmentFailsClearly) {
  fs::path dispatch = binary_dir() / "charm" / "redis-k8s" / "dispatch";
  struct stat st {};
  ASSERT_EQ(::stat(dispatch.c_str(), &st), 0);
  EXPECT_TRUE(st.st_mode & S_IXUSR);
  RunResult result = run("env -i '" + dispatch.string() + "'");
  EXPECT_NE(result.status, 0);
  EXPECT_THAT(result.output, HasSubstr("missing required environment variable JUJU_DISPATCH_PATH"));
}

// The packaged charm run as Juju runs it: update-status on a non-leader,
// with the fake hook tools over a model without relations or resources, and
// Redis unreachable.
TEST(Packaging, PackagedDispatchRunsUpdateStatusWithFakeHookTools) {
  ops_test::TempDir charm_tmp("packaging-charm-");
  fs::path charm = charm_tmp.path() / "redis-k8s";
  fs::copy(binary_dir() / "charm" / "redis-k8s", charm, fs::copy_options::recursive);
  ops_test::FakeJuju juju;
  juju.set_state(R"({"leader": false, "config": {"enable-tls": false}, "relations": {}})");
  RunResult result = run("env -i " + juju.env_assignments() +
                         " JUJU_DISPATCH_PATH=hooks/update-status "
                         "JUJU_UNIT_NAME=redis-k8s/0 JUJU_MODEL_NAME=test JUJU_VERSION=3.5.0 "
                         "JUJU_CHARM_DIR='" +
                         charm.string() + "' '" + (charm / "dispatch").string() + "'");
  EXPECT_EQ(result.status, 0) << result.output;
  EXPECT_THAT(juju.argvs(),
              ::testing::Contains(std::vector<std::string>{
                  "status-set", "--application=False", "waiting", "--", "Waiting for Redis..."}));
  EXPECT_EQ(nlohmann::json::parse(juju.state()).at("status"),
            nlohmann::json::parse(R"({"unit": {"status": "waiting",
                                               "message": "Waiting for Redis..."}})"));
  EXPECT_TRUE(fs::exists(charm / ".unit-state.db"));
}

// A hook that makes no TLS connection does not load libssl or libcrypto:
// the libraries the dynamic loader initialises (LD_DEBUG=libs) in the
// packaged dispatch's process are glibc's and the ones it links, each from
// the charm's lib/; OpenSSL stays in lib/ for the first TLS connection.
TEST(Packaging, PackagedDispatchWithoutTlsDoesNotLoadOpenSsl) {
  if (kSanitizerBuild) GTEST_SKIP() << "sanitizer build: dispatch is not linked lean";
  ops_test::TempDir charm_tmp("packaging-charm-");
  fs::path charm = charm_tmp.path() / "redis-k8s";
  fs::copy(binary_dir() / "charm" / "redis-k8s", charm, fs::copy_options::recursive);
  EXPECT_TRUE(fs::exists(charm / "lib" / "libssl.so.3"));
  EXPECT_TRUE(fs::exists(charm / "lib" / "libcrypto.so.3"));
  ops_test::FakeJuju juju;
  juju.set_state(R"({"leader": false, "config": {"enable-tls": false}, "relations": {}})");
  fs::path debug = charm_tmp.path() / "ld-debug";
  fs::create_directory(debug);
  RunResult result = run("env -i " + juju.env_assignments() + " LD_DEBUG=libs LD_DEBUG_OUTPUT='" +
                         (debug / "log").string() +
                         "' JUJU_DISPATCH_PATH=hooks/update-status "
                         "JUJU_UNIT_NAME=redis-k8s/0 JUJU_MODEL_NAME=test JUJU_VERSION=3.5.0 "
                         "JUJU_CHARM_DIR='" +
                         charm.string() + "' '" + (charm / "dispatch").string() + "'");
  ASSERT_EQ(result.status, 0) << result.output;
  // One log per process with a dynamic loader: the dispatch (the fake hook
  // tools are static executables).
  std::set<std::string> initialised;
  int logs = 0;
  for (const auto& entry : fs::directory_iterator(debug)) {
    ++logs;
    std::istringstream lines(ops_test::read_file(entry.path()));
    std::string line;
    const std::string marker = "calling init: ";
    while (std::getline(lines, line)) {
      std::size_t at = line.find(marker);
      if (at == std::string::npos) continue;
      fs::path library = line.substr(at + marker.size());
      if (library.filename().string().rfind("ld-linux", 0) == 0) continue;
      initialised.insert(stem(library.filename().string()));
      if (stem(library.filename().string()) != "libc" &&
          stem(library.filename().string()) != "libm") {
        EXPECT_EQ(library.parent_path(), charm / "lib") << library;
      }
    }
  }
  EXPECT_EQ(logs, 1);
  EXPECT_EQ(initialised, (std::set<std::string>{"libc", "libhiredis", "liblzma", "libm"}));
}

}  // namespace
