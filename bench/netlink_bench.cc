// netlink_bench: the netlink stage of pod ADD and DEL, reactor vs iproute2.
// Needs root. A plain timed main, not Google Benchmark: every measurement
// needs N fresh namespaces created and destroyed around it (seconds of setup
// that must not be timed, and cannot be repeated millions of times), and the
// point is the ratio between two ways of doing the same work in the same run.
//
//   sudo build/default/bench/netlink_bench [--pods N] [--reps R] [--backend uv|uring]
//
// For N pods (each its own named netns, created untimed):
//   add, reactor:   PodLinker: veth with the pod end born in the pod netns
//                   (name, MAC, MTU), host end up with MTU and group, pod end up,
//                   one IPv4 address, a default route; every pod in one batch.
//   add, ip -batch: the same with iproute2 as a careful shell script would:
//                   one `ip -batch` for all host-side veth creations, then one
//                   `ip -n POD -batch` per pod for up/address/route (ip cannot
//                   switch netns inside a batch): 1 + N execs.
//   del, one by one: N RTM_DELLINK by ifindex through the reactor (one sendmsg,
//                   but the kernel pays one RCU grace period per link).
//   del, by group:  PodLinker::remove for all N: N group moves + one
//                   RTM_DELLINK by group (one grace period for the batch).
// Everything runs in a bench "host" netns (ovnkb-<pid>-host) and pod
// namespaces ovnkb-<pid>-<i>; the real root namespace is never changed.
// Prints the median of R runs of each, and the ratios.
#include <linux/netlink.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/log.h"
#include "netlink/ops.h"
#include "netlink/pod_link.h"
#include "reactor/loop.h"

namespace {

using namespace ovnk;
using namespace ovnk::netlink;

int run(const std::string& cmd) {
  int status = std::system((cmd + " >/dev/null 2>&1").c_str());
  return status;
}

std::string prefix() { return "ovnkb-" + std::to_string(::getpid()) + "-"; }

bool ip_batch(const std::string& netns, const std::string& lines) {
  std::string file = "/tmp/" + prefix() + "batch";
  FILE* f = std::fopen(file.c_str(), "w");
  if (f == nullptr) return false;
  std::fwrite(lines.data(), 1, lines.size(), f);
  std::fclose(f);
  std::string ns = netns.empty() ? "" : "-n " + netns + " ";
  bool ok = run("ip " + ns + "-force -batch " + file) == 0;
  std::remove(file.c_str());
  return ok;
}

// N pod namespaces plus the bench host namespace; removed on destruction.
class Namespaces {
 public:
  explicit Namespaces(int pods) {
    std::string batch = "netns add " + host() + "\n";
    for (int i = 0; i < pods; ++i) {
      names_.push_back(prefix() + std::to_string(i));
      batch += "netns add " + names_.back() + "\n";
    }
    ok_ = ip_batch("", batch);
  }
  ~Namespaces() {
    std::string batch = "netns del " + host() + "\n";
    for (const std::string& n : names_) batch += "netns del " + n + "\n";
    ip_batch("", batch);
  }
  bool ok() const { return ok_; }
  static std::string host() { return prefix() + "host"; }
  const std::string& pod(int i) const { return names_[static_cast<size_t>(i)]; }

 private:
  std::vector<std::string> names_;
  bool ok_ = false;
};

std::string mac_of(int i) {
  char buf[18];
  std::snprintf(buf, sizeof buf, "0a:58:0a:f5:%02x:%02x", (i >> 8) & 0xff, i & 0xff);
  return buf;
}
std::string ip_of(int i) { return "10.245." + std::to_string(1 + i / 250) + "." + std::to_string(2 + i % 250); }
std::string host_if(int i) { return "vb" + std::to_string(i); }

constexpr uint32_t kGroup = 4343;

struct Env {
  std::unique_ptr<reactor::Loop> loop;
  std::unique_ptr<NetlinkSocket> host;
  std::unique_ptr<PodLinker> linker;
};

double ms_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
}

