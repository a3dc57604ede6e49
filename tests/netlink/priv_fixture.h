// Base fixture of the netlink priv tests, typed over both loop backends: needs
// root, sweeps namespaces left by crashed runs, creates a test "host"
// namespace with a NETLINK_ROUTE socket inside it (nothing runs in the real
// root namespace), and offers await() to run one typed operation to its end.
#pragma once

#include <linux/netlink.h>

#include <memory>
#include <optional>
#include <string>

#include <gtest/gtest.h>

#include "netlink/netns.h"
#include "netlink/ops.h"
#include "netlink/socket.h"
#include "tests/netlink/netns_fixture.h"
#include "tests/reactor/backends.h"

namespace ovnk::netlink::testing {

inline int next_netns_tag() {
  static int n = 0;
  return ++n;
}

template <class B>
class NetlinkPrivTest : public reactor::testing::LoopTest<B> {
 protected:
  void SetUp() override {
    if (!is_root()) GTEST_SKIP() << "needs root (label priv)";
    reactor::testing::LoopTest<B>::SetUp();
    if (this->IsSkipped()) return;
    ASSERT_TRUE(save_host_netns().ok());
    sweep_stale_netns();
    host_ns_ = std::make_unique<TestNetns>("host" + std::to_string(next_netns_tag()));
    ASSERT_TRUE(host_ns_->ok()) << host_ns_->error();
    auto h = NetnsHandle::open_path(host_ns_->path());
    ASSERT_TRUE(h.ok()) << h.error().to_string();
    host_handle_ = std::move(h).value();
    auto s = NetlinkSocket::open_in(this->loop(), NETLINK_ROUTE, host_handle_);
    ASSERT_TRUE(s.ok()) << s.error().to_string();
    host_ = std::move(s).value();
  }

  void release_handles() override {
    release_more();
    host_.reset();
  }
  // Derived fixtures drop their own handles here.
  virtual void release_more() {}

  // A fresh pod namespace (deleted at the end of the test).
  std::unique_ptr<TestNetns> make_netns(const std::string& tag) {
    return std::make_unique<TestNetns>(tag + std::to_string(next_netns_tag()));
  }

  // Runs one typed operation (ops.h style: start(callback) -> Result<id>).
  template <class T, class Start>
  Result<T> await(Start start) {
    std::optional<Result<T>> out;
    Result<uint32_t> queued = start([&out](Result<T> r) { out.emplace(std::move(r)); });
    if (!queued.ok()) return queued.error();
    this->loop().run_until([&] { return out.has_value(); }, seconds(30));
    if (!out) return make_error("test", ETIMEDOUT, "no reply within 30 s");
    return std::move(*out);
  }

  Result<void> ack(NetlinkSocket& s, const Session::BuildFn& build, std::string what = "request") {
    return await<void>([&](ResultFn<void> done) { return ack_request(s, build, what, std::move(done)); });
  }

  std::unique_ptr<TestNetns> host_ns_;
  NetnsHandle host_handle_;
  std::unique_ptr<NetlinkSocket> host_;
};

}  // namespace ovnk::netlink::testing
