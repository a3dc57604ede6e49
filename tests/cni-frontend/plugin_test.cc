// The shim's logic with a fake transport, and the {env, config} body codec it
// sends: what is printed and the exit status for every outcome.
#include <gtest/gtest.h>

#include <optional>
#include <string>

#include "cni-frontend/errors.h"
#include "cni-frontend/plugin.h"
#include "cni-frontend/request_codec.h"
#include "cni-frontend/result.h"

namespace ovnk::cni {
namespace {

// --- body codec --------------------------------------------------------------------

TEST(RequestCodecTest, RoundTrip) {
  CniEnv env{"ADD", "abc", "/proc/1/ns/net", "eth0", "K8S_POD_NAME=x;IgnoreUnknown=1",
             "/opt/cni/bin:/usr/lib/cni"};
  const std::string config = R"({"cniVersion":"1.0.0","name":"n","type":"t","x":[1,{"y":null}]})";
  auto body = encode_request_body(env, config);
  ASSERT_TRUE(body.ok());
  EXPECT_EQ(*body,
            R"({"env":{"CNI_COMMAND":"ADD","CNI_CONTAINERID":"abc","CNI_NETNS":"/proc/1/ns/net",)"
            R"("CNI_IFNAME":"eth0","CNI_ARGS":"K8S_POD_NAME=x;IgnoreUnknown=1",)"
            R"("CNI_PATH":"/opt/cni/bin:/usr/lib/cni"},"config":)" +
                config + "}");
  auto back = decode_request_body(*body);
  ASSERT_TRUE(back.ok()) << back.error().to_string();
  EXPECT_EQ(back->env, env);
  EXPECT_EQ(back->config_json, config);
}

TEST(RequestCodecTest, EscapesEnvironmentValues) {
  CniEnv env;
  env.command = "ADD";
  env.netns = "/run/netns/a\"b\\c";
  auto body = encode_request_body(env, "{}");
  ASSERT_TRUE(body.ok());
  auto back = decode_request_body(*body);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->env.netns, env.netns);
}

TEST(RequestCodecTest, RefusesNonUtf8Environment) {
  CniEnv env;
  env.command = "ADD";
  env.args = std::string("K8S_POD_NAME=\xff\xfe");
  auto body = encode_request_body(env, "{}");
  ASSERT_FALSE(body.ok());
  EXPECT_EQ(body.error().code, 4);
  EXPECT_NE(body.error().message.find("CNI_ARGS"), std::string::npos);
}

TEST(RequestCodecTest, MissingVariablesAreEmpty) {
  auto back = decode_request_body(R"({"env":{"CNI_COMMAND":"DEL","CNI_NETNS":null},"config":{}})");
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->env.command, "DEL");
  EXPECT_EQ(back->env.netns, "");
  EXPECT_EQ(back->env.container_id, "");
}

TEST(RequestCodecTest, Errors) {
  const std::pair<const char*, int> cases[] = {
      {"", 6},
      {"{", 6},
      {"[]", 7},
      {R"({"config":{}})", 7},
      {R"({"env":[],"config":{}})", 7},
      {R"({"env":{"CNI_COMMAND":1},"config":{}})", 7},
      {R"({"env":{}})", 7},
      {R"({"env":{},"config":"{}"})", 7},
  };
  for (const auto& [body, code] : cases) {
    auto r = decode_request_body(body);
    ASSERT_FALSE(r.ok()) << body;
    EXPECT_EQ(r.error().code, code) << body << ": " << r.error().to_string();
  }
}

// --- run_plugin ---------------------------------------------------------------------

class FakeTransport : public DaemonTransport {
 public:
  Result<DaemonReply> post(std::string_view socket_path, std::string_view body,
                           Duration timeout) override {
    ++calls;
    last_socket = std::string(socket_path);
    last_body = std::string(body);
    last_timeout = timeout;
    return reply;
  }
  Result<DaemonReply> reply = DaemonReply{200, ""};
  int calls = 0;
  std::string last_socket;
  std::string last_body;
  Duration last_timeout{};
};

PluginInput add_input(std::string config = R"({"cniVersion":"1.0.0","name":"n","type":"ovnk-cni"})") {
  PluginInput in;
  in.env = CniEnv{"ADD", "abc", "/proc/7/ns/net", "eth0", "", ""};
  in.stdin_data = std::move(config);
  return in;
}

CniError printed_error(const PluginOutput& out) {
  EXPECT_NE(out.exit_code, 0);
  auto e = decode_error(out.stdout_data);
  EXPECT_TRUE(e.ok()) << out.stdout_data;
  return e.ok() ? *e : CniError{};
}

TEST(PluginTest, VersionIsAnsweredWithoutTheDaemon) {
  FakeTransport t;
  PluginInput in;
  in.env.command = "VERSION";
  in.stdin_data = R"({"cniVersion":"0.3.1"})";
  PluginOutput out = run_plugin(in, t);
  EXPECT_EQ(out.exit_code, 0);
  EXPECT_EQ(out.stdout_data,
            R"({"cniVersion":"0.3.1","supportedVersions":["0.3.0","0.3.1","0.4.0","1.0.0","1.1.0"]})"
            "\n");
  in.stdin_data.clear();
  out = run_plugin(in, t);
  EXPECT_EQ(out.exit_code, 0);
  EXPECT_NE(out.stdout_data.find(R"("cniVersion":"1.1.0")"), std::string::npos);
  EXPECT_EQ(t.calls, 0);
}

