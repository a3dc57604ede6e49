// The request side of the CNI spec, pure: CNI_ARGS, attachment parameter
// validation, the network config, and make_request() with every error code it
// can produce.
#include <gtest/gtest.h>

#include <string>

#include "cni-frontend/args.h"
#include "cni-frontend/config.h"
#include "cni-frontend/errors.h"
#include "cni-frontend/request.h"
#include "cni-frontend/validate.h"

namespace ovnk::cni {
namespace {

int code_of(const Error& e) {
  EXPECT_EQ(e.domain, "cni") << e.to_string();
  return e.code;
}

// --- CNI_ARGS -------------------------------------------------------------------

TEST(CniArgsTest, EmptyIsFine) {
  auto a = parse_cni_args("");
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(*a, CniArgs{});
}

TEST(CniArgsTest, KubeletArgs) {
  auto a = parse_cni_args(
      "IgnoreUnknown=1;K8S_POD_NAMESPACE=default;K8S_POD_NAME=web-1;"
      "K8S_POD_INFRA_CONTAINER_ID=3f69;K8S_POD_UID=1234-abcd");
  ASSERT_TRUE(a.ok()) << a.error().to_string();
  EXPECT_TRUE(a->ignore_unknown);
  EXPECT_EQ(a->pod_namespace, "default");
  EXPECT_EQ(a->pod_name, "web-1");
  EXPECT_EQ(a->pod_infra_container_id, "3f69");
  EXPECT_EQ(a->pod_uid, "1234-abcd");
  EXPECT_TRUE(a->has_pod());
  EXPECT_TRUE(a->unknown.empty());
}

TEST(CniArgsTest, PodmanSendsOnlyThePodName) {
  auto a = parse_cni_args("IgnoreUnknown=1;K8S_POD_NAME=box");
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->pod_name, "box");
  EXPECT_FALSE(a->has_pod());  // no namespace
}

TEST(CniArgsTest, UnknownKeyIsAnErrorWithoutIgnoreUnknown) {
  auto a = parse_cni_args("K8S_POD_NAME=x;FOO=bar");
  ASSERT_FALSE(a.ok());
  EXPECT_EQ(code_of(a.error()), 4);
  EXPECT_NE(a.error().message.find("CNI_ARGS"), std::string::npos);
  EXPECT_NE(a.error().message.find("FOO=bar"), std::string::npos);
}

TEST(CniArgsTest, IgnoreUnknownAnywhereKeepsUnknownKeys) {
  for (const char* text : {"FOO=bar;IgnoreUnknown=true", "IgnoreUnknown=TRUE;FOO=bar",
                           "IgnoreUnknown=1;FOO=bar"}) {
    auto a = parse_cni_args(text);
    ASSERT_TRUE(a.ok()) << text;
    ASSERT_EQ(a->unknown.size(), 1u);
    EXPECT_EQ(a->unknown[0].first, "FOO");
    EXPECT_EQ(a->unknown[0].second, "bar");
  }
  auto off = parse_cni_args("IgnoreUnknown=0;FOO=bar");
  ASSERT_FALSE(off.ok());
  EXPECT_EQ(code_of(off.error()), 4);
}

TEST(CniArgsTest, MalformedPairs) {
  for (const char* text : {"K8S_POD_NAME", "A=b=c", "=x", "IgnoreUnknown=maybe"}) {
    auto a = parse_cni_args(text);
    ASSERT_FALSE(a.ok()) << text;
    EXPECT_EQ(code_of(a.error()), 4) << text;
  }
}

TEST(CniArgsTest, EmptyPairsAndEmptyValuesAreTolerated) {
  auto a = parse_cni_args(";K8S_POD_NAMESPACE=ns;;K8S_POD_NAME=;");
  ASSERT_TRUE(a.ok()) << a.error().to_string();
  EXPECT_EQ(a->pod_namespace, "ns");
  EXPECT_EQ(a->pod_name, "");
}

// --- attachment parameters ---------------------------------------------------------

TEST(ValidateTest, ContainerIds) {
  for (const char* ok : {"a", "0", "3f6940ab5ab43bc522569d15b23f8c1bbde1d7678b080398506924fc01d72755",
                         "abc_def.ghi-jkl", "Z9"}) {
    EXPECT_TRUE(validate_container_id(ok).ok()) << ok;
  }
  for (const char* bad : {"", "_abc", ".abc", "-abc", "abc/def", "abc def", "abc:def", "é"}) {
    auto r = validate_container_id(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(code_of(r.error()), 4);
    EXPECT_NE(r.error().message.find("CNI_CONTAINERID"), std::string::npos);
  }
}

TEST(ValidateTest, Ifnames) {
  for (const char* ok : {"eth0", "a", "net1", "123456789012345", "veth-x_y.z"}) {
    EXPECT_TRUE(validate_ifname(ok).ok()) << ok;
  }
  for (const char* bad : {"", "1234567890123456", ".", "..", "eth/0", "eth:0", "eth 0", "eth\t0",
                          "eth\n"}) {
    auto r = validate_ifname(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(code_of(r.error()), 4);
    EXPECT_NE(r.error().message.find("CNI_IFNAME"), std::string::npos);
  }
  EXPECT_FALSE(validate_ifname(std::string_view("et\0h", 4)).ok());
  auto long_name = validate_ifname("abcdefghijklmnopq");
  ASSERT_FALSE(long_name.ok());
  EXPECT_NE(long_name.error().message.find("15"), std::string::npos);
}

TEST(ValidateTest, Netns) {
  EXPECT_TRUE(validate_netns("/proc/1234/ns/net", Command::kAdd).ok());
  EXPECT_TRUE(validate_netns("/var/run/netns/cni-1", Command::kCheck).ok());
  EXPECT_TRUE(validate_netns("", Command::kDel).ok());  // runtimes send DEL without one
  for (Command c : {Command::kAdd, Command::kCheck}) {
    auto r = validate_netns("", c);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(code_of(r.error()), 4);
    EXPECT_NE(r.error().message.find("CNI_NETNS"), std::string::npos);
  }
  EXPECT_FALSE(validate_netns("relative/ns", Command::kDel).ok());
}

// --- the network config -------------------------------------------------------------

TEST(ConfigTest, Minimal) {
  auto c = parse_config(R"({"cniVersion":"0.4.0","name":"ovn-k","type":"ovnk-cni"})");
  ASSERT_TRUE(c.ok()) << c.error().to_string();
  EXPECT_EQ(c->version, SpecVersion::k040);
  EXPECT_EQ(c->cni_version, "0.4.0");
  EXPECT_EQ(c->name, "ovn-k");
  EXPECT_EQ(c->type, "ovnk-cni");
  EXPECT_EQ(c->daemon_socket, kDefaultDaemonSocket);
  EXPECT_EQ(c->timeout, kDefaultTimeout);
  EXPECT_FALSE(c->mtu.has_value());
  EXPECT_EQ(c->ipam_mode, IpamMode::kSubnet);
  EXPECT_FALSE(c->prev_result.has_value());
  EXPECT_EQ(c->json, R"({"cniVersion":"0.4.0","name":"ovn-k","type":"ovnk-cni"})");
}

TEST(ConfigTest, OurFields) {
  auto c = parse_config(R"({"cniVersion":"1.1.0","name":"n","type":"t",
      "daemonSocket":"/run/x/cni.sock","timeoutSeconds":2.5,"mtu":1400,"ipamMode":"ovn",
      "somethingElse":{"ignored":true}})");
  ASSERT_TRUE(c.ok()) << c.error().to_string();
  EXPECT_EQ(c->daemon_socket, "/run/x/cni.sock");
  EXPECT_EQ(c->timeout, std::chrono::milliseconds(2500));
  EXPECT_EQ(c->mtu, 1400u);
  EXPECT_EQ(c->ipam_mode, IpamMode::kOvn);
}

struct BadConfig {
  const char* json;
  int code;
  const char* mentions;
};

TEST(ConfigTest, Errors) {
  const BadConfig cases[] = {
      {"", 6, "decode"},
      {"{not json", 6, "decode"},
      {"[1,2]", 7, "object"},
      {R"({"name":"n","type":"t"})", 1, "cniVersion"},
      {R"({"cniVersion":"0.2.0","name":"n","type":"t"})", 1, "0.2.0"},
      {R"({"cniVersion":"2.0.0","name":"n","type":"t"})", 1, "2.0.0"},
      {R"({"cniVersion":7,"name":"n","type":"t"})", 7, "cniVersion"},
      {R"({"cniVersion":"1.0.0","type":"t"})", 7, "name"},
      {R"({"cniVersion":"1.0.0","name":"-bad","type":"t"})", 7, "name"},
      {R"({"cniVersion":"1.0.0","name":"n"})", 7, "type"},
      {R"({"cniVersion":"1.0.0","name":"n","type":""})", 7, "type"},
      {R"({"cniVersion":"1.0.0","name":"n","type":"t","daemonSocket":"rel.sock"})", 7,
       "daemonSocket"},
      {R"({"cniVersion":"1.0.0","name":"n","type":"t","timeoutSeconds":0})", 7, "timeoutSeconds"},
      {R"({"cniVersion":"1.0.0","name":"n","type":"t","timeoutSeconds":"5"})", 7, "timeoutSeconds"},
      {R"({"cniVersion":"1.0.0","name":"n","type":"t","mtu":67})", 7, "mtu"},
      {R"({"cniVersion":"1.0.0","name":"n","type":"t","mtu":1400.5})", 7, "mtu"},
      {R"({"cniVersion":"1.0.0","name":"n","type":"t","ipamMode":"dhcp"})", 2, "ipamMode"},
      {R"({"cniVersion":"1.0.0","name":"n","type":"t","prevResult":{"ips":[{"address":"10.0.0.1"}]}})",
       7, "address"},
      {R"({"cniVersion":"1.0.0","name":"n","type":"t","prevResult":[]})", 7, "prevResult"},
  };
  for (const auto& c : cases) {
    auto r = parse_config(c.json);
    ASSERT_FALSE(r.ok()) << c.json;
    EXPECT_EQ(code_of(r.error()), c.code) << c.json << " -> " << r.error().to_string();
    EXPECT_NE(r.error().message.find(c.mentions), std::string::npos)
        << c.json << " -> " << r.error().message;
  }
}

TEST(ConfigTest, PrevResultOfAnOlderVersion) {
  auto c = parse_config(R"({"cniVersion":"0.4.0","name":"n","type":"t","prevResult":{
      "cniVersion":"0.4.0",
      "interfaces":[{"name":"eth0","mac":"0a:58:0a:f4:01:05","sandbox":"/proc/1/ns/net"}],
      "ips":[{"version":"4","interface":0,"address":"10.244.1.5/24","gateway":"10.244.1.1"}],
      "routes":[{"dst":"0.0.0.0/0","gw":"10.244.1.1"}],
      "dns":{}}})");
  ASSERT_TRUE(c.ok()) << c.error().to_string();
  ASSERT_TRUE(c->prev_result.has_value());
  ASSERT_EQ(c->prev_result->ips.size(), 1u);
  EXPECT_EQ(c->prev_result->ips[0].address, "10.244.1.5/24");
  EXPECT_EQ(c->prev_result->ips[0].interface, 0u);
  EXPECT_EQ(c->prev_result->interfaces[0].sandbox, "/proc/1/ns/net");
}

