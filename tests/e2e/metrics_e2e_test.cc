// End to end: the daemon's GET /metrics, after real ADD/DEL traffic (and a
// failed ADD), is read by Prometheus' own checker, `promtool check metrics`
// (Debian package prometheus): no parse error and no lint problem (HELP and
// TYPE on every family, counters named *_total, base units, histogram
// buckets). promtool is run with argv, never through a shell.
#include <gtest/gtest.h>

#include <unistd.h>

#include <string>
#include <vector>

#include "tests/e2e/pod_e2e_fixture.h"

namespace ovnk::testing {
namespace {

constexpr const char* kPromtool = "/usr/bin/promtool";

class MetricsE2e : public PodE2eTest {
 protected:
  void SetUp() override {
    ASSERT_EQ(::access(kPromtool, X_OK), 0) << kPromtool << " is missing: install the Debian package prometheus "
                                            << "(tools/install-deps)";
    PodE2eTest::SetUp();
  }
};

TEST_F(MetricsE2e, MetricsPassPromtoolAfterTraffic) {
  auto pods = make_pods(4, "metr");
  ASSERT_EQ(pods.size(), 4u);
  add_all(pods);
  // A failed ADD (an address outside the node subnet) and a CHECK, so that
  // error series exist too.
  auto extra = make_pods(1, "metrbad");
  CniInvocation bad = call("ADD", *extra[0]);
  bad.args = "IgnoreUnknown=1;IP=10.99.0.5/24";
  auto r = run_cni(kPaths, bad);
  ASSERT_TRUE(r.ok());
  EXPECT_NE(r->exit_code, 0) << r->out;
  del_all({pods[0], pods[1]});

  auto text = daemon_->metrics();
  ASSERT_TRUE(text.ok()) << text.error().to_string();
  ASSERT_FALSE(text->empty());
  // The series the pipeline is judged by are there.
  for (const char* name : {"ovnk_pod_adds_total", "ovnk_pod_add_seconds_bucket", "ovnk_ovsdb_batch_items_count",
                           "ovnk_ipam_addresses_in_use", "ovnk_cni_requests_in_flight"}) {
    EXPECT_NE(text->find(name), std::string::npos) << name << " missing from:\n" << *text;
  }

  RunResult checked = run_program({kPromtool, "check", "metrics"}, std::chrono::seconds(60), *text);
  EXPECT_EQ(checked.code, 0) << "promtool check metrics: " << describe(checked);
  EXPECT_EQ(checked.err, "") << "promtool warnings";
  EXPECT_EQ(checked.out, "") << "promtool output";

  del_all({pods[2], pods[3]});
  EXPECT_EQ(leftovers(), "");
}

TEST(MetricsPromtool, RejectsABrokenPage) {
  ASSERT_EQ(::access(kPromtool, X_OK), 0) << kPromtool << " is missing";
  // The check above could fail: promtool does complain about what we look for.
  RunResult bad = run_program({kPromtool, "check", "metrics"}, std::chrono::seconds(60),
                              "# HELP ovnk_things Things\n# TYPE ovnk_things counter\novnk_things 3\n");
  EXPECT_NE(bad.code, 0);
  EXPECT_NE((bad.out + bad.err).find("_total"), std::string::npos) << describe(bad);
}

}  // namespace
}  // namespace ovnk::testing
