// The files API never leaves the container root: symbolic links planted in
// the root (to a file outside, a directory outside, dangling, or as a parent
// component) are resolved as if the root were "/", so nothing outside is
// read or written. Run against both resolvers (openat2 and the O_NOFOLLOW
// walk) and end to end through pebble-server.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "ops/detail/pebble_files.hpp"
#include "pebble_fixture.hpp"
#include "support/files.hpp"

namespace {

namespace fs = std::filesystem;
namespace pb = ops::pebble;
using ops_test::read_file;
using ops_test::write_file;
using pb::detail::ContainerFiles;

// <tmp>/root is the container; <tmp>/outside holds a "secret" file and an
// "outdir" directory; links in the root point at them.
class FilesSecurity : public ::testing::TestWithParam<bool> {
 protected:
  void SetUp() override {
    ContainerFiles::use_component_walk_for_testing(GetParam());
    fs::create_directories(root());
    fs::create_directories(outside() / "outdir");
    write_file(outside() / "secret", "top secret\n");
    fs::create_symlink(outside() / "secret", root() / "to-secret");
    fs::create_symlink("../outside/secret", root() / "rel-secret");
    fs::create_symlink(outside() / "outdir", root() / "to-outdir");
    fs::create_symlink(outside() / "missing", root() / "dangling");
    files_ = std::make_unique<ContainerFiles>(root().string());
  }
  void TearDown() override { ContainerFiles::use_component_walk_for_testing(false); }

  fs::path root() const { return dir_.path() / "root"; }
  fs::path outside() const { return dir_.path() / "outside"; }
  // Nothing outside the root changed.
  void expect_outside_untouched() {
    EXPECT_EQ(read_file(outside() / "secret"), "top secret\n");
    EXPECT_TRUE(fs::is_empty(outside() / "outdir"));
    EXPECT_FALSE(fs::exists(outside() / "missing"));
    std::size_t entries = 0;
    for (const auto& entry : fs::directory_iterator(outside())) {
      static_cast<void>(entry);
      ++entries;
    }
    EXPECT_EQ(entries, 2u);
  }