TEST(ConfigTest, ValidAttachmentsEitherSpelling) {
  for (const char* key : {"cni.dev/valid-attachments", "cni.dev/attachments"}) {
    std::string json = std::string(R"({"cniVersion":"1.1.0","name":"n","type":"t",")") + key +
                       R"(":[{"containerID":"abc","ifname":"eth0"},{"containerID":"def","ifname":"net1"}]})";
    auto c = parse_config(json);
    ASSERT_TRUE(c.ok()) << c.error().to_string();
    ASSERT_TRUE(c->valid_attachments.has_value());
    ASSERT_EQ(c->valid_attachments->size(), 2u);
    EXPECT_EQ((*c->valid_attachments)[1], (Attachment{"def", "net1"}));
  }
}

TEST(ConfigTest, ReplyVersionNeverFails) {
  EXPECT_EQ(reply_version(R"({"cniVersion":"0.3.1"})"), "0.3.1");
  EXPECT_EQ(reply_version(R"({"cniVersion":"9.9.9"})"), "1.1.0");
  EXPECT_EQ(reply_version("garbage"), "1.1.0");
  EXPECT_EQ(reply_version(""), "1.1.0");
}

TEST(ConfigTest, VersionRequest) {
  EXPECT_EQ(*version_request(""), "1.1.0");
  EXPECT_EQ(*version_request("  \n"), "1.1.0");
  EXPECT_EQ(*version_request(R"({"cniVersion":"0.3.1"})"), "0.3.1");
  EXPECT_EQ(*version_request(R"({"cniVersion":"0.2.0"})"), "0.2.0");  // echoed as asked
  EXPECT_EQ(*version_request(R"({})"), "1.1.0");
  ASSERT_FALSE(version_request("{").ok());
  EXPECT_EQ(version_request("{").error().code, 6);
  EXPECT_EQ(version_request(R"({"cniVersion":1})").error().code, 7);
}

