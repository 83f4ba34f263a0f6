// Pebble client benchmarks against pebble-server on a unix socket in a temp
// dir: push/pull throughput of a 16 MiB file and the round trip of
// system-info (a new connection per request, as the client does).
#include <benchmark/benchmark.h>
#include <stdlib.h>

#include <filesystem>
#include <memory>
#include <random>
#include <string>

#include "ops/pebble.hpp"
#include "pebble_server.hpp"
#include "support/temp_dir.hpp"

namespace {

constexpr std::size_t kFileSize = 16 * 1024 * 1024;

// One server for the whole run, in a directory removed at exit.
class BenchServer {
 public:
  BenchServer() {
    std::filesystem::create_directories(dir_ / "root");
    server_ = std::make_unique<ops::pebble_server::Server>(ops::pebble_server::ServerOptions{
        .socket_path = (dir_ / "pebble.socket").string(), .root_dir = (dir_ / "root").string()});
    server_->start();
    client_ = ops::pebble::make_client(server_->socket_path(), ops::pebble::Duration(30));
    std::mt19937 rng(42);
    data_.resize(kFileSize);
    for (auto& c : data_) c = static_cast<char>(rng() & 0xff);
  }
  ~BenchServer() {
    client_.reset();
    server_.reset();
  }
  ops::pebble::Client& client() { return *client_; }
  const std::string& data() const { return data_; }

 private:
  ops_test::TempDir tmp_{"ops-pebble-bench-"};
  const std::filesystem::path& dir_ = tmp_.path();
  std::unique_ptr<ops::pebble_server::Server> server_;
  std::unique_ptr<ops::pebble::Client> client_;
  std::string data_;
};

BenchServer& bench_server() {
  static BenchServer server;
  return server;
}

void BM_Push16MiB(benchmark::State& state) {
  auto& server = bench_server();
  for (auto _ : state) server.client().push("/bench/push.bin", server.data(), {.make_dirs = true});
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) * kFileSize);
}
BENCHMARK(BM_Push16MiB)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_Pull16MiB(benchmark::State& state) {
  auto& server = bench_server();
  server.client().push("/bench/pull.bin", server.data(), {.make_dirs = true});
  for (auto _ : state) {
    auto content = server.client().pull("/bench/pull.bin");
    if (content.size() != kFileSize) state.SkipWithError("short pull");
    benchmark::DoNotOptimize(content);
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) * kFileSize);
}
BENCHMARK(BM_Pull16MiB)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_SystemInfoRoundTrip(benchmark::State& state) {
  auto& server = bench_server();
  for (auto _ : state) benchmark::DoNotOptimize(server.client().get_system_info());
}
BENCHMARK(BM_SystemInfoRoundTrip)->Unit(benchmark::kMicrosecond)->UseRealTime();

}  // namespace
