// pebble-server --socket PATH --root DIR: serves the Pebble API on PATH with
// DIR as the container filesystem until SIGINT or SIGTERM.
#include <CLI/CLI.hpp>

#include <csignal>
#include <cstdio>
#include <iostream>

#include "pebble_server.hpp"

int main(int argc, char** argv) {
  CLI::App app{"A Pebble server on a unix socket (services simulated, exec real)"};
  std::string socket_path;
  std::string root_dir;
  std::vector<std::string> failures;
  app.add_option("--socket", socket_path, "Unix socket to serve on")->required();
  app.add_option("--root", root_dir, "Directory standing for the container's filesystem")
      ->required()
      ->check(CLI::ExistingDirectory);
  app.add_option("--fail-start", failures,
                 "SERVICE=MESSAGE: starting SERVICE fails with MESSAGE (repeatable)");
  CLI11_PARSE(app, argc, argv);

  // Wait for the stop signals on this thread only.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  try {
    auto services = std::make_unique<ops::pebble_server::SimulatedServiceManager>();
    for (const auto& failure : failures) {
      const auto eq = failure.find('=');
      if (eq == std::string::npos || eq == 0) {
        std::cerr << "pebble-server: --fail-start expects SERVICE=MESSAGE, got \"" << failure
                  << "\"\n";
        return 2;
      }
      services->set_start_failure(failure.substr(0, eq), failure.substr(eq + 1));
    }
    ops::pebble_server::Server server(
        {.socket_path = socket_path, .root_dir = root_dir, .services = std::move(services)});
    server.start();
    std::cout << "pebble-server: listening on " << socket_path << std::endl;
    int received = 0;
    sigwait(&stop_signals, &received);
    server.stop();
  } catch (const std::exception& e) {
    std::cerr << e.what() << "\n";
    return 1;
  }
  return 0;
}