// --- make_request -----------------------------------------------------------------------

CniEnv add_env() {
  CniEnv e;
  e.command = "ADD";
  e.container_id = "3f6940ab5ab4";
  e.netns = "/var/run/netns/cni-1";
  e.ifname = "eth0";
  e.args = "IgnoreUnknown=1;K8S_POD_NAMESPACE=default;K8S_POD_NAME=web-1;K8S_POD_UID=u1";
  e.path = "/opt/cni/bin";
  return e;
}

constexpr const char* kConfig = R"({"cniVersion":"1.0.0","name":"ovn-k","type":"ovnk-cni"})";
constexpr const char* kConfig11 = R"({"cniVersion":"1.1.0","name":"ovn-k","type":"ovnk-cni"})";

TEST(MakeRequestTest, Add) {
  auto r = make_request(add_env(), kConfig);
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  EXPECT_EQ(r->command, Command::kAdd);
  EXPECT_EQ(r->container_id, "3f6940ab5ab4");
  EXPECT_EQ(r->netns, "/var/run/netns/cni-1");
  EXPECT_EQ(r->ifname, "eth0");
  EXPECT_EQ(r->args.pod_name, "web-1");
  EXPECT_EQ(r->config.name, "ovn-k");
}

TEST(MakeRequestTest, DelWithEmptyNetnsAndNoArgs) {
  CniEnv e = add_env();
  e.command = "DEL";
  e.netns.clear();
  e.args.clear();
  auto r = make_request(e, kConfig);
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  EXPECT_EQ(r->command, Command::kDel);
  EXPECT_EQ(r->netns, "");
}

