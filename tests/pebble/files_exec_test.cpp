// Files (multipart push/pull, list, make_dir, remove) and exec (real
// processes over the websockets) through the client and pebble-server.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <csignal>
#include <fstream>
#include <random>
#include <sstream>

#include "pebble_fixture.hpp"
#include "support/files.hpp"

namespace {

using ops::pebble::Duration;
using ops::pebble::ExecOptions;
using testing::ElementsAre;
using testing::HasSubstr;
using namespace std::string_literals;

std::string random_bytes(std::size_t n, unsigned seed) {
  std::mt19937 rng(seed);
  std::string out(n, '\0');
  for (auto& c : out) c = static_cast<char>(rng() & 0xff);
  return out;
}

std::string read_host_file(const std::filesystem::path& path) {
  return ops_test::read_file_if_exists(path);
}

class PebbleFilesTest : public ops_test::PebbleServerTest {};

TEST_F(PebbleFilesTest, PushPullSeveralMebibytesOfBinary) {
  const std::string data = random_bytes(5 * 1024 * 1024 + 17, 1);
  client_->push("/data/blob.bin", data,
                {.make_dirs = true, .permissions = 0600, .user = "redis", .group = "redis"});
  EXPECT_EQ(read_host_file(root() / "data/blob.bin"), data);
  struct stat st {};
  ASSERT_EQ(::stat((root() / "data/blob.bin").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_EQ(client_->pull("/data/blob.bin"), data);

  const auto infos = client_->list_files("/data/blob.bin");
  ASSERT_EQ(infos.size(), 1u);
  EXPECT_EQ(infos[0].path, "/data/blob.bin");
  EXPECT_EQ(infos[0].name, "blob.bin");
  EXPECT_EQ(infos[0].type, ops::pebble::FileType::kFile);
  EXPECT_EQ(infos[0].size, static_cast<std::int64_t>(data.size()));
  EXPECT_EQ(infos[0].permissions, 0600);
  EXPECT_EQ(infos[0].user, "redis");
  EXPECT_EQ(infos[0].group, "redis");
}

TEST_F(PebbleFilesTest, PushTextAndStreamsWithDefaultPermissions) {
  client_->push("/etc/redis.conf", std::string_view("port 6379\n"), {.make_dirs = true});
  struct stat st {};
  ASSERT_EQ(::stat((root() / "etc/redis.conf").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0644u);
  std::istringstream in("from a stream\0with a NUL"s);
  client_->push("/etc/stream.txt", in);
  std::ostringstream out;
  client_->pull("/etc/stream.txt", out);
  EXPECT_EQ(out.str(), "from a stream\0with a NUL"s);
  EXPECT_EQ(client_->pull("/etc/redis.conf"), "port 6379\n");
}

TEST_F(PebbleFilesTest, PathErrorsCarryKindAndMessage) {
  try {
    client_->pull("/missing.txt");
    FAIL() << "expected PathError";
  } catch (const ops::pebble::PathError& e) {
    EXPECT_EQ(e.kind(), "not-found");
    EXPECT_EQ(e.message(), "stat /missing.txt: no such file or directory");
  }
  try {
    client_->push("/no/such/dir/file", std::string_view("x"));
    FAIL() << "expected PathError";
  } catch (const ops::pebble::PathError& e) {
    EXPECT_EQ(e.kind(), "not-found");
  }
  try {
    client_->push("relative.txt", std::string_view("x"));
    FAIL() << "expected PathError";
  } catch (const ops::pebble::PathError& e) {
    EXPECT_EQ(e.kind(), "generic-file-error");
    EXPECT_EQ(e.message(), "paths must be absolute, got \"relative.txt\"");
  }
}

TEST_F(PebbleFilesTest, MakeDirListAndRemove) {
  client_->make_dir("/var/lib/redis", {.make_parents = true, .permissions = 0750});
  client_->push("/var/lib/redis/a.conf", std::string_view("a"));
  client_->push("/var/lib/redis/b.rdb", std::string_view("bb"));
  client_->push("/var/lib/redis/c.conf", std::string_view("ccc"));

  auto names = [](const std::vector<ops::pebble::FileInfo>& infos) {
    std::vector<std::string> out;
    for (const auto& info : infos) out.push_back(info.name);
    return out;
  };
  EXPECT_THAT(names(client_->list_files("/var/lib/redis")),
              ElementsAre("a.conf", "b.rdb", "c.conf"));
  EXPECT_THAT(names(client_->list_files("/var/lib/redis", {.pattern = "*.conf"})),
              ElementsAre("a.conf", "c.conf"));
  const auto itself = client_->list_files("/var/lib/redis", {.itself = true});
  ASSERT_EQ(itself.size(), 1u);
  EXPECT_EQ(itself[0].type, ops::pebble::FileType::kDirectory);
  EXPECT_EQ(itself[0].permissions, 0750);

  try {
    client_->make_dir("/var/lib/redis");
    FAIL() << "expected PathError";
  } catch (const ops::pebble::PathError& e) {
    EXPECT_EQ(e.kind(), "generic-file-error");
    EXPECT_EQ(e.message(), "mkdir /var/lib/redis: file exists");
  }
  EXPECT_THROW(client_->remove_path("/var/lib/redis"), ops::pebble::PathError);  // not empty
  client_->remove_path("/var/lib/redis/a.conf");
  EXPECT_THAT(names(client_->list_files("/var/lib/redis")), ElementsAre("b.rdb", "c.conf"));
  client_->remove_path("/var/lib", /*recursive=*/true);
  EXPECT_FALSE(std::filesystem::exists(root() / "var/lib"));
  EXPECT_THROW((void)client_->list_files("/var/lib"), ops::pebble::APIError);
}

class PebbleExecTest : public ops_test::PebbleServerTest {};

TEST_F(PebbleExecTest, StdinToStdout) {
  auto process = client_->exec({"cat"}, {.stdin_data = "hello\nworld\n"});
  const auto output = process->wait_output();
  EXPECT_EQ(output.stdout, "hello\nworld\n");
  EXPECT_EQ(output.stderr, "");
}

TEST_F(PebbleExecTest, NonZeroExitRaisesExecErrorWithOutput) {
  auto process = client_->exec({"sh", "-c", "echo out; echo err >&2; exit 3"});
  try {
    process->wait_output();
    FAIL() << "expected ExecError";
  } catch (const ops::pebble::ExecError& e) {
    EXPECT_EQ(e.exit_code(), 3);
    EXPECT_EQ(e.stdout(), "out\n");
    EXPECT_EQ(e.stderr(), "err\n");
    EXPECT_THAT(e.command(), ElementsAre("sh", "-c", "echo out; echo err >&2; exit 3"));
  }
  auto again = client_->exec({"false"});
  try {
    again->wait();
    FAIL() << "expected ExecError";
  } catch (const ops::pebble::ExecError& e) {
    EXPECT_EQ(e.exit_code(), 1);
    EXPECT_FALSE(e.stdout().has_value());
  }
}

TEST_F(PebbleExecTest, EnvironmentAndWorkingDirectory) {
  const std::string workdir = (dir_.path() / "work").string();
  std::filesystem::create_directories(workdir);
  auto process = client_->exec({"sh", "-c", "echo \"$GREETING\"; pwd"},
                               {.environment = {{"GREETING", "hi there"}}, .working_dir = workdir});
  EXPECT_EQ(process->wait_output().stdout, "hi there\n" + workdir + "\n");
  // Without a working dir, commands run in the container root.
  EXPECT_EQ(client_->exec({"pwd"})->wait_output().stdout,
            std::filesystem::canonical(root()).string() + "\n");
}

TEST_F(PebbleExecTest, CombinedStderrAndStreams) {
  auto combined = client_->exec({"sh", "-c", "echo one; echo two >&2"}, {.combine_stderr = true});
  const auto output = combined->wait_output();
  EXPECT_EQ(output.stdout, "one\ntwo\n");
  EXPECT_FALSE(output.stderr.has_value());

  std::ostringstream out;
  std::ostringstream err;
  auto streamed = client_->exec({"sh", "-c", "echo a; echo b >&2"},
                                {.stdout_stream = &out, .stderr_stream = &err});
  streamed->wait();
  EXPECT_EQ(out.str(), "a\n");
  EXPECT_EQ(err.str(), "b\n");
}

TEST_F(PebbleExecTest, LargeInputAndOutputDoNotDeadlock) {
  const std::string input = random_bytes(3 * 1024 * 1024, 7);
  auto process = client_->exec({"cat"}, {.stdin_data = input});
  EXPECT_EQ(process->wait_output().stdout, input);
}

TEST_F(PebbleExecTest, TimeoutFailsTheChange) {
  const auto start = std::chrono::steady_clock::now();
  auto process = client_->exec({"sleep", "30"}, {.timeout = Duration(0.3)});
  try {
    process->wait_output();
    FAIL() << "expected ChangeError";
  } catch (const ops::pebble::ChangeError& e) {
    EXPECT_EQ(e.err(),
              "cannot perform the following tasks:\n"
              "- Execute command \"sleep\" (timed out after 0.3s: context deadline exceeded)");
    EXPECT_EQ(e.change().status, "Error");
  }
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(10));
}

TEST_F(PebbleExecTest, SendSignalEndsTheProcess) {
  auto process = client_->exec({"sleep", "30"});
  // Wait until the process runs (its change task is "Doing") before signalling.
  for (int i = 0; i < 500; ++i) {
    const auto changes = client_->get_changes(ops::pebble::ChangeState::kInProgress);
    if (!changes.empty() && changes[0].tasks[0].status == "Doing") break;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  process->send_signal("SIGTERM");
  try {
    process->wait();
    FAIL() << "expected ExecError";
  } catch (const ops::pebble::ExecError& e) {
    EXPECT_EQ(e.exit_code(), 128 + SIGTERM);
  }
}

TEST_F(PebbleExecTest, WaitChangeTimesOutWhileCommandRuns) {
  auto process = client_->exec({"sleep", "30"});
  const auto changes = client_->get_changes();
  ASSERT_EQ(changes.size(), 1u);
  EXPECT_EQ(changes[0].kind, "exec");
  EXPECT_THROW(client_->wait_change(changes[0].id, Duration(0.2)), ops::pebble::TimeoutError);
  process->send_signal("KILL");
  EXPECT_THROW(process->wait(), ops::pebble::ExecError);
}

TEST_F(PebbleExecTest, UnknownExecutableIsAnApiError) {
  try {
    client_->exec({"definitely-not-a-command-xyz"});
    FAIL() << "expected APIError";
  } catch (const ops::pebble::APIError& e) {
    EXPECT_EQ(e.code(), 400);
    EXPECT_EQ(e.message(), "cannot find executable \"definitely-not-a-command-xyz\"");
  }
  EXPECT_THROW(client_->exec({}), ops::pebble::Error);
}

}  // namespace

namespace {

TEST_F(PebbleExecTest, ServiceContextSuppliesEnvironmentAndWorkingDir) {
  const std::string workdir = (dir_.path() / "svc").string();
  std::filesystem::create_directories(workdir);
  client_->add_layer(
      "svc", ops::pebble::Layer{
                 .services = {{"redis", ops::pebble::Service{.override = "replace",
                                                             .command = "redis-server",
                                                             .environment = {{"A", "from-service"},
                                                                             {"B", "from-service"}},
                                                             .working_dir = workdir}}}});
  auto process = client_->exec({"sh", "-c", "echo $A $B; pwd"},
                               {.environment = {{"B", "from-exec"}}, .service_context = "redis"});
  EXPECT_EQ(process->wait_output().stdout, "from-service from-exec\n" + workdir + "\n");
  try {
    client_->exec({"true"}, {.service_context = "nope"});
    FAIL() << "expected APIError";
  } catch (const ops::pebble::APIError& e) {
    EXPECT_EQ(e.message(), "cannot find service \"nope\" for service context");
  }
}

TEST_F(PebbleExecTest, AbortAndListChanges) {
  auto process = client_->exec({"sleep", "30"});
  auto running = client_->get_changes(ops::pebble::ChangeState::kInProgress);
  ASSERT_EQ(running.size(), 1u);
  const auto aborted = client_->abort_change(running[0].id);
  EXPECT_EQ(aborted.status, "Abort");
  try {
    process->wait();  // the abort killed the command
    FAIL() << "expected ChangeError";
  } catch (const ops::pebble::ChangeError& e) {
    EXPECT_EQ(e.err(),
              "cannot perform the following tasks:\n- Execute command \"sleep\" (task aborted)");
  }
  const auto all = client_->get_changes(ops::pebble::ChangeState::kAll);
  ASSERT_EQ(all.size(), 1u);
  EXPECT_TRUE(all[0].ready);
  EXPECT_TRUE(client_->get_changes(ops::pebble::ChangeState::kInProgress).empty());
  try {
    client_->abort_change(all[0].id);
    FAIL() << "expected APIError";
  } catch (const ops::pebble::APIError& e) {
    EXPECT_EQ(e.message(), "cannot abort change " + all[0].id + " with nothing pending");
  }
}

}  // namespace

namespace {

TEST_F(PebbleExecTest, InputIgnoredByTheCommandDoesNotHang) {
  // `true` exits without reading: the server must drop the rest of stdin.
  auto process = client_->exec({"true"}, {.stdin_data = random_bytes(4 * 1024 * 1024, 3)});
  const auto output = process->wait_output();
  EXPECT_EQ(output.stdout, "");
  EXPECT_EQ(output.stderr, "");
}

}  // namespace
