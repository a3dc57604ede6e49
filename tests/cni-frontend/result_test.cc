// Results, errors and VERSION replies in every supported cniVersion, and reading
// results back (prevResult).
#include <gtest/gtest.h>

#include "cni-frontend/result.h"
#include "cni-frontend/version.h"

namespace ovnk::cni {
namespace {

// What the daemon produces for a dual-stack pod: host veth + pod interface.
CniResult dual_stack() {
  CniResult r;
  r.interfaces.push_back(CniInterface{"3f6940ab5ab43bc", "ee:ee:ee:ee:ee:ee", "", std::nullopt, "", ""});
  r.interfaces.push_back(
      CniInterface{"eth0", "0a:58:0a:f4:01:05", "/var/run/netns/cni-1", 1400u, "", ""});
  r.ips.push_back(CniIp{"10.244.1.5/24", "10.244.1.1", 1u});
  r.ips.push_back(CniIp{"fd00:10:244:1::5/64", "fd00:10:244:1::1", 1u});
  CniRoute def4;
  def4.dst = "0.0.0.0/0";
  def4.gw = "10.244.1.1";
  CniRoute svc;
  svc.dst = "10.96.0.0/16";
  svc.gw = "10.244.1.1";
  svc.mtu = 1400;
  svc.table = 100;
  svc.scope = 0;
  r.routes = {def4, svc};
  r.dns.nameservers = {"10.96.0.10"};
  r.dns.search = {"default.svc.cluster.local", "svc.cluster.local"};
  r.dns.options = {"ndots:5"};
  return r;
}

TEST(ResultTest, Version110HasEverything) {
  EXPECT_EQ(encode_result(dual_stack(), SpecVersion::k110),
            R"({"cniVersion":"1.1.0",)"
            R"("interfaces":[{"name":"3f6940ab5ab43bc","mac":"ee:ee:ee:ee:ee:ee"},)"
            R"({"name":"eth0","mac":"0a:58:0a:f4:01:05","mtu":1400,"sandbox":"/var/run/netns/cni-1"}],)"
            R"("ips":[{"interface":1,"address":"10.244.1.5/24","gateway":"10.244.1.1"},)"
            R"({"interface":1,"address":"fd00:10:244:1::5/64","gateway":"fd00:10:244:1::1"}],)"
            R"("routes":[{"dst":"0.0.0.0/0","gw":"10.244.1.1"},)"
            R"({"dst":"10.96.0.0/16","gw":"10.244.1.1","mtu":1400,"table":100,"scope":0}],)"
            R"("dns":{"nameservers":["10.96.0.10"],"search":["default.svc.cluster.local","svc.cluster.local"],)"
            R"("options":["ndots:5"]}})"
            "\n");
}

TEST(ResultTest, Version100DropsThe11Fields) {
  EXPECT_EQ(encode_result(dual_stack(), SpecVersion::k100),
            R"({"cniVersion":"1.0.0",)"
            R"("interfaces":[{"name":"3f6940ab5ab43bc","mac":"ee:ee:ee:ee:ee:ee"},)"
            R"({"name":"eth0","mac":"0a:58:0a:f4:01:05","sandbox":"/var/run/netns/cni-1"}],)"
            R"("ips":[{"interface":1,"address":"10.244.1.5/24","gateway":"10.244.1.1"},)"
            R"({"interface":1,"address":"fd00:10:244:1::5/64","gateway":"fd00:10:244:1::1"}],)"
            R"("routes":[{"dst":"0.0.0.0/0","gw":"10.244.1.1"},{"dst":"10.96.0.0/16","gw":"10.244.1.1"}],)"
            R"("dns":{"nameservers":["10.96.0.10"],"search":["default.svc.cluster.local","svc.cluster.local"],)"
            R"("options":["ndots:5"]}})"
            "\n");
}

TEST(ResultTest, Version040And03xCarryIpVersion) {
  for (SpecVersion v : {SpecVersion::k040, SpecVersion::k031, SpecVersion::k030}) {
    const std::string out = encode_result(dual_stack(), v);
    const std::string expect =
        std::string(R"({"cniVersion":")") + std::string(version_string(v)) + R"(",)" +
        R"("interfaces":[{"name":"3f6940ab5ab43bc","mac":"ee:ee:ee:ee:ee:ee"},)"
        R"({"name":"eth0","mac":"0a:58:0a:f4:01:05","sandbox":"/var/run/netns/cni-1"}],)"
        R"("ips":[{"version":"4","interface":1,"address":"10.244.1.5/24","gateway":"10.244.1.1"},)"
        R"({"version":"6","interface":1,"address":"fd00:10:244:1::5/64","gateway":"fd00:10:244:1::1"}],)"
        R"("routes":[{"dst":"0.0.0.0/0","gw":"10.244.1.1"},{"dst":"10.96.0.0/16","gw":"10.244.1.1"}],)"
        R"("dns":{"nameservers":["10.96.0.10"],"search":["default.svc.cluster.local","svc.cluster.local"],)"
        R"("options":["ndots:5"]}})"
        "\n";
    EXPECT_EQ(out, expect) << version_string(v);
  }
}

TEST(ResultTest, EmptyPartsAreLeftOut) {
  CniResult r;
  r.ips.push_back(CniIp{"10.0.0.2/24", "", std::nullopt});
  EXPECT_EQ(encode_result(r, SpecVersion::k100),
            R"({"cniVersion":"1.0.0","ips":[{"address":"10.0.0.2/24"}]})"
            "\n");
  EXPECT_EQ(encode_result(CniResult{}, SpecVersion::k031), R"({"cniVersion":"0.3.1"})" "\n");
}

TEST(ResultTest, RoundTripsThrough11) {
  const CniResult r = dual_stack();
  auto back = decode_result(encode_result(r, SpecVersion::k110));
  ASSERT_TRUE(back.ok()) << back.error().to_string();
  EXPECT_EQ(*back, r);
}

TEST(ResultTest, OlderVersionsLoseOnlyThe11Fields) {
  CniResult expected = dual_stack();
  expected.interfaces[1].mtu.reset();
  expected.routes[1].mtu.reset();
  expected.routes[1].table.reset();
  expected.routes[1].scope.reset();
  for (SpecVersion v : {SpecVersion::k100, SpecVersion::k040, SpecVersion::k031, SpecVersion::k030}) {
    auto back = decode_result(encode_result(dual_stack(), v));
    ASSERT_TRUE(back.ok()) << back.error().to_string();
    EXPECT_EQ(*back, expected) << version_string(v);
  }
}

TEST(ResultTest, DecodesAHandWritten040Result) {
  auto r = decode_result(R"({
    "cniVersion": "0.4.0",
    "interfaces": [{"name": "eth0", "sandbox": "/proc/42/ns/net"}],
    "ips": [{"version": "4", "address": "192.168.1.3/24", "interface": 0}],
    "routes": [{"dst": "0.0.0.0/0"}],
    "dns": {"nameservers": ["8.8.8.8"], "domain": "example.com"}
  })");
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  EXPECT_EQ(r->interfaces[0].name, "eth0");
  EXPECT_EQ(r->ips[0].address, "192.168.1.3/24");
  EXPECT_FALSE(r->ips[0].is_ipv6());
  EXPECT_EQ(r->routes[0].gw, "");
  EXPECT_EQ(r->dns.domain, "example.com");
}

TEST(ResultTest, DecodeErrorsNameTheField) {
  const std::pair<const char*, const char*> cases[] = {
      {R"({"ips":[{"address":"10.0.0.1"}]})", "ips[0].address"},
      {R"({"ips":[{"address":"10.0.0.1/33"}]})", "ips[0].address"},
      {R"({"ips":[{"address":"fd00::1/129"}]})", "ips[0].address"},
      {R"({"ips":[{"address":"10.0.0.1/24","gateway":"x"}]})", "gateway"},
      {R"({"ips":[{"address":"10.0.0.1/24","interface":3}]})", "interface"},
      {R"({"ips":[{"address":"10.0.0.1/24","interface":-1}]})", "interface"},
      {R"({"ips":{}})", "ips"},
      {R"({"interfaces":[{"mac":"x"}]})", "name"},
      {R"({"routes":[{"gw":"10.0.0.1"}]})", "dst"},
      {R"({"routes":[{"dst":"0.0.0.0/0","gw":"300.0.0.1"}]})", "gw"},
      {R"({"dns":{"nameservers":[1]}})", "nameservers[0]"},
  };
  for (const auto& [json, field] : cases) {
    auto r = decode_result(json);
    ASSERT_FALSE(r.ok()) << json;
    EXPECT_EQ(r.error().code, 7) << json;
    EXPECT_NE(r.error().message.find(field), std::string::npos) << json << " -> " << r.error().message;
  }
  EXPECT_EQ(decode_result("{").error().code, 6);
}

TEST(ErrorJsonTest, Shape) {
  EXPECT_EQ(encode_error(CniError::make(Code::kInvalidEnvironment, "invalid CNI_IFNAME", "too long"),
                         "0.4.0"),
            R"({"cniVersion":"0.4.0","code":4,"msg":"invalid CNI_IFNAME","details":"too long"})"
            "\n");
  EXPECT_EQ(encode_error(CniError::make(Code::kNotImplemented, ""), "1.1.0"),
            R"({"cniVersion":"1.1.0","code":104,"msg":"Not implemented"})"
            "\n");
}

TEST(ErrorJsonTest, EscapesWhatItCarries) {
  const std::string out =
      encode_error(CniError::make(Code::kInternal, "a \"quoted\"\nline", "tab\there"), "1.0.0");
  EXPECT_EQ(out, R"({"cniVersion":"1.0.0","code":105,"msg":"a \"quoted\"\nline","details":"tab\there"})"
                 "\n");
}