TEST(MakeRequestTest, ProcNetnsPath) {
  CniEnv e = add_env();
  e.netns = "/proc/4242/ns/net";
  EXPECT_TRUE(make_request(e, kConfig).ok());
}

TEST(MakeRequestTest, StatusAndGcNeedOnlyTheCommand) {
  CniEnv status;
  status.command = "STATUS";
  EXPECT_TRUE(make_request(status, kConfig11).ok());
  CniEnv gc;
  gc.command = "GC";
  auto r = make_request(
      gc, R"({"cniVersion":"1.1.0","name":"n","type":"t","cni.dev/valid-attachments":[]})");
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  EXPECT_TRUE(r->config.valid_attachments->empty());
}

struct BadRequest {
  const char* what;
  CniEnv env;
  std::string config;
  int code;
  const char* mentions;
};

TEST(MakeRequestTest, EveryErrorCode) {
  auto with = [](auto change) {
    CniEnv e = add_env();
    change(e);
    return e;
  };
  CniEnv check = with([](CniEnv& e) { e.command = "CHECK"; });
  CniEnv gc;
  gc.command = "GC";
  CniEnv status;
  status.command = "STATUS";
  const BadRequest cases[] = {
      {"no command", with([](CniEnv& e) { e.command.clear(); }), kConfig, 4, "CNI_COMMAND"},
      {"bad command", with([](CniEnv& e) { e.command = "ATTACH"; }), kConfig, 4, "CNI_COMMAND"},
      {"lower-case command", with([](CniEnv& e) { e.command = "add"; }), kConfig, 4, "CNI_COMMAND"},
      {"VERSION is not forwarded", with([](CniEnv& e) { e.command = "VERSION"; }), kConfig, 4,
       "VERSION"},
      {"no container id", with([](CniEnv& e) { e.container_id.clear(); }), kConfig, 4,
       "CNI_CONTAINERID"},
      {"bad container id", with([](CniEnv& e) { e.container_id = "-x"; }), kConfig, 4,
       "CNI_CONTAINERID"},
      {"no ifname", with([](CniEnv& e) { e.ifname.clear(); }), kConfig, 4, "CNI_IFNAME"},
      {"ifname too long", with([](CniEnv& e) { e.ifname = "abcdefghijklmnop"; }), kConfig, 4,
       "CNI_IFNAME"},
      {"ifname with slash", with([](CniEnv& e) { e.ifname = "a/b"; }), kConfig, 4, "CNI_IFNAME"},
      {"ADD without netns", with([](CniEnv& e) { e.netns.clear(); }), kConfig, 4, "CNI_NETNS"},
      {"CHECK without netns", with([](CniEnv& e) {
         e.command = "CHECK";
         e.netns.clear();
       }),
       kConfig, 4, "CNI_NETNS"},
      {"unknown CNI_ARGS", with([](CniEnv& e) { e.args = "K8S_POD_NAME=x;EVIL=1"; }), kConfig, 4,
       "CNI_ARGS"},
      {"config not JSON", add_env(), "{", 6, "decode"},
      {"empty config", add_env(), "", 6, "decode"},
      {"unsupported version", add_env(), R"({"cniVersion":"0.1.0","name":"n","type":"t"})", 1,
       "0.1.0"},
      {"CHECK on 0.3.1", check, R"({"cniVersion":"0.3.1","name":"n","type":"t"})", 1, "0.4.0"},
      {"GC on 1.0.0", gc, kConfig, 1, "1.1.0"},
      {"STATUS on 0.4.0", status, R"({"cniVersion":"0.4.0","name":"n","type":"t"})", 1, "1.1.0"},
      {"CHECK without prevResult", check, kConfig, 7, "prevResult"},
      {"GC without attachments", gc, kConfig11, 7, "valid-attachments"},
      {"unsupported field value", add_env(),
       R"({"cniVersion":"1.0.0","name":"n","type":"t","ipamMode":"static"})", 2, "static"},
  };
  for (const auto& c : cases) {
    auto r = make_request(c.env, c.config);
    ASSERT_FALSE(r.ok()) << c.what;
    EXPECT_EQ(code_of(r.error()), c.code) << c.what << ": " << r.error().to_string();
    EXPECT_NE(r.error().message.find(c.mentions), std::string::npos)
        << c.what << ": " << r.error().message;
  }
}

