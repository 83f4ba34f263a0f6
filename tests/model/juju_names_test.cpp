// Juju's name rules (src/ops/detail/juju_names.hpp), each against the exact
// cases its regular expression in Juju accepts and refuses.
#include "ops/detail/juju_names.hpp"

#include <gtest/gtest.h>

#include <string>

namespace {

using ops::detail::action_key_problem;
using ops::detail::is_action_key_part;
using ops::detail::is_application_name;
using ops::detail::is_model_name;
using ops::detail::is_reserved_action_key;
using ops::detail::is_secret_content_key;
using ops::detail::is_secret_uri;

// ^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$
TEST(JujuNames, ActionKeyPart) {
  for (const char* ok : {"a", "0", "foo", "500", "5-o-0", "a1", "foo--bar", "a-b"}) {
    EXPECT_TRUE(is_action_key_part(ok)) << ok;
  }
  for (const char* bad :
       {"", "-", "-a", "a-", "Foo", "fOo", "foo_bar", "foo.bar", "foo!bar", "a b", "é"}) {
    EXPECT_FALSE(is_action_key_part(bad)) << bad;
  }
}

TEST(JujuNames, ReservedActionKeys) {
  for (const char* key : {"stdout", "stdout-encoding", "stderr", "stderr-encoding"}) {
    EXPECT_TRUE(is_reserved_action_key(key)) << key;
  }
  for (const char* key : {"stdout2", "out", "stderr-enc", "std"}) {
    EXPECT_FALSE(is_reserved_action_key(key)) << key;
  }
}

TEST(JujuNames, ActionKeyProblemChecksEveryPart) {
  for (const char* ok : {"foo", "foo.bar.baz", "foo-bar.baz", "x-y.z0", "a.b-c.0"}) {
    EXPECT_FALSE(action_key_problem(ok).has_value()) << ok;
  }
  const struct {
    const char* key;
    const char* part;
    bool reserved;
  } refused[] = {
      {"foo..bar", "", false},      {".foo", "", false},
      {"foo.", "", false},          {"", "", false},
      {"foo-", "foo-", false},      {"a.-b", "-b", false},
      {"Foo", "Foo", false},        {"stdout", "stdout", true},
      {"a.stderr", "stderr", true}, {"stderr-encoding.x", "stderr-encoding", true},
  };
  for (const auto& c : refused) {
    const auto problem = action_key_problem(c.key);
    ASSERT_TRUE(problem.has_value()) << c.key;
    EXPECT_EQ(problem->part, c.part) << c.key;
    EXPECT_EQ(problem->reserved, c.reserved) << c.key;
  }
  EXPECT_EQ(action_key_problem("a.B")->message(),
            "key \"B\" must start and end with lowercase alphanumeric, and contain only "
            "lowercase alphanumeric and hyphens");
  EXPECT_EQ(action_key_problem("x.stdout")->message(), "cannot set reserved action key \"stdout\"");
}

// ^([a-z](?:-?[a-z0-9]){2,})$
TEST(JujuNames, SecretContentKey) {
  for (const char* ok : {"abc", "a-bc", "ab-c", "a1b", "a-1-2", "key", "tls-cert", "a12"}) {
    EXPECT_TRUE(is_secret_content_key(ok)) << ok;
  }
  for (const char* bad : {"", "a", "ab", "a-b", "1ab", "-abc", "abc-", "a--bc", "Abc", "aBc",
                          "ab_c", "ab.c", "a-", "a-b-"}) {
    EXPECT_FALSE(is_secret_content_key(bad)) << bad;
  }
}

TEST(JujuNames, SecretUri) {
  EXPECT_TRUE(is_secret_uri("secret:9m4e2mr0ui3e8a215n4g"));
  EXPECT_TRUE(is_secret_uri("secret:0123456789abcdefghiv"));
  EXPECT_TRUE(is_secret_uri("secret://deadbeef-0123-4567-89ab-cdef01234567/9m4e2mr0ui3e8a215n4g"));
  for (const char* bad :
       {"", "secret:", "9m4e2mr0ui3e8a215n4g", "secret:9m4e2mr0ui3e8a215n4",
        "secret:9m4e2mr0ui3e8a215n4gg", "secret:9m4e2mr0ui3e8a215n4w",
        "secret:9M4E2MR0UI3E8A215N4G",
        "secret://deadbeef-0123-4567-89ab-cdef01234567:9m4e2mr0ui3e8a215n4g",
        "secret://deadbeef-0123-4567-89ab-cdef0123456/9m4e2mr0ui3e8a215n4g",
        "secret://DEADBEEF-0123-4567-89ab-cdef01234567/9m4e2mr0ui3e8a215n4g",
        "secret://deadbeef-0123-4567-89ab-cdef01234567/", "Secret:9m4e2mr0ui3e8a215n4g"}) {
    EXPECT_FALSE(is_secret_uri(bad)) << bad;
  }
}

// ^[a-z0-9]+[a-z0-9-]*$
TEST(JujuNames, ModelName) {
  for (const char* ok : {"a", "0", "dev", "my-model", "model-", "m--1", "123"}) {
    EXPECT_TRUE(is_model_name(ok)) << ok;
  }
  for (const char* bad : {"", "-", "-model", "Model", "my_model", "my.model", "a b"}) {
    EXPECT_FALSE(is_model_name(bad)) << bad;
  }
}

// ^[a-z][a-z0-9]*(-[a-z0-9]*[a-z][a-z0-9]*)*$
TEST(JujuNames, ApplicationName) {
  for (const char* ok : {"a", "redis", "redis-k8s", "a1-b2", "a-1b", "a-b-c", "x-0a0"}) {
    EXPECT_TRUE(is_application_name(ok)) << ok;
  }
  for (const char* bad : {"", "1a", "-a", "a-", "a--b", "a-1", "a-12-b", "Redis", "a_b", "a.b"}) {
    EXPECT_FALSE(is_application_name(bad)) << bad;
  }
}

}  // namespace