std::optional<double> add_reactor(Env& env, const Namespaces& ns, int n, std::vector<int>* host_indexes) {
  auto t0 = std::chrono::steady_clock::now();
  int done = 0;
  int failed = 0;
  host_indexes->assign(static_cast<size_t>(n), 0);
  for (int i = 0; i < n; ++i) {
    PodLinkPlan p;
    p.netns_path = "/var/run/netns/" + ns.pod(i);
    p.host_ifname = host_if(i);
    p.mac = MacAddr::parse(mac_of(i)).value();
    p.mtu = 1400;
    p.addresses = {IpPrefix::parse(ip_of(i) + "/16").value()};
    p.gateways = {IpAddr::parse("10.245.0.1").value()};
    p.group = kGroup;
    env.linker->add(std::move(p), [&, i](Result<PodLinkInfo> r) {
      ++done;
      if (!r.ok()) {
        ++failed;
        std::fprintf(stderr, "add %d: %s\n", i, r.error().to_string().c_str());
      } else {
        (*host_indexes)[static_cast<size_t>(i)] = r->host_ifindex;
      }
    });
  }
  env.loop->run_until([&] { return done == n; }, seconds(300));
  double ms = ms_since(t0);
  if (done != n || failed != 0) return std::nullopt;
  return ms;
}

std::optional<double> add_ip_batch(const Namespaces& ns, int n) {
  auto t0 = std::chrono::steady_clock::now();
  std::string host;
  for (int i = 0; i < n; ++i) {
    host += "link add " + host_if(i) + " mtu 1400 group " + std::to_string(kGroup) +
            " up type veth peer name eth0 address " + mac_of(i) + " mtu 1400 netns " + ns.pod(i) + "\n";
  }
  if (!ip_batch(Namespaces::host(), host)) return std::nullopt;
  for (int i = 0; i < n; ++i) {
    std::string pod = "link set eth0 up\naddr add " + ip_of(i) + "/16 dev eth0\nroute add default via 10.245.0.1 dev eth0\n";
    if (!ip_batch(ns.pod(i), pod)) return std::nullopt;
  }
  return ms_since(t0);
}

std::optional<double> delete_one_by_one(Env& env, const std::vector<int>& indexes) {
  auto t0 = std::chrono::steady_clock::now();
  size_t done = 0;
  bool failed = false;
  for (int idx : indexes) {
    auto q = ack_request(
        *env.host, [idx](Bytes& out, uint32_t seq) { return build_link_delete(out, seq, LinkRef::by_index(idx)); },
        "delete", [&](Result<void> r) {
          ++done;
          if (!r.ok()) failed = true;
        });
    if (!q.ok()) return std::nullopt;
  }
  env.loop->run_until([&] { return done == indexes.size(); }, seconds(600));
  double ms = ms_since(t0);
  if (done != indexes.size() || failed) return std::nullopt;
  return ms;
}

std::optional<double> delete_by_group(Env& env, int n) {
  auto t0 = std::chrono::steady_clock::now();
  int done = 0;
  bool failed = false;
  for (int i = 0; i < n; ++i) {
    env.linker->remove(host_if(i), [&](Result<void> r) {
      ++done;
      if (!r.ok()) failed = true;
    });
  }
  env.loop->run_until([&] { return done == n; }, seconds(300));
  double ms = ms_since(t0);
  if (done != n || failed) return std::nullopt;
  return ms;
}

