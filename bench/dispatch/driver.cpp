// Runs a charm's dispatch N times as a whole process (the environment is
// inherited: the caller sets JUJU_* and PATH) and reports the median and 90th
// percentile wall time, the median CPU time (user + system, wait4's rusage:
// the dispatch process and the hook tools it waited for) and the peak RSS of
// the largest of them. CPU time does not depend on how busy the machine is;
// wall time does. Given several programs, it runs them in turn (the first,
// the second, ..., then the first again), so that a change in the machine
// over the runs weighs on each alike, and reports each under "== PROGRAM".
//   dispatch-bench-driver PROGRAM [PROGRAM...] RUNS
#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

extern char** environ;

namespace {

// The runs of one program.
struct Measured {
  std::string program;
  std::vector<double> wall_ms;
  std::vector<double> cpu_ms;
  long peak_rss_kib = 0;
};

// One run of m.program, added to m; false (with the reason on stderr) when
// it could not be run or did not exit 0.
bool run_once(Measured& m) {
  char* child_argv[] = {m.program.data(), nullptr};
  const auto start = std::chrono::steady_clock::now();
  pid_t pid = 0;
  if (const int rc = posix_spawn(&pid, m.program.c_str(), nullptr, nullptr, child_argv, environ);
      rc != 0) {
    std::fprintf(stderr, "%s: cannot run: %s\n", m.program.c_str(), std::strerror(rc));
    return false;
  }
  int status = 0;
  struct rusage usage {};
  if (wait4(pid, &status, 0, &usage) != pid) {
    std::perror("wait4");
    return false;
  }
  const auto end = std::chrono::steady_clock::now();
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    std::fprintf(stderr, "%s: run %zu failed (status %d)\n", m.program.c_str(),
                 m.wall_ms.size() + 1, status);
    return false;
  }
  m.wall_ms.push_back(std::chrono::duration<double, std::milli>(end - start).count());
  m.peak_rss_kib = std::max(m.peak_rss_kib, usage.ru_maxrss);
  auto ms = [](const timeval& t) { return t.tv_sec * 1000.0 + t.tv_usec / 1000.0; };
  m.cpu_ms.push_back(ms(usage.ru_utime) + ms(usage.ru_stime));
  return true;
}

double median_of(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  const std::size_t n = values.size();
  return n % 2 == 1 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
}

void report(const Measured& m) {
  std::vector<double> sorted = m.wall_ms;
  std::sort(sorted.begin(), sorted.end());
  const double p90 = sorted[std::min(sorted.size() - 1, sorted.size() * 9 / 10)];
  std::printf("runs: %zu\nmedian wall: %.2f ms\np90 wall: %.2f ms\nmin wall: %.2f ms\n",
              m.wall_ms.size(), median_of(m.wall_ms), p90, sorted.front());
  std::printf("median CPU (user+sys): %.2f ms\n", median_of(m.cpu_ms));
  std::printf("peak RSS: %.2f MiB (%ld KiB)\n", m.peak_rss_kib / 1024.0, m.peak_rss_kib);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: %s PROGRAM [PROGRAM...] RUNS\n", argv[0]);
    return 2;
  }
  const int runs = std::atoi(argv[argc - 1]);
  if (runs <= 0) {
    std::fprintf(stderr, "RUNS must be a positive number, not '%s'\n", argv[argc - 1]);
    return 2;
  }
  std::vector<Measured> measured;
  for (int i = 1; i < argc - 1; ++i) measured.push_back(Measured{argv[i], {}, {}, 0});
  for (int i = 0; i < runs; ++i) {
    for (Measured& m : measured) {
      if (!run_once(m)) return 1;
    }
  }
  for (const Measured& m : measured) {
    if (measured.size() > 1) std::printf("== %s\n", m.program.c_str());
    report(m);
  }
  return 0;
}
