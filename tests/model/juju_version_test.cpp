#include "ops/juju_version.hpp"

#include <gtest/gtest.h>

#include "ops/errors.hpp"

namespace {

using ops::JujuVersion;

TEST(JujuVersionTest, ParsesReleaseTaggedAndBuildForms) {
  JujuVersion v("3.4.2");
  EXPECT_EQ(v.major(), 3);
  EXPECT_EQ(v.minor(), 4);
  EXPECT_EQ(v.patch(), 2);
  EXPECT_EQ(v.tag(), "");
  EXPECT_EQ(v.build(), 0);

  JujuVersion beta("2.9-beta1.1");
  EXPECT_EQ(beta.major(), 2);
  EXPECT_EQ(beta.minor(), 9);
  EXPECT_EQ(beta.tag(), "beta");
  EXPECT_EQ(beta.patch(), 1);
  EXPECT_EQ(beta.build(), 1);

  JujuVersion short_form("3.1");
  EXPECT_EQ(short_form.patch(), 0);
  EXPECT_EQ(JujuVersion("3.1.6.7").build(), 7);
}

TEST(JujuVersionTest, PrintsCanonicalText) {
  EXPECT_EQ(JujuVersion("3.4.2").to_string(), "3.4.2");
  EXPECT_EQ(JujuVersion("2.9-beta1").to_string(), "2.9-beta1");
  EXPECT_EQ(JujuVersion("2.9-rc2.3").to_string(), "2.9-rc2.3");
  EXPECT_EQ(JujuVersion("3.1").to_string(), "3.1.0");
  std::ostringstream out;
  out << JujuVersion("3.1.6.1");
  EXPECT_EQ(out.str(), "3.1.6.1");
}

TEST(JujuVersionTest, RejectsMalformedStrings) {
  for (const char* bad : {"", "3", "3.", "3.x", "a.b.c", "3.4.2-", "3.4-1", "3.4.2.1.1",
                          "1234567890.1", "3.4.2 ", "3.4-BETA1"}) {
    EXPECT_THROW(JujuVersion{bad}, ops::JujuContextError) << bad;
  }
  try {
    JujuVersion("nope");
    FAIL();
  } catch (const ops::JujuContextError& e) {
    EXPECT_STREQ(e.what(), "\"nope\" is not a valid Juju version string");
  }
}

TEST(JujuVersionTest, OrdersLikeJujuReleases) {
  EXPECT_LT(JujuVersion("2.9.0"), JujuVersion("3.0.0"));
  EXPECT_LT(JujuVersion("3.0.9"), JujuVersion("3.1.0"));
  EXPECT_LT(JujuVersion("3.1-beta1"), JujuVersion("3.1.0"));
  EXPECT_LT(JujuVersion("3.1-alpha2"), JujuVersion("3.1-beta1"));
  EXPECT_LT(JujuVersion("3.1-beta1"), JujuVersion("3.1-beta2"));
  EXPECT_LT(JujuVersion("3.1.6"), JujuVersion("3.1.6.1"));
  EXPECT_GT(JujuVersion("10.0.0"), JujuVersion("9.9.9"));
  EXPECT_EQ(JujuVersion("3.1"), JujuVersion("3.1.0"));
  EXPECT_NE(JujuVersion("3.1-beta1"), JujuVersion("3.1.1"));
}

TEST(JujuVersionTest, AnswersFeatureQuestions) {
  EXPECT_FALSE(JujuVersion("2.6.9").has_app_data());
  EXPECT_TRUE(JujuVersion("2.7.0").has_app_data());
  EXPECT_FALSE(JujuVersion("2.7.9").is_dispatch_aware());
  EXPECT_TRUE(JujuVersion("2.8.0").is_dispatch_aware());
  EXPECT_TRUE(JujuVersion("2.8.0").has_controller_storage());
  EXPECT_FALSE(JujuVersion("3.0.2").has_secrets());
  EXPECT_TRUE(JujuVersion("3.0.3").has_secrets());
  EXPECT_FALSE(JujuVersion("2.9.44").supports_open_port_on_k8s());
  EXPECT_TRUE(JujuVersion("3.0.3").supports_open_port_on_k8s());
  EXPECT_FALSE(JujuVersion("3.1.5").supports_exec_service_context());
  EXPECT_TRUE(JujuVersion("3.1.6").supports_exec_service_context());
  EXPECT_FALSE(JujuVersion("3.2.0").supports_exec_service_context());
  EXPECT_TRUE(JujuVersion("3.2.2").supports_exec_service_context());
  EXPECT_FALSE(JujuVersion("3.3.9").supports_pebble_log_forwarding());
  EXPECT_TRUE(JujuVersion("3.4.0").supports_pebble_log_forwarding());
  EXPECT_EQ(JujuVersion::unknown().to_string(), "0.0.0");
}

}  // namespace
