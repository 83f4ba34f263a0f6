// FakePebble's file owners: what a push or make-dir asks for is recorded
// and listed as Pebble in the container would list it, whatever users the
// host has (nothing is chowned on the host); the container's own
// /etc/passwd and /etc/group, when the test provides them, are checked as
// Pebble's NormalizeUidGid checks them (internals/osutil/user.go).
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <string>

#include "ops/testing/fake_pebble.hpp"

namespace {

namespace pb = ops::pebble;
using ops::testing::FakePebble;

class FakePebbleOwners : public ::testing::Test {
 protected:
  FakePebbleOwners() : pebble_("redis") {
    pebble_.set_can_connect(true);
    client_ = pebble_.client();
  }

  pb::FileInfo info(const std::string& path) {
    const auto infos = client_->list_files(path, {.itself = true});
    EXPECT_EQ(infos.size(), 1u) << path;
    return infos.empty() ? pb::FileInfo{} : infos[0];
  }

  // The PathError message of a push with `options`.
  std::string refusal(const pb::PushOptions& options) {
    try {
      client_->push("/refused", std::string_view("x"), options);
    } catch (const pb::PathError& e) {
      EXPECT_EQ(e.kind(), "generic-file-error");
      return e.message();
    }
    return "accepted";
  }

  // The container's user database (as an image would have it).
  void write_user_database() {
    client_->push("/etc/passwd",
                  std::string_view("root:x:0:0:root:/root:/bin/bash\n"
                                   "# a comment\n"
                                   "redis:x:999:998::/var/lib/redis:/usr/sbin/nologin\n"),
                  {.make_dirs = true});
    client_->push("/etc/group", std::string_view("root:x:0:\nredis:x:998:\nadm:x:4:redis\n"), {});
  }

  FakePebble pebble_;
  std::unique_ptr<pb::Client> client_;
};

TEST_F(FakePebbleOwners, WithoutAUserDatabaseTheOwnerAskedForIsRecorded) {
  // A user the host may not have: recorded as asked, no id invented.
  client_->push("/etc/redis/redis.conf", std::string_view("port 6379\n"),
                {.make_dirs = true, .permissions = 0600, .user = "redis", .group = "redis"});
  auto conf = info("/etc/redis/redis.conf");
  EXPECT_EQ(conf.user, "redis");
  EXPECT_EQ(conf.group, "redis");
  EXPECT_EQ(conf.user_id, std::nullopt);
  EXPECT_EQ(conf.group_id, std::nullopt);
  EXPECT_EQ(conf.permissions, 0600);
  // The directories the push made belong to that owner too.
  EXPECT_EQ(info("/etc/redis").user, "redis");
  // Ids only: listed as ids.
  client_->push("/ids", std::string_view("x"), {.user_id = 4321, .group_id = 8765});
  conf = info("/ids");
  EXPECT_EQ(conf.user_id, 4321);
  EXPECT_EQ(conf.group_id, 8765);
  EXPECT_EQ(conf.user, std::nullopt);
  EXPECT_EQ(conf.group, std::nullopt);
  // No owner: Pebble's own, root.
  client_->push("/plain", std::string_view("x"), {});
  conf = info("/plain");
  EXPECT_EQ(conf.user_id, 0);
  EXPECT_EQ(conf.user, "root");
  EXPECT_EQ(conf.group_id, 0);
  EXPECT_EQ(conf.group, "root");
  // Pushing again replaces the record; nothing was chowned on the host.
  client_->push("/ids", std::string_view("y"), {});
  EXPECT_EQ(info("/ids").user, "root");
  struct stat st {};
  ASSERT_EQ(::stat(pebble_.host_path("/etc/redis/redis.conf").c_str(), &st), 0);
  EXPECT_EQ(st.st_uid, ::geteuid());
  // A group without a user is refused, as Pebble refuses it.
  EXPECT_EQ(refusal({.group = "redis"}),
            "cannot look up user and group: must specify user, not just group");
  EXPECT_EQ(refusal({.group_id = 5}),
            "cannot look up user and group: must specify user, not just group");
}

TEST_F(FakePebbleOwners, TheContainersUserDatabaseIsCheckedAsPebbleChecksIt) {
  write_user_database();
  client_->push("/data/dump.rdb", std::string_view("x"), {.make_dirs = true, .user = "redis"});
  const auto dump = info("/data/dump.rdb");
  EXPECT_EQ(dump.user_id, 999);
  EXPECT_EQ(dump.user, "redis");
  EXPECT_EQ(dump.group_id, 998);  // the user's primary group
  EXPECT_EQ(dump.group, "redis");
  // A user id alone takes its primary group from /etc/passwd.
  client_->push("/by-id", std::string_view("x"), {.user_id = 999});
  EXPECT_EQ(info("/by-id").group, "redis");
  client_->push("/adm", std::string_view("x"), {.user = "redis", .group = "adm"});
  EXPECT_EQ(info("/adm").group_id, 4);
  client_->make_dir("/var/lib/redis", {.make_parents = true, .user_id = 999, .group_id = 998});
  EXPECT_EQ(info("/var/lib/redis").user, "redis");
  EXPECT_EQ(info("/var/lib/redis").group, "redis");
  // What Pebble refuses.
  EXPECT_EQ(refusal({.user = "ghost"}), "cannot look up user and group: user: unknown user ghost");
  EXPECT_EQ(refusal({.user = "redis", .group = "ghosts"}),
            "cannot look up user and group: group: unknown group ghosts");
  EXPECT_EQ(refusal({.user_id = 1234}), "cannot look up user and group: user: unknown userid 1234");
  EXPECT_EQ(refusal({.user_id = 5, .user = "redis"}),
            R"(cannot look up user and group: user "redis" UID (999) does not match user-id (5))");
  EXPECT_EQ(
      refusal({.user = "redis", .group_id = 5, .group = "redis"}),
      R"(cannot look up user and group: group "redis" GID (998) does not match group-id (5))");
  // Pebble looks the group name up before it asks for a user.
  EXPECT_EQ(refusal({.group = "ghosts"}),
            "cannot look up user and group: group: unknown group ghosts");
  EXPECT_EQ(refusal({.group = "redis"}),
            "cannot look up user and group: must specify user, not just group");
  EXPECT_THROW(static_cast<void>(info("/refused")), pb::APIError);
}

}  // namespace
