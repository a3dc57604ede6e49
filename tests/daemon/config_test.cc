#include "daemon/config.h"

#include <gtest/gtest.h>

#include <map>

namespace ovnk::daemon {
namespace {

ReadFileFn files(std::map<std::string, std::string> contents) {
  return [contents](const std::string& path) -> Result<std::string> {
    auto it = contents.find(path);
    if (it == contents.end()) return errno_error("io", ENOENT, "open " + path);
    return it->second;
  };
}

const std::vector<std::string> kRequired = {"--node", "n1", "--nb", "unix:/run/nb.sock", "--node-subnet",
                                            "10.244.1.0/24"};

std::vector<std::string> with(std::vector<std::string> extra) {
  std::vector<std::string> a = kRequired;
  a.insert(a.end(), extra.begin(), extra.end());
  return a;
}

TEST(Config, DefaultsAndRequiredFlags) {
  auto c = parse_config(kRequired, files({}));
  ASSERT_TRUE(c.ok()) << c.error().to_string();
  EXPECT_EQ(c->node, "n1");
  EXPECT_EQ(c->nb_remote, "unix:/run/nb.sock");
  EXPECT_EQ(c->ovs_remote, "unix:/var/run/openvswitch/db.sock");
  EXPECT_EQ(c->cni_socket, "/var/run/ovnk-reactor/cni.sock");
  EXPECT_EQ(c->node_subnet.to_string(), "10.244.1.0/24");
  EXPECT_EQ(c->mtu, 1400u);
  EXPECT_EQ(c->batch_max, 256u);
  EXPECT_EQ(c->batch_interval, std::chrono::milliseconds(10));
  EXPECT_EQ(c->backend, reactor::Backend::kLibuv);
  EXPECT_TRUE(c->offloads_off);
  for (const char* missing : {"--node", "--nb", "--node-subnet"}) {
    std::vector<std::string> args;
    for (size_t i = 0; i < kRequired.size(); i += 2) {
      if (kRequired[i] != missing) {
        args.push_back(kRequired[i]);
        args.push_back(kRequired[i + 1]);
      }
    }
    auto r = parse_config(args, files({}));
    ASSERT_FALSE(r.ok()) << missing;
    EXPECT_NE(r.error().message.find(missing), std::string::npos) << r.error().message;
  }
}

TEST(Config, EveryFlagBothSyntaxes) {
  auto c = parse_config(with({"--ovs=tcp:127.0.0.1:6640", "--cluster-cidr", "10.244.0.0/16", "--cni-socket=/tmp/x.sock",
                              "--mtu", "9000", "--backend=uring", "--batch-max", "64", "--batch-interval=0", "--log-level", "debug",
                              "--ready-timeout", "5", "--reconcile-interval=0", "--tx-offloads", "on", "--bridge",
                              "br-x", "--create-topology=off"}),
                        files({}));
  ASSERT_TRUE(c.ok()) << c.error().to_string();
  EXPECT_EQ(c->ovs_remote, "tcp:127.0.0.1:6640");
  EXPECT_EQ(c->cluster_cidr->to_string(), "10.244.0.0/16");
  EXPECT_EQ(c->cni_socket, "/tmp/x.sock");
  EXPECT_EQ(c->mtu, 9000u);
  EXPECT_EQ(c->backend, reactor::Backend::kIoUring);
  EXPECT_EQ(c->batch_max, 64u);
  EXPECT_EQ(c->batch_interval, Duration::zero());
  EXPECT_EQ(c->log_level, log::Level::kDebug);
  EXPECT_EQ(c->ready_timeout, std::chrono::seconds(5));
  EXPECT_EQ(c->reconcile_interval, Duration::zero());
  EXPECT_FALSE(c->offloads_off);
  EXPECT_EQ(c->bridge, "br-x");
  EXPECT_FALSE(c->create_topology);
}

TEST(Config, ClearErrors) {
  struct Case {
    std::vector<std::string> extra;
    const char* says;
  };
  const Case cases[] = {
      {{"--mtu", "abc"}, "--mtu"},
      {{"--mtu", "20"}, "out of range"},
      {{"--backend", "epoll"}, "--backend"},
      {{"--log-level", "loud"}, "--log-level"},
      {{"--node-subnet", "10.244.1.0"}, "CIDR"},
      {{"--node-subnet", "10.244.1.0/31"}, "/30"},
      {{"--cluster-cidr", "10.10.0.0/16"}, "does not contain"},
      {{"--cni-socket", "relative.sock"}, "absolute"},
      {{"--frobnicate", "1"}, "unknown option"},
      {{"--batch-max"}, "needs a value"},
      {{"--batch-interval", "5000"}, "out of range"},
      {{"stray"}, "unexpected argument"},
      {{"--tx-offloads", "maybe"}, "on/off"},
  };
  for (const Case& c : cases) {
    auto r = parse_config(with(c.extra), files({}));
    ASSERT_FALSE(r.ok()) << c.says;
    EXPECT_NE(r.error().message.find(c.says), std::string::npos) << r.error().message;
  }
}

TEST(Config, FileThenFlagsWin) {
  const char* text =
      "# ovnk-reactor\n"
      "node = from-file\n"
      "nb=unix:/file/nb.sock\n"
      "node-subnet = 10.244.7.0/24   # trailing comment\n"
      "\n"
      "mtu = 1450\n"
      "batch-max=32\n";
  auto c = parse_config({"--config", "/etc/ovnk.conf", "--mtu", "1300"}, files({{"/etc/ovnk.conf", text}}));
  ASSERT_TRUE(c.ok()) << c.error().to_string();
  EXPECT_EQ(c->node, "from-file");
  EXPECT_EQ(c->nb_remote, "unix:/file/nb.sock");
  EXPECT_EQ(c->node_subnet.to_string(), "10.244.7.0/24");
  EXPECT_EQ(c->mtu, 1300u);  // the flag wins
  EXPECT_EQ(c->batch_max, 32u);
  EXPECT_EQ(c->config_file, "/etc/ovnk.conf");
}

TEST(Config, FileErrorsNameTheLine) {
  auto r = parse_config({"--config", "/c"}, files({{"/c", "node = a\nbogus line\n"}}));
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("/c line 2"), std::string::npos) << r.error().message;
  auto unknown = parse_config({"--config", "/c"}, files({{"/c", "colour = blue\n"}}));
  ASSERT_FALSE(unknown.ok());
  EXPECT_NE(unknown.error().message.find("line 1"), std::string::npos);
  auto missing = parse_config({"--config", "/nope"}, files({}));
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().message.find("/nope"), std::string::npos);
}

