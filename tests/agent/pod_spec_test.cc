#include "agent/pod_spec.h"

#include <gtest/gtest.h>

#include "cni-frontend/errors.h"

namespace ovnk::agent {
namespace {

cni::CniRequest request(std::string config_json = "{}") {
  cni::CniRequest r;
  r.command = cni::Command::kAdd;
  r.container_id = "0123456789abcdef0123456789abcdef";
  r.netns = "/var/run/netns/p1";
  r.ifname = "eth0";
  r.args.pod_namespace = "default";
  r.args.pod_name = "web-1";
  r.args.pod_uid = "uid-1";
  r.config.json = std::move(config_json);
  return r;
}

TEST(PodSpec, NamesFollowOvnKubernetes) {
  auto spec = pod_spec_from_request(request());
  ASSERT_TRUE(spec.ok()) << spec.error().to_string();
  EXPECT_EQ(spec->lsp_name, "default_web-1");
  EXPECT_EQ(spec->host_ifname, "0123456789abcde");
  EXPECT_EQ(spec->host_ifname.size(), 15u);
  EXPECT_EQ(spec->label, "default/web-1");
  EXPECT_EQ(spec->pod_uid, "uid-1");
  EXPECT_FALSE(spec->requested.has_value());
}

TEST(PodSpec, WithoutKubernetesArgumentsTheContainerIdNamesThePort) {
  cni::CniRequest r = request();
  r.args = cni::CniArgs{};
  r.args.pod_name = "only-name";  // podman sends K8S_POD_NAME alone
  auto spec = pod_spec_from_request(r);
  ASSERT_TRUE(spec.ok());
  EXPECT_EQ(spec->lsp_name, r.container_id);
  EXPECT_EQ(spec->label, r.container_id);
}

TEST(PodSpec, PodNetworksAnnotationInRuntimeConfig) {
  const char* as_object =
      R"({"runtimeConfig":{"k8s.ovn.org/pod-networks":{"default":{"ip_addresses":["10.244.1.9/24"],)"
      R"("mac_address":"0a:58:0a:f4:01:09","gateway_ips":["10.244.1.1"],)"
      R"("routes":[{"dest":"10.96.0.0/16","nextHop":"10.244.1.1"}]}}}})";
  auto spec = pod_spec_from_request(request(as_object));
  ASSERT_TRUE(spec.ok()) << spec.error().to_string();
  ASSERT_TRUE(spec->requested.has_value());
  EXPECT_EQ(spec->requested->address.to_string(), "10.244.1.9/24");
  EXPECT_EQ(spec->requested->mac->to_string(), "0a:58:0a:f4:01:09");
  ASSERT_EQ(spec->requested->gateways.size(), 1u);
  EXPECT_EQ(spec->requested->gateways[0].to_string(), "10.244.1.1");
  ASSERT_EQ(spec->requested->routes.size(), 1u);
  EXPECT_EQ(spec->requested->routes[0].dst.to_string(), "10.96.0.0/16");

  // The annotation as a JSON string (how Kubernetes stores annotations), old
  // singular keys.
  const char* as_string =
      R"({"runtimeConfig":{"k8s.ovn.org/pod-networks":"{\"default\":{\"ip_address\":\"10.244.1.10/24\",\"gateway_ip\":\"10.244.1.1\"}}"}})";
  auto s2 = pod_spec_from_request(request(as_string));
  ASSERT_TRUE(s2.ok()) << s2.error().to_string();
  EXPECT_EQ(s2->requested->address.to_string(), "10.244.1.10/24");
  EXPECT_FALSE(s2->requested->mac.has_value());
}

TEST(PodSpec, CniConventionsIpsAndMac) {
  auto spec = pod_spec_from_request(request(R"({"runtimeConfig":{"ips":["10.244.1.20/24"],"mac":"0a:58:0a:f4:01:99"}})"));
  ASSERT_TRUE(spec.ok()) << spec.error().to_string();
  EXPECT_EQ(spec->requested->address.to_string(), "10.244.1.20/24");
  EXPECT_EQ(spec->requested->mac->to_string(), "0a:58:0a:f4:01:99");

  cni::CniRequest r = request();
  r.args.ignore_unknown = true;
  r.args.unknown = {{"IP", "10.244.1.21/24"}, {"MAC", "0a:58:0a:f4:01:21"}};
  auto s2 = pod_spec_from_request(r);
  ASSERT_TRUE(s2.ok()) << s2.error().to_string();
  EXPECT_EQ(s2->requested->address.to_string(), "10.244.1.21/24");

  r.args.unknown = {{"k8s.ovn.org/pod-networks", R"({"default":{"ip_addresses":["10.244.1.22/24"]}})"}};
  auto s3 = pod_spec_from_request(r);
  ASSERT_TRUE(s3.ok()) << s3.error().to_string();
  EXPECT_EQ(s3->requested->address.to_string(), "10.244.1.22/24");
}

TEST(PodSpec, BadValuesAreRefusedWithTheRightCode) {
  struct Case {
    const char* config;
    int code;
  };
  const Case cases[] = {
      {R"({"runtimeConfig":{"k8s.ovn.org/pod-networks":{"default":{"ip_addresses":["10.244.1.9"]}}}})", 7},
      {R"({"runtimeConfig":{"k8s.ovn.org/pod-networks":{"other":{}}}})", 7},
      {R"({"runtimeConfig":{"k8s.ovn.org/pod-networks":"not json"}})", 7},
      {R"({"runtimeConfig":{"k8s.ovn.org/pod-networks":{"default":{"ip_addresses":["10.244.1.9/24"],"mac_address":"zz"}}}})", 7},
      {R"({"runtimeConfig":{"ips":[5]}})", 7},
      {R"({"runtimeConfig":{"mac":"0a:58:0a:f4:01:99"}})", 7},  // a MAC without an IP
  };
  for (const Case& c : cases) {
    auto spec = pod_spec_from_request(request(c.config));
    ASSERT_FALSE(spec.ok()) << c.config;
    EXPECT_EQ(spec.error().domain, cni::kErrorDomain) << c.config;
    EXPECT_EQ(spec.error().code, c.code) << c.config << ": " << spec.error().message;
  }
  cni::CniRequest r = request();
  r.args.unknown = {{"IP", "not-an-ip"}};
  auto bad = pod_spec_from_request(r);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code, 4);
}

TEST(PodSpec, LspAddresses) {
  auto a = parse_lsp_address("0a:58:0a:f4:01:05 10.244.1.5");
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->ip.to_string(), "10.244.1.5");
  EXPECT_EQ(a->mac.to_string(), "0a:58:0a:f4:01:05");
  auto dual = parse_lsp_address("0a:58:0a:f4:01:05 fd00::5 10.244.1.5");
  ASSERT_TRUE(dual.ok());
  EXPECT_EQ(dual->ip.to_string(), "10.244.1.5");
  for (const char* bad : {"router", "unknown", "dynamic", "0a:58:0a:f4:01:05", "", "0a:58:0a:f4:01:05 fd00::5"}) {
    EXPECT_FALSE(parse_lsp_address(bad).ok()) << bad;
  }
}

}  // namespace
}  // namespace ovnk::agent
