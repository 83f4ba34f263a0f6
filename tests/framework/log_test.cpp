// ops::log: levels, the sink seam, level names.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "ops/log.hpp"
#include "test_support.hpp"

namespace {

using ::testing::ElementsAre;

TEST(LogTest, SinkReceivesLinesAtOrAboveTheLevel) {
  ops_test::LogCapture capture;  // sets debug
  ops::log::debug("d");
  ops::log::info("i");
  ops::log::set_level(ops::log::Level::warning);
  EXPECT_FALSE(ops::log::enabled(ops::log::Level::info));
  EXPECT_TRUE(ops::log::enabled(ops::log::Level::error));
  ops::log::info(std::string("dropped"));
  ops::log::warning("w");
  ops::log::error("e {} not a format string");
  ops::log::write(ops::log::Level::error, std::string_view("x"));
  EXPECT_THAT(capture.lines, ElementsAre("DEBUG d", "INFO i", "WARNING w",
                                         "ERROR e {} not a format string", "ERROR x"));
}

TEST(LogTest, AThrowingSinkDoesNotFailTheCaller) {
  ops::log::set_sink([](ops::log::Level, std::string_view) { throw std::runtime_error("boom"); });
  EXPECT_NO_THROW(ops::log::error("lost"));
  ops::log::set_sink(nullptr);
}

TEST(LogTest, LevelNames) {
  EXPECT_EQ(ops::log::parse_level("DEBUG"), ops::log::Level::debug);
  EXPECT_EQ(ops::log::parse_level("info"), ops::log::Level::info);
  EXPECT_EQ(ops::log::parse_level("Warn"), ops::log::Level::warning);
  EXPECT_EQ(ops::log::parse_level("warning"), ops::log::Level::warning);
  EXPECT_EQ(ops::log::parse_level("error"), ops::log::Level::error);
  EXPECT_EQ(ops::log::parse_level("trace"), std::nullopt);
  EXPECT_EQ(ops::log::to_string(ops::log::Level::warning), "WARNING");
  EXPECT_EQ(ops::log::kLevelEnvVar, "OPS_LOG_LEVEL");
}

}  // namespace