TEST(Config, NodeSideFlags) {
  auto d = parse_config(kRequired, files({}));
  ASSERT_TRUE(d.ok());
  EXPECT_TRUE(d->management_port);  // on by default
  EXPECT_EQ(d->mtu, 1400u);         // pods get 1400: room for Geneve on a 1500 underlay
  EXPECT_FALSE(d->system_id || d->ovn_remote || d->encap_type || d->encap_ip || d->bridge_mappings);

  auto c = parse_config(with({"--management-port", "off", "--system-id", "node1", "--ovn-remote=tcp:10.0.0.1:6642",
                              "--encap-type", "vxlan", "--encap-ip", "192.168.77.1", "--bridge-mappings",
                              "physnet:br-phy,other:br-x"}),
                        files({}));
  ASSERT_TRUE(c.ok()) << c.error().to_string();
  EXPECT_FALSE(c->management_port);
  EXPECT_EQ(c->system_id, "node1");
  EXPECT_EQ(c->ovn_remote, "tcp:10.0.0.1:6642");
  EXPECT_EQ(c->encap_type, "vxlan");
  EXPECT_EQ(c->encap_ip, "192.168.77.1");
  EXPECT_EQ(c->bridge_mappings, "physnet:br-phy,other:br-x");

  auto from_file = parse_config(with({"--config", "/c"}),
                                files({{"/c", "management-port = off\nsystem-id = n9\n"}}));
  ASSERT_TRUE(from_file.ok()) << from_file.error().to_string();
  EXPECT_FALSE(from_file->management_port);
  EXPECT_EQ(from_file->system_id, "n9");

  for (std::vector<std::string> bad : {std::vector<std::string>{"--encap-type", "gre"},
                                       {"--encap-ip", "not-an-ip"},
                                       {"--bridge-mappings", "physnet"},
                                       {"--bridge-mappings", "physnet:"},
                                       {"--management-port", "maybe"},
                                       {"--system-id", ""}}) {
    auto r = parse_config(with(bad), files({}));
    ASSERT_FALSE(r.ok()) << bad[0] << " " << bad[1];
    EXPECT_NE(r.error().message.find(bad[0]), std::string::npos) << r.error().message;
  }
  EXPECT_NE(usage().find("--management-port"), std::string::npos);
  EXPECT_NE(usage().find("--encap-ip"), std::string::npos);
}

TEST(Config, NorthboundTlsFiles) {
  auto c = parse_config({"--node", "n1", "--nb", "ssl:10.0.0.1:6641,ssl:10.0.0.2:6641", "--node-subnet",
                         "10.244.1.0/24", "--nb-client-privkey", "/etc/ovn/key.pem", "--nb-client-cert",
                         "/etc/ovn/cert.pem", "--nb-client-cacert", "/etc/ovn/ca.pem"},
                        files({}));
  ASSERT_TRUE(c.ok()) << c.error().to_string();
  EXPECT_EQ(c->nb_client_privkey, "/etc/ovn/key.pem");
  EXPECT_EQ(c->nb_client_cert, "/etc/ovn/cert.pem");
  EXPECT_EQ(c->nb_client_cacert, "/etc/ovn/ca.pem");
  // From the file too.
  c = parse_config({"--config", "/etc/ovnk.conf"},
                   files({{"/etc/ovnk.conf", "node = n1\nnb = ssl:nb.example:6641\nnode-subnet = 10.244.1.0/24\n"
                                             "nb-client-privkey = k\nnb-client-cert = c\nnb-client-cacert = a\n"}}));
  ASSERT_TRUE(c.ok()) << c.error().to_string();
  EXPECT_EQ(c->nb_client_cacert, "a");
  // An ssl: remote without all three files is refused, naming the flags.
  auto missing = parse_config({"--node", "n1", "--nb", "tcp:10.0.0.1:6641,ssl:10.0.0.2:6641", "--node-subnet",
                               "10.244.1.0/24", "--nb-client-privkey", "k", "--nb-client-cert", "c"},
                              files({}));
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().message.find("--nb-client-cacert"), std::string::npos) << missing.error().message;
  auto empty = parse_config(with({"--nb-client-cert="}), files({}));
  ASSERT_FALSE(empty.ok());
  EXPECT_NE(empty.error().message.find("--nb-client-cert"), std::string::npos) << empty.error().message;
}

TEST(Config, Help) {
  auto c = parse_config({"--help"}, files({}));
  ASSERT_TRUE(c.ok());
  EXPECT_TRUE(c->help);
  EXPECT_NE(usage().find("--node-subnet"), std::string::npos);
}

}  // namespace
}  // namespace ovnk::daemon