TEST(PluginTest, ForwardsAndPrintsTheDaemonsAnswer) {
  FakeTransport t;
  const std::string result = R"({"cniVersion":"1.0.0","ips":[{"address":"10.0.0.2/24"}]})" "\n";
  t.reply = DaemonReply{200, result};
  PluginInput in = add_input(
      R"({"cniVersion":"1.0.0","name":"n","type":"ovnk-cni","daemonSocket":"/tmp/x.sock","timeoutSeconds":10})");
  PluginOutput out = run_plugin(in, t);
  EXPECT_EQ(out.exit_code, 0);
  EXPECT_EQ(out.stdout_data, result);
  EXPECT_EQ(t.calls, 1);
  EXPECT_EQ(t.last_socket, "/tmp/x.sock");
  EXPECT_EQ(t.last_timeout, std::chrono::seconds(10) + kTimeoutGrace);
  auto body = decode_request_body(t.last_body);
  ASSERT_TRUE(body.ok());
  EXPECT_EQ(body->env, in.env);
}

TEST(PluginTest, DelAndCheckPrintNothing) {
  FakeTransport t;
  PluginInput in = add_input();
  in.env.command = "DEL";
  in.env.netns.clear();
  PluginOutput out = run_plugin(in, t);
  EXPECT_EQ(out.exit_code, 0);
  EXPECT_EQ(out.stdout_data, "");
}

TEST(PluginTest, ValidationFailsWithoutCallingTheDaemon) {
  FakeTransport t;
  PluginInput in = add_input(R"({"cniVersion":"0.4.0","name":"n","type":"ovnk-cni"})");
  in.env.ifname = "a-very-long-ifname";
  PluginOutput out = run_plugin(in, t);
  CniError e = printed_error(out);
  EXPECT_EQ(e.code, 4);
  EXPECT_NE(e.msg.find("CNI_IFNAME"), std::string::npos);
  EXPECT_NE(out.stdout_data.find(R"("cniVersion":"0.4.0")"), std::string::npos);
  EXPECT_EQ(t.calls, 0);
}

TEST(PluginTest, StdinFailureIsCode5) {
  FakeTransport t;
  PluginInput in = add_input();
  in.stdin_error = errno_error("io", 5, "read stdin");
  EXPECT_EQ(printed_error(run_plugin(in, t)).code, 5);
}

TEST(PluginTest, TransportErrorsPassThrough) {
  for (Code code : {Code::kDaemonUnreachable, Code::kTimeout, Code::kIoFailure}) {
    FakeTransport t;
    t.reply = cni_error(code, "something; with details");
    CniError e = printed_error(run_plugin(add_input(), t));
    EXPECT_EQ(e.code, static_cast<int>(code));
    EXPECT_EQ(e.msg, "something");
    EXPECT_EQ(e.details, "with details");
  }
}

TEST(PluginTest, StatusWithoutDaemonIsPluginNotAvailable) {
  FakeTransport t;
  t.reply = cni_error(Code::kDaemonUnreachable, "ovnk daemon not reachable; connect: ENOENT");
  PluginInput in;
  in.env.command = "STATUS";
  in.stdin_data = R"({"cniVersion":"1.1.0","name":"n","type":"ovnk-cni"})";
  CniError e = printed_error(run_plugin(in, t));
  EXPECT_EQ(e.code, 50);
  EXPECT_NE(e.details.find("not reachable"), std::string::npos);
}

TEST(PluginTest, DaemonErrorsArePrintedInTheConfigsVersion) {
  FakeTransport t;
  t.reply = DaemonReply{
      501, encode_error(CniError::make(Code::kNotImplemented, "ADD is not implemented yet"), "1.0.0")};
  PluginOutput out = run_plugin(add_input(), t);
  CniError e = printed_error(out);
  EXPECT_EQ(e.code, 104);
  EXPECT_EQ(e.msg, "ADD is not implemented yet");
}

TEST(PluginTest, GarbageFromTheDaemonIsInternal) {
  FakeTransport t;
  t.reply = DaemonReply{502, "<html>bad gateway</html>"};
  CniError e = printed_error(run_plugin(add_input(), t));
  EXPECT_EQ(e.code, 105);
  EXPECT_NE(e.msg.find("502"), std::string::npos);
  FakeTransport empty;
  empty.reply = DaemonReply{200, ""};
  EXPECT_EQ(printed_error(run_plugin(add_input(), empty)).code, 105);  // ADD needs a result
}

TEST(PluginTest, UnknownCommand) {
  FakeTransport t;
  PluginInput in = add_input();
  in.env.command = "";
  CniError e = printed_error(run_plugin(in, t));
  EXPECT_EQ(e.code, 4);
  EXPECT_NE(e.msg.find("CNI_COMMAND"), std::string::npos);
}

}  // namespace
}  // namespace ovnk::cni