TEST(ErrorJsonTest, DecodesWhatItEncodes) {
  const CniError e = CniError::make(Code::kOvsdbError, "transaction failed", "constraint violation");
  auto back = decode_error(encode_error(e, "1.0.0"));
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, e);
  EXPECT_FALSE(decode_error(R"({"msg":"no code"})").ok());
  EXPECT_FALSE(decode_error(R"({"code":0,"msg":"zero"})").ok());
  EXPECT_FALSE(decode_error("<html>").ok());
}

TEST(VersionReplyTest, ListsEverySupportedVersion) {
  EXPECT_EQ(encode_version_reply("0.4.0"),
            R"({"cniVersion":"0.4.0","supportedVersions":["0.3.0","0.3.1","0.4.0","1.0.0","1.1.0"]})"
            "\n");
}

TEST(VersionTest, ParseAndPredicates) {
  for (auto text : kSupportedVersions) {
    auto v = parse_version(text);
    ASSERT_TRUE(v.ok());
    EXPECT_EQ(version_string(*v), text);
  }
  for (const char* bad : {"", "0.2.0", "1.0", "1.2.0", "v1.0.0", "1.0.0 "}) {
    auto v = parse_version(bad);
    ASSERT_FALSE(v.ok()) << bad;
    EXPECT_EQ(v.error().code, 1);
  }
  EXPECT_TRUE(has_ip_version_field(SpecVersion::k040));
  EXPECT_FALSE(has_ip_version_field(SpecVersion::k100));
  EXPECT_FALSE(has_check(SpecVersion::k031));
  EXPECT_TRUE(has_check(SpecVersion::k040));
  EXPECT_FALSE(has_gc_and_status(SpecVersion::k100));
  EXPECT_TRUE(has_gc_and_status(SpecVersion::k110));
}

}  // namespace
}  // namespace ovnk::cni