  ops_test::TempDir dir_;
  std::unique_ptr<ContainerFiles> files_;
};

TEST_P(FilesSecurity, PullThroughALinkOutsideReadsInsideTheRoot) {
  for (const char* link : {"/to-secret", "/rel-secret", "/to-outdir/x", "/dangling"}) {
    try {
      static_cast<void>(files_->read(link));
      FAIL() << link;
    } catch (const pb::PathError& e) {
      EXPECT_EQ(e.kind(), "not-found") << link;
      EXPECT_EQ(e.message(), std::string("stat ") + link + ": no such file or directory");
    }
  }
  // The same absolute target inside the root is what the link means.
  fs::create_directories(root() / outside().relative_path());
  write_file(root() / outside().relative_path() / "secret", "inside\n");
  EXPECT_EQ(files_->read("/to-secret"), "inside\n");
  expect_outside_untouched();
}

TEST_P(FilesSecurity, PushOverALinkReplacesTheLinkItself) {
  files_->write("/to-secret", "mine", {});
  EXPECT_FALSE(fs::is_symlink(root() / "to-secret"));
  EXPECT_EQ(read_file(root() / "to-secret"), "mine");
  files_->write("/dangling", "made", {});
  EXPECT_FALSE(fs::is_symlink(root() / "dangling"));
  expect_outside_untouched();
}

TEST_P(FilesSecurity, PushUnderALinkedDirectoryStaysInTheRoot) {
  try {
    files_->write("/to-outdir/planted", "x", {});
    FAIL() << "expected PathError";
  } catch (const pb::PathError& e) {
    EXPECT_EQ(e.kind(), "not-found");
  }
  // As Pebble: the link's target (inside the root) is missing, so the
  // directory is made beside it and cannot be renamed over the link.
  try {
    files_->write("/to-outdir/planted", "x", {.make_dirs = true});
    FAIL() << "expected PathError";
  } catch (const pb::PathError& e) {
    EXPECT_EQ(e.kind(), "generic-file-error");
    EXPECT_EQ(e.message(),
              "cannot create directory: rename /to-outdir.mkdir-new /to-outdir: not a directory");
  }
  EXPECT_FALSE(fs::exists(root() / "to-outdir.mkdir-new"));
  fs::create_directories(root() / outside().relative_path() / "outdir");
  files_->write("/to-outdir/planted", "x", {.make_dirs = true});
  EXPECT_EQ(read_file(root() / outside().relative_path() / "outdir/planted"), "x");
  files_->make_dir("/to-outdir/sub", {.make_parents = true});
  EXPECT_TRUE(fs::is_directory(root() / outside().relative_path() / "outdir/sub"));
  expect_outside_untouched();
}

TEST_P(FilesSecurity, ListAndRemoveNeverFollowALinkOut) {
  const auto infos = files_->list("/", "", false);
  std::map<std::string, pb::FileType> types;
  for (const auto& info : infos) types[info.name] = info.type;
  EXPECT_EQ(types.at("to-secret"), pb::FileType::kSymlink);
  EXPECT_EQ(types.at("to-outdir"), pb::FileType::kSymlink);
  try {
    static_cast<void>(files_->list("/to-outdir", "", false));
    FAIL() << "expected APIError";
  } catch (const pb::APIError& e) {
    EXPECT_EQ(e.code(), 404);
    EXPECT_EQ(e.message(), "stat /to-outdir: no such file or directory");
  }
  write_file(outside() / "outdir" / "keep", "k");
  files_->remove("/to-outdir", /*recursive=*/true);  // removes the link only
  EXPECT_FALSE(fs::exists(fs::symlink_status(root() / "to-outdir")));
  EXPECT_EQ(read_file(outside() / "outdir" / "keep"), "k");
  fs::remove(outside() / "outdir" / "keep");
  files_->remove("/to-secret", false);
  EXPECT_FALSE(fs::exists(fs::symlink_status(root() / "to-secret")));
  EXPECT_THROW(files_->remove("/to-outdir/x", false), pb::PathError);
  expect_outside_untouched();
}

TEST_P(FilesSecurity, DotDotNeverClimbsAboveTheRoot) {
  fs::create_symlink("../../../..", root() / "up");
  files_->write("/up/../../escaped", "e", {});
  EXPECT_EQ(read_file(root() / "escaped"), "e");
  files_->write("/up/up/deep", "d", {.make_dirs = true});
  EXPECT_EQ(read_file(root() / "deep"), "d");
  EXPECT_FALSE(fs::exists(dir_.path() / "escaped"));
  expect_outside_untouched();
}

TEST_P(FilesSecurity, TemporaryFilesAreNeverOpenedThroughALink) {
  // A planted link named like a temporary file is never written through:
  // each write makes its own O_EXCL temporary file.
  for (int i = 0; i < 20; ++i) {
    fs::create_symlink(outside() / "secret", root() / ("t.conf." + std::to_string(i) + "~"));
  }
  files_->write("/t.conf", "fresh", {});
  EXPECT_EQ(read_file(root() / "t.conf"), "fresh");
  expect_outside_untouched();
}

INSTANTIATE_TEST_SUITE_P(Resolvers, FilesSecurity, ::testing::Values(false, true),
                         [](const auto& param_info) {
                           return param_info.param ? "Walk" : "Openat2";
                         });

// Ownership: applied at write time when the process may, recorded otherwise.
TEST(FilesOwnership, OwnerIsAppliedBeforeTheFileAppears) {
  ops_test::TempDir dir;
  ContainerFiles files(dir.path().string());
  const auto uid = static_cast<std::int64_t>(::geteuid());
  const auto gid = static_cast<std::int64_t>(::getegid());
  files.write("/mine", "x", {.owner = {.user_id = uid, .group_id = gid}});
  struct stat st {};
  ASSERT_EQ(::stat((dir.path() / "mine").c_str(), &st), 0);
  EXPECT_EQ(st.st_uid, static_cast<uid_t>(uid));
  EXPECT_EQ(st.st_gid, static_cast<gid_t>(gid));
  try {
    files.write("/g", "x", {.owner = {.group = "root"}});
    FAIL() << "expected PathError";
  } catch (const pb::PathError& e) {
    EXPECT_EQ(e.message(), "cannot look up user and group: must specify user, not just group");
  }
  try {
    files.write("/m", "x", {.owner = {.user_id = 5, .user = "root"}});
    FAIL() << "expected PathError";
  } catch (const pb::PathError& e) {
    EXPECT_EQ(e.message(),
              R"(cannot look up user and group: user "root" UID (0) does not match user-id (5))");
  }
  // A user the host does not know is the container's: recorded, listed.
  files.write("/c", "x", {.owner = {.user = "no-such-user-here", .group = "no-such-group"}});
  const auto infos = files.list("/c", "", false);
  ASSERT_EQ(infos.size(), 1u);
  EXPECT_EQ(infos[0].user, "no-such-user-here");
  EXPECT_EQ(infos[0].group, "no-such-group");
}

TEST(FilesOwnership, RootChownsToAnExistingUser) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root";
  ops_test::TempDir dir;
  ContainerFiles files(dir.path().string());
  files.write("/n", "x", {.owner = {.user = "nobody"}});
  files.make_dir("/d/e", {.make_parents = true, .owner = {.user = "nobody"}});
  for (const char* path : {"n", "d", "d/e"}) {
    struct stat st {};
    ASSERT_EQ(::stat((dir.path() / path).c_str(), &st), 0);
    EXPECT_EQ(st.st_uid, 65534u) << path;
  }
}

// End to end: pebble-server (which ops-sim runs as root) refuses the same.
class PebbleServerSecurity : public ops_test::PebbleServerTest {};

TEST_F(PebbleServerSecurity, PullAndPushThroughPlantedLinksStayInside) {
  const fs::path outside = dir_.path() / "outside";
  fs::create_directories(outside);
  write_file(outside / "key.pem", "private\n");
  fs::create_symlink(outside / "key.pem", root() / "key.pem");
  fs::create_symlink(outside, root() / "etc");
  try {
    static_cast<void>(client_->pull("/key.pem"));
    FAIL() << "expected PathError";
  } catch (const pb::PathError& e) {
    EXPECT_EQ(e.kind(), "not-found");
  }
  client_->push("/key.pem", std::string_view("replaced"));
  EXPECT_EQ(read_file(outside / "key.pem"), "private\n");
  EXPECT_EQ(read_file(root() / "key.pem"), "replaced");
  EXPECT_THROW(client_->push("/etc/passwd", std::string_view("x"), {.make_dirs = true}),
               pb::PathError);
  EXPECT_FALSE(fs::exists(outside / "passwd"));
  fs::create_directories(root() / outside.relative_path());
  client_->push("/etc/passwd", std::string_view("x"));
  EXPECT_FALSE(fs::exists(outside / "passwd"));
  EXPECT_EQ(read_file(root() / outside.relative_path() / "passwd"), "x");
}

}  // namespace
