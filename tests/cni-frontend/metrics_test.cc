// The metrics registry and its Prometheus text rendering.
#include <gtest/gtest.h>

#include "cni-frontend/metrics.h"

namespace ovnk::metrics {
namespace {

TEST(MetricsTest, CountersAndGaugesRender) {
  Registry r;
  r.counter("ovnk_things_total", "Things done", {{"kind", "a"}}).inc();
  r.counter("ovnk_things_total", "Things done", {{"kind", "b"}}).inc(2);
  r.counter("ovnk_things_total", "Things done", {{"kind", "a"}}).inc();
  Gauge& g = r.gauge("ovnk_level", "A level");
  g.set(5);
  g.dec();
  EXPECT_EQ(r.render(),
            "# HELP ovnk_things_total Things done\n"
            "# TYPE ovnk_things_total counter\n"
            "ovnk_things_total{kind=\"a\"} 2\n"
            "ovnk_things_total{kind=\"b\"} 2\n"
            "# HELP ovnk_level A level\n"
            "# TYPE ovnk_level gauge\n"
            "ovnk_level 4\n");
}

TEST(MetricsTest, SameSeriesIsTheSameObject) {
  Registry r;
  Counter& a = r.counter("c_total", "h", {{"x", "1"}});
  Counter& b = r.counter("c_total", "h", {{"x", "1"}});
  EXPECT_EQ(&a, &b);
  // Other series do not move it.
  for (int i = 0; i < 100; ++i) r.counter("c_total", "h", {{"x", std::to_string(i + 2)}});
  a.inc();
  EXPECT_EQ(r.counter("c_total", "h", {{"x", "1"}}).value(), 1);
}

TEST(MetricsTest, CountersNeverGoDown) {
  Registry r;
  Counter& c = r.counter("c_total", "h");
  c.inc(3);
  c.inc(-10);
  EXPECT_EQ(c.value(), 3);
}

TEST(MetricsTest, HistogramBucketsAreCumulative) {
  Registry r;
  Histogram& h = r.histogram("lat_seconds", "Latency", {0.1, 1, 0.5}, {{"command", "ADD"}});
  h.observe(0.05);
  h.observe(0.1);  // le is inclusive
  h.observe(0.7);
  h.observe(3);
  EXPECT_EQ(r.render(),
            "# HELP lat_seconds Latency\n"
            "# TYPE lat_seconds histogram\n"
            "lat_seconds_bucket{command=\"ADD\",le=\"0.1\"} 2\n"
            "lat_seconds_bucket{command=\"ADD\",le=\"0.5\"} 2\n"
            "lat_seconds_bucket{command=\"ADD\",le=\"1\"} 3\n"
            "lat_seconds_bucket{command=\"ADD\",le=\"+Inf\"} 4\n"
            "lat_seconds_sum{command=\"ADD\"} 3.85\n"
            "lat_seconds_count{command=\"ADD\"} 4\n");
}

TEST(MetricsTest, LabelValuesAreEscaped) {
  Registry r;
  r.counter("c_total", "line1\nline2", {{"path", "a\"b\\c\nd"}}).inc();
  const std::string out = r.render();
  EXPECT_NE(out.find("# HELP c_total line1\\nline2\n"), std::string::npos) << out;
  EXPECT_NE(out.find("c_total{path=\"a\\\"b\\\\c\\nd\"} 1\n"), std::string::npos) << out;
}

TEST(MetricsDeathTest, OneNameTwoTypesAborts) {
  Registry r;
  r.counter("x_total", "h");
  EXPECT_DEATH(r.gauge("x_total", "h"), "");
  EXPECT_DEATH(r.counter("bad name", "h"), "");
  EXPECT_DEATH(r.counter("ok_total", "h", {{"le", "1"}}), "");
}

}  // namespace
}  // namespace ovnk::metrics
