// Runs a charm's dispatch N times as a whole process (the environment is
// inherited: the caller sets JUJU_* and PATH) and reports the median and 90th
// percentile wall time, the median CPU time (user + system, wait4's rusage:
// the dispatch process and the hook tools it waited for) and the peak RSS of
// the largest of them. CPU time does not depend on how busy the machine is;
// wall time does.
//   dispatch-bench-driver DISPATCH RUNS
#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

extern char** environ;

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: %s DISPATCH RUNS\n", argv[0]);
    return 2;
  }
  std::string program = argv[1];
  const int runs = std::atoi(argv[2]);
  if (runs <= 0) {
    std::fprintf(stderr, "RUNS must be a positive number\n");
    return 2;
  }
  std::vector<double> wall_ms;
  std::vector<double> cpu_ms;
  long peak_rss_kib = 0;
  for (int i = 0; i < runs; ++i) {
    char* child_argv[] = {program.data(), nullptr};
    const auto start = std::chrono::steady_clock::now();
    pid_t pid = 0;
    if (posix_spawn(&pid, program.c_str(), nullptr, nullptr, child_argv, environ) != 0) {
      std::perror("posix_spawn");
      return 1;
    }
    int status = 0;
    struct rusage usage {};
    if (wait4(pid, &status, 0, &usage) != pid) {
      std::perror("wait4");
      return 1;
    }
    const auto end = std::chrono::steady_clock::now();
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
      std::fprintf(stderr, "run %d: dispatch failed (status %d)\n", i, status);
      return 1;
    }
    wall_ms.push_back(std::chrono::duration<double, std::milli>(end - start).count());
    peak_rss_kib = std::max(peak_rss_kib, usage.ru_maxrss);
    auto ms = [](const timeval& t) { return t.tv_sec * 1000.0 + t.tv_usec / 1000.0; };
    cpu_ms.push_back(ms(usage.ru_utime) + ms(usage.ru_stime));
  }
  auto median_of = [](std::vector<double> values) {
    std::sort(values.begin(), values.end());
    const std::size_t n = values.size();
    return n % 2 == 1 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
  };
  std::vector<double> sorted = wall_ms;
  std::sort(sorted.begin(), sorted.end());
  const double median = median_of(wall_ms);
  const double p90 = sorted[std::min(sorted.size() - 1, sorted.size() * 9 / 10)];
  std::printf("runs: %d\nmedian wall: %.2f ms\np90 wall: %.2f ms\nmin wall: %.2f ms\n", runs,
              median, p90, sorted.front());
  std::printf("median CPU (user+sys): %.2f ms\n", median_of(cpu_ms));
  std::printf("peak RSS: %.2f MiB (%ld KiB)\n", peak_rss_kib / 1024.0, peak_rss_kib);
  return 0;
}