TEST(MakeRequestTest, CommandIsCheckedBeforeTheConfig) {
  CniEnv e = add_env();
  e.command = "NOPE";
  auto r = make_request(e, "not json");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, 4);
}

// --- CniError <-> Error -----------------------------------------------------------------

TEST(CniErrorTest, SplitsMessageIntoMsgAndDetails) {
  CniError e = CniError::from_error(cni_error(Code::kInvalidEnvironment, "bad CNI_IFNAME; too long; really"));
  EXPECT_EQ(e.code, 4);
  EXPECT_EQ(e.msg, "bad CNI_IFNAME");
  EXPECT_EQ(e.details, "too long; really");
  EXPECT_EQ(CniError::from_error(e.to_error()), e);
}

TEST(CniErrorTest, ForeignErrorsAreInternal) {
  CniError e = CniError::from_error(errno_error("io", 2, "open x"));
  EXPECT_EQ(e.code, 105);
  EXPECT_NE(e.details.find("open x"), std::string::npos);
}

TEST(CniErrorTest, HttpStatuses) {
  EXPECT_EQ(http_status_for(1), 400);
  EXPECT_EQ(http_status_for(4), 400);
  EXPECT_EQ(http_status_for(7), 400);
  EXPECT_EQ(http_status_for(3), 404);
  EXPECT_EQ(http_status_for(11), 503);
  EXPECT_EQ(http_status_for(101), 504);
  EXPECT_EQ(http_status_for(104), 501);
  EXPECT_EQ(http_status_for(102), 500);
}

TEST(CniErrorTest, QuoteValueIsBoundedAndPrintable) {
  EXPECT_EQ(quote_value("eth0"), "\"eth0\"");
  EXPECT_EQ(quote_value("a\nb\"c"), "\"a\\x0ab\\x22c\"");
  std::string big(1000, 'x');
  EXPECT_LT(quote_value(big).size(), 80u);
}

}  // namespace
}  // namespace ovnk::cni
