// ops::detail::Fd and read_all (src/ops/detail/fd.hpp): the descriptor is
// closed once, by its last owner; a file, a pipe and a failing read.
#include <fcntl.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cerrno>
#include <filesystem>
#include <fstream>
#include <string>
#include <system_error>
#include <utility>

#include "ops/detail/fd.hpp"
#include "support/temp_dir.hpp"

namespace {

using ops::detail::Fd;
using ops::detail::read_all;

bool is_open(int fd) { return ::fcntl(fd, F_GETFD) != -1; }

TEST(FdTest, ClosesOnceByItsLastOwner) {
  int fds[2];
  ASSERT_EQ(::pipe2(fds, O_CLOEXEC), 0);
  Fd write_end(fds[1]);
  {
    Fd first(fds[0]);
    Fd second(std::move(first));
    EXPECT_FALSE(first);
    EXPECT_EQ(first.get(), -1);
    EXPECT_TRUE(second);
    Fd third;
    third = std::move(second);
    EXPECT_EQ(third.get(), fds[0]);
    EXPECT_TRUE(is_open(fds[0]));
  }
  EXPECT_FALSE(is_open(fds[0]));
  write_end.reset();
  EXPECT_FALSE(is_open(fds[1]));
  EXPECT_EQ(write_end.get(), -1);
}

// A negative value (a caller's -errno) is kept for the caller and never closed.
TEST(FdTest, KeepsANegativeValue) {
  Fd failed(-ENOENT);
  EXPECT_FALSE(failed);
  EXPECT_EQ(failed.get(), -ENOENT);
}

TEST(ReadAllTest, ReadsARegularFileAndAPipeToTheEnd) {
  ops_test::TempDir tmp{"fd_test_"};
  std::string content;
  for (int i = 0; i < 3000; ++i) content += "line " + std::to_string(i) + "\n";
  const std::filesystem::path path = tmp.path() / "f";
  std::ofstream(path) << content;
  Fd file(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  ASSERT_TRUE(file);
  EXPECT_EQ(read_all(file.get(), path.native()), content);
  EXPECT_EQ(read_all(file.get()), "");  // at the end already

  int fds[2];
  ASSERT_EQ(::pipe2(fds, O_CLOEXEC), 0);
  Fd read_end(fds[0]);
  Fd write_end(fds[1]);
  const std::string piped(10000, 'x');  // more than one 4096-byte chunk, less than a pipe holds
  ASSERT_EQ(::write(write_end.get(), piped.data(), piped.size()),
            static_cast<ssize_t>(piped.size()));
  write_end.reset();
  EXPECT_EQ(read_all(read_end.get()), piped);
}

TEST(ReadAllTest, AFailedReadNamesThePath) {
  ops_test::TempDir tmp{"fd_test_"};
  Fd dir(::open(tmp.path().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  ASSERT_TRUE(dir);
  try {
    (void)read_all(dir.get(), "/some/dir");
    FAIL() << "no error";
  } catch (const std::system_error& e) {
    EXPECT_EQ(e.code().value(), EISDIR);
    EXPECT_STREQ(e.what(), "read /some/dir: Is a directory");
  }
  try {
    (void)read_all(dir.get());
    FAIL() << "no error";
  } catch (const std::system_error& e) {
    EXPECT_STREQ(e.what(), "read: Is a directory");
  }
}

}  // namespace
