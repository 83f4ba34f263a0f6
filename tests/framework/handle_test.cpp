// Handle paths: construction, parsing, equality, and one Object per path.
#include <gtest/gtest.h>

#include "ops/errors.hpp"
#include "ops/framework.hpp"
#include "ops/storage.hpp"

namespace {

TEST(HandleTest, BuildsPythonOpsPaths) {
  const ops::Handle root("MyCharm");
  EXPECT_EQ(root.path(), "MyCharm");
  EXPECT_EQ(root.kind(), "MyCharm");
  EXPECT_EQ(root.key(), std::nullopt);
  EXPECT_EQ(root.parent_path(), "");
  EXPECT_EQ(root.parent(), std::nullopt);

  const ops::Handle on(root, "on");
  const ops::Handle install(on, "install", "7");
  EXPECT_EQ(install.path(), "MyCharm/on/install[7]");
  EXPECT_EQ(install.kind(), "install");
  EXPECT_EQ(install.key(), "7");
  EXPECT_EQ(install.parent_path(), "MyCharm/on");
  EXPECT_EQ(install.parent()->path(), "MyCharm/on");
  EXPECT_EQ(ops::Handle(root, "StoredStateData", "_stored").path(),
            "MyCharm/StoredStateData[_stored]");
  EXPECT_EQ(root.nest("on").nest("start", "1").path(), "MyCharm/on/start[1]");
}

TEST(HandleTest, RoundTripsThroughFromPath) {
  for (const char* path :
       {"root", "root[1]", "root/child", "root/child[2]", "root[1]/child[2]",
        "MyCharm/on/install[7]", "MyCharm/StoredStateData[_stored]", "a[x-y.z]/b/c[redis-peers]"}) {
    const ops::Handle handle = ops::Handle::from_path(path);
    EXPECT_EQ(handle.path(), path);
    EXPECT_EQ(ops::Handle::from_path(handle.path()), handle);
  }
  const auto parsed = ops::Handle::from_path("root[1]/child[2]");
  EXPECT_EQ(parsed.kind(), "child");
  EXPECT_EQ(parsed.key(), "2");
  EXPECT_EQ(parsed.parent()->kind(), "root");
  EXPECT_EQ(parsed.parent()->key(), "1");
  EXPECT_EQ(parsed, ops::Handle(ops::Handle("root", "1"), "child", "2"));
  EXPECT_FALSE(parsed == ops::Handle::from_path("root[1]/child[3]"));
}

TEST(HandleTest, RejectsMalformedPaths) {
  for (const char* path :
       {"", "/", "a//b", "a/", "a[", "a[]", "a[1", "a]1", "[1]", "a[1]b", "a[1[2]]", "a/b[c]]"}) {
    EXPECT_THROW((void)ops::Handle::from_path(path), ops::FrameworkError) << path;
  }
  EXPECT_THROW(ops::Handle("a/b"), ops::FrameworkError);
  EXPECT_THROW(ops::Handle(""), ops::FrameworkError);
  EXPECT_THROW(ops::Handle("a", "x]"), ops::FrameworkError);
  EXPECT_THROW(ops::Handle("a", ""), ops::FrameworkError);
}

TEST(HandleTest, TwoLiveObjectsCannotShareAPath) {
  ops::MemoryStorage storage;
  ops::Framework framework(storage);
  {
    ops::Object first(framework, "thing", "1");
    try {
      ops::Object second(framework, "thing", "1");
      FAIL() << "second object at the same path was accepted";
    } catch (const ops::FrameworkError& e) {
      EXPECT_STREQ(e.what(), "two objects claiming to be thing[1] have been created");
    }
    ops::Object child(first, "child");
    EXPECT_EQ(child.handle().path(), "thing[1]/child");
    EXPECT_THROW(ops::Object(first, "child"), ops::FrameworkError);
  }
  // Once the first is gone, the path is free again.
  ops::Object again(framework, "thing", "1");
  EXPECT_EQ(again.handle().path(), "thing[1]");
}

}  // namespace