// Removes whatever the ip -batch run created (untimed), by group.
bool clear_host(Env& env) {
  bool ok = false, finished = false;
  auto q = ack_request(
      *env.host, [](Bytes& out, uint32_t seq) { return build_link_delete_group(out, seq, kGroup); }, "clear",
      [&](Result<void> r) {
        ok = r.ok() || r.error().code == ENODEV;
        finished = true;
      });
  if (!q.ok()) return false;
  env.loop->run_until([&] { return finished; }, seconds(60));
  return ok;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[v.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  int pods = 200;
  int reps = 3;
  reactor::Backend backend = reactor::Backend::kLibuv;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (std::strcmp(argv[i], "--pods") == 0) pods = std::atoi(argv[i + 1]);
    if (std::strcmp(argv[i], "--reps") == 0) reps = std::atoi(argv[i + 1]);
    if (std::strcmp(argv[i], "--backend") == 0) backend = reactor::parse_backend(argv[i + 1]).value_or(backend);
  }
  if (::geteuid() != 0) {
    std::fprintf(stderr, "netlink_bench needs root (network namespaces)\n");
    return 2;
  }
  if (pods < 1 || pods > 2000 || reps < 1) {
    std::fprintf(stderr, "usage: netlink_bench [--pods 1..2000] [--reps R] [--backend uv|uring]\n");
    return 2;
  }
  log::set_level(log::Level::kError);
  if (!save_host_netns().ok()) return 1;
  Env env;
  auto loop = reactor::Loop::create(backend);
  if (!loop.ok()) {
    std::fprintf(stderr, "loop: %s\n", loop.error().to_string().c_str());
    return 1;
  }
  env.loop = std::move(loop).value();

  std::vector<double> add_r, add_ip, del_one, del_group;
  for (int rep = 0; rep < reps; ++rep) {
    Namespaces ns(pods);
    if (!ns.ok()) {
      std::fprintf(stderr, "creating %d namespaces failed\n", pods);
      return 1;
    }
    NetnsHandle host_ns = NetnsHandle::open_name(Namespaces::host()).value();
    auto host = NetlinkSocket::open_in(*env.loop, NETLINK_ROUTE, host_ns);
    if (!host.ok()) {
      std::fprintf(stderr, "host socket: %s\n", host.error().to_string().c_str());
      return 1;
    }
    env.host = std::move(host).value();
    env.linker = std::make_unique<PodLinker>(*env.loop, *env.host);

    std::vector<int> indexes;
    // add via the reactor, delete one by one.
    auto a = add_reactor(env, ns, pods, &indexes);
    auto d1 = a ? delete_one_by_one(env, indexes) : std::nullopt;
    // add via the reactor again (same namespaces, now empty), delete by group.
    auto a2 = add_reactor(env, ns, pods, &indexes);
    auto d2 = a2 ? delete_by_group(env, pods) : std::nullopt;
    // add via ip -batch, cleaned up untimed.
    auto b = add_ip_batch(ns, pods);
    bool cleared = clear_host(env);
    if (!a || !a2 || !d1 || !d2 || !b || !cleared) {
      std::fprintf(stderr, "run %d failed\n", rep);
      return 1;
    }
    add_r.push_back(*a);
    add_r.push_back(*a2);
    add_ip.push_back(*b);
    del_one.push_back(*d1);
    del_group.push_back(*d2);
    env.linker.reset();
    env.host.reset();
    env.loop->run_once(false);
  }

  double ar = median(add_r), ai = median(add_ip), d1 = median(del_one), dg = median(del_group);
  std::printf("netlink_bench: %d pods, backend %s, median of %d runs\n\n", pods,
              std::string(reactor::backend_name(backend)).c_str(), reps);
  std::printf("| %-52s | %10s | %10s |\n", "what", "total ms", "ms/pod");
  std::printf("|%s|%s|%s|\n", std::string(54, '-').c_str(), std::string(12, '-').c_str(), std::string(12, '-').c_str());
  auto row = [pods](const char* what, double ms) { std::printf("| %-52s | %10.1f | %10.3f |\n", what, ms, ms / pods); };
  row("add: reactor (PodLinker, batched)", ar);
  row("add: ip -batch (1 host batch + 1 batch per pod)", ai);
  row("delete: one by one (N x RTM_DELLINK, one sendmsg)", d1);
  row("delete: by group (N group moves + 1 RTM_DELLINK)", dg);
  std::printf("\nadd: ip -batch / reactor = %.1fx    delete: one-by-one / by-group = %.1fx\n", ai / ar, d1 / dg);
  return 0;
}
